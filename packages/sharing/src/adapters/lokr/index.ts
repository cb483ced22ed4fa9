// LoKr registration.
import type { AdapterMethod } from '../registry.js';
import { patternValue } from '../config.js';
import { resolveLokrConfig, type LokrConfig, type ResolvedLokrConfig } from './config.js';
import { LokrLayer } from './layer.js';

export * from './config.js';
export * from './layer.js';

/** The LoKr method (registered as "lokr"). */
export const lokrMethod: AdapterMethod<LokrConfig, ResolvedLokrConfig> = {
  defaults: { r: 8, alpha: 8, decomposeBoth: false, decomposeFactor: -1, rankDropout: 0, rankDropoutScale: false, moduleDropout: 0, initWeights: true },
  resolve: resolveLokrConfig,
  factory(base, c, ctx) {
    const r = patternValue(c.rankPattern, ctx.path, c.r);
    const limit = Math.max(base.inFeatures, base.outFeatures);
    if (!Number.isInteger(r) || r <= 0 || r > limit) {
      throw new Error(`LoKr: r=${r} at "${ctx.path}" must be an integer in 1..${limit} for a ${base.inFeatures}→${base.outFeatures} layer`);
    }
    const alpha = patternValue(c.alphaPattern, ctx.path, c.alpha);
    const { decomposeBoth, decomposeFactor, rankDropout, rankDropoutScale, moduleDropout, initWeights } = c;
    return new LokrLayer(base, { r, alpha, decomposeBoth, decomposeFactor, rankDropout, rankDropoutScale, moduleDropout, initWeights }, ctx.rng);
  },
};

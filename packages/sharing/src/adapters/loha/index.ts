// LoHa registration.
import type { AdapterMethod } from '../registry.js';
import { patternValue } from '../config.js';
import { resolveLohaConfig, type LohaConfig, type ResolvedLohaConfig } from './config.js';
import { LohaLayer } from './layer.js';

export * from './config.js';
export * from './layer.js';

/** The LoHa method (registered as "loha"). */
export const lohaMethod: AdapterMethod<LohaConfig, ResolvedLohaConfig> = {
  defaults: { r: 8, alpha: 8, rankDropout: 0, moduleDropout: 0, initWeights: true },
  resolve: resolveLohaConfig,
  factory(base, c, ctx) {
    const r = patternValue(c.rankPattern, ctx.path, c.r);
    const limit = ctx.strictRank ? Math.min(base.inFeatures, base.outFeatures) : Math.max(base.inFeatures, base.outFeatures);
    if (!Number.isInteger(r) || r <= 0 || r > limit) {
      throw new Error(`LoHa: r=${r} at "${ctx.path}" must be an integer in 1..${limit} for a ${base.inFeatures}→${base.outFeatures} layer`);
    }
    const alpha = patternValue(c.alphaPattern, ctx.path, c.alpha);
    return new LohaLayer(base, { r, alpha, rankDropout: c.rankDropout, moduleDropout: c.moduleDropout, initWeights: c.initWeights }, ctx.rng);
  },
};

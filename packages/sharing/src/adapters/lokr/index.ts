// LoKr: one registry entry (defaults, checks, the per-layer factory with rank/alpha patterns, the
// PEFT codec, core's real-scale count), registered here.
import { LOKR_COUNT, lokrShape } from '@weft/core';
import { layerRankAlpha } from '../config.js';
import { registerAdapterMethod, type AdapterMethod } from '../registry.js';
import { LOKR_DEFAULTS, checkLokrOptions, type LokrConfig } from './config.js';
import { LokrLayer } from './layer.js';
import { LOKR_PEFT } from './peft.js';

export * from './config.js';
export * from './layer.js';
export * from './peft.js';

/** The LoKr method (registered as "lokr"). */
export const lokrMethod: AdapterMethod<LokrConfig, LokrLayer> = {
  label: 'LoKr',
  taxonomy: { peft: 'reparameterised', modular: { computation: 'parameter', routing: 'fixed', aggregation: 'none' } },
  defaults: LOKR_DEFAULTS,
  check: checkLokrOptions,
  factory(base, c, ctx) {
    const [i, o] = [base.inFeatures, base.outFeatures];
    // A rank above min(in, out) still means something here (it decides which factors are full), so only max bounds it.
    const { r, alpha } = layerRankAlpha('LoKr', c, ctx.path, Math.max(i, o), `${i}→${o}`);
    const { decomposeBoth, decomposeFactor, rankDropout, rankDropoutScale, moduleDropout, initWeights, effectiveConv2d } = c;
    return new LokrLayer(base, { r, alpha, decomposeBoth, decomposeFactor, rankDropout, rankDropoutScale, moduleDropout, initWeights, effectiveConv2d }, ctx.rng);
  },
  peft: LOKR_PEFT,
  count: LOKR_COUNT,
  cost({ inFeatures: i, outFeatures: o }, c, path) {
    const { r } = layerRankAlpha('LoKr', c, path, Math.max(i, o), `${i}→${o}`);
    const s = lokrShape(i, o, r, c.decomposeBoth, c.decomposeFactor);
    const w1 = s.fullW1 ? s.outL * s.inM : r * (s.outL + s.inM);
    const w2 = s.fullW2 ? s.outK * s.inN : r * (s.outK + s.inN);
    // Per call each low-rank factor's product, kron(W1, W2) and its scaling (2io); per token x·ΔW (2io) + y (o).
    const products = (s.fullW1 ? 0 : 2 * s.inM * r * s.outL) + (s.fullW2 ? 0 : 2 * s.inN * r * s.outK);
    return { trainable: w1 + w2, flopsPerToken: 2 * i * o + o, flopsPerCall: products + 2 * i * o, mergeable: true };
  },
};

registerAdapterMethod('lokr', lokrMethod);

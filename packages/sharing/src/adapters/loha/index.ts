// LoHa: one registry entry (defaults, checks, the per-layer factory with rank/alpha patterns, the
// PEFT codec, core's real-scale count), registered here.
import { LOHA_COUNT } from '@weft/core';
import { fanIn } from '../base-op.js';
import { layerRankAlpha } from '../config.js';
import { registerAdapterMethod, type AdapterMethod } from '../registry.js';
import { LOHA_DEFAULTS, checkLohaOptions, type LohaConfig } from './config.js';
import { LohaLayer } from './layer.js';
import { LOHA_PEFT } from './peft.js';

export * from './config.js';
export * from './layer.js';
export * from './peft.js';

/** The LoHa method (registered as "loha"). */
export const lohaMethod: AdapterMethod<LohaConfig, LohaLayer> = {
  label: 'LoHa',
  taxonomy: { peft: 'reparameterised', modular: { computation: 'parameter', routing: 'fixed', aggregation: 'none' } },
  defaults: LOHA_DEFAULTS,
  check: checkLohaOptions,
  factory(base, c, ctx) {
    const [i, o] = [fanIn(base), base.outFeatures];
    const { r, alpha } = layerRankAlpha('LoHa', c, ctx.path, ctx.strictRank ? Math.min(i, o) : Math.max(i, o), `${i}→${o}`);
    const { rankDropout, moduleDropout, initWeights, effectiveConv2d } = c;
    return new LohaLayer(base, { r, alpha, rankDropout, moduleDropout, initWeights, effectiveConv2d }, ctx.rng);
  },
  peft: LOHA_PEFT,
  count: LOHA_COUNT,
  cost({ inFeatures: i, outFeatures: o }, c, path) {
    const { r } = layerRankAlpha('LoHa', c, path, Math.max(i, o), `${i}→${o}`);
    // Per call ΔW = s·(U1V1 ⊙ U2V2) (4ior + 2io); per token x·ΔW (2io) + y (o): as dear as the base layer.
    return { trainable: 2 * r * (i + o), flopsPerToken: 2 * i * o + o, flopsPerCall: 4 * i * r * o + 2 * i * o, mergeable: true };
  },
};

registerAdapterMethod('loha', lohaMethod);

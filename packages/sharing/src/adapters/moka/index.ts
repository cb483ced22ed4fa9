// MoKA: one registry entry (defaults, checks, the per-layer factory, its real-scale count; no PEFT
// form), registered here.
import { lokrFactorization } from '@weft/core';
import { registerAdapterMethod, type AdapterMethod } from '../registry.js';
import { MOKA_DEFAULTS, checkMokaOptions, type MokaConfig } from './config.js';
import { MOKA_COUNT } from './count.js';
import { MokaLayer } from './layer.js';

export * from './config.js';
export * from './count.js';
export * from './layer.js';

/** The MoKA method (registered as "moka"). */
export const mokaMethod: AdapterMethod<MokaConfig, MokaLayer> = {
  label: 'MoKA',
  taxonomy: { peft: 'reparameterised', modular: { computation: 'parameter', routing: 'learned-soft', aggregation: 'parameter' } },
  defaults: MOKA_DEFAULTS,
  check: checkMokaOptions,
  factory(base, c, ctx) {
    return new MokaLayer(base, { experts: c.experts, decomposeFactor: c.decomposeFactor, alpha: c.alpha }, ctx.rng);
  },
  peft: null,
  count: MOKA_COUNT,
  cost({ inFeatures: i, outFeatures: o }, c) {
    const K = c.experts;
    const [inM, inN] = lokrFactorization(i, c.decomposeFactor);
    const [outL, outK] = lokrFactorization(o, c.decomposeFactor);
    // The gate x·G (2iK), its softmax (K) and mean statistic (K); per expert the Kronecker product
    // applied to x without forming it (2i·outK + 2·inM·o) and its gate weight (o); the sum (K − 1)o,
    // × alpha (o), + y (o). The gate depends on the input: nothing merges.
    return {
      trainable: K * (inM * outL + inN * outK) + i * K,
      flopsPerToken: 2 * i * K + 2 * K + K * (2 * i * outK + 2 * inM * o) + 2 * K * o + o,
      flopsPerCall: 0,
      mergeable: false,
    };
  },
};

registerAdapterMethod('moka', mokaMethod);

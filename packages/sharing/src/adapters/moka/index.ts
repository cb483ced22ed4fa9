// MoKA: one registry entry (defaults, checks, the per-layer factory, its real-scale count; no PEFT
// form), registered here.
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
};

registerAdapterMethod('moka', mokaMethod);

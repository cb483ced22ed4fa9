// IA3: one registry entry (defaults, checks, the per-layer factory, the PEFT codec, core's real-scale
// count), registered here.
import { IA3_COUNT } from '@weft/core';
import { registerAdapterMethod, type AdapterMethod } from '../registry.js';
import { IA3_DEFAULTS, checkIa3Options, isFeedforward, type Ia3Config } from './config.js';
import { Ia3Layer } from './layer.js';
import { IA3_PEFT } from './peft.js';

export * from './config.js';
export * from './layer.js';
export * from './peft.js';

/** The IA3 method (registered as "ia3"). */
export const ia3Method: AdapterMethod<Ia3Config, Ia3Layer> = {
  label: 'IA3',
  taxonomy: { peft: 'additive', modular: { computation: 'function', routing: 'fixed', aggregation: 'none' } },
  defaults: IA3_DEFAULTS,
  check: checkIa3Options,
  factory(base, c, ctx) {
    return new Ia3Layer(base, { feedforward: isFeedforward(c.feedforward, ctx.path), initWeights: c.initWeights }, ctx.rng);
  },
  peft: IA3_PEFT,
  // The calculator's option is PEFT's name, feedforwardModules (the Weft config's `feedforward`).
  count: IA3_COUNT,
  cost({ inFeatures: i, outFeatures: o }, c, path) {
    const n = isFeedforward(c.feedforward, path) ? i : o; // one scale per input (feed-forward) or output feature
    return { trainable: n, flopsPerToken: n, flopsPerCall: 0, mergeable: true };
  },
};

registerAdapterMethod('ia3', ia3Method);

// RoAd: one registry entry (defaults, checks, the per-layer factory, the PEFT codec, its real-scale
// count), registered here.
import { registerAdapterMethod, type AdapterMethod } from '../registry.js';
import { ROAD_DEFAULTS, checkRoadOptions, roadSize, type RoadConfig } from './config.js';
import { ROAD_COUNT } from './count.js';
import { RoadLayer } from './layer.js';
import { ROAD_PEFT } from './peft.js';

export * from './config.js';
export * from './count.js';
export * from './layer.js';
export * from './peft.js';
export * from './compose.js';

/** The RoAd method (registered as "road"). */
export const roadMethod: AdapterMethod<RoadConfig, RoadLayer> = {
  label: 'RoAd',
  taxonomy: { peft: 'additive', modular: { computation: 'function', routing: 'fixed', aggregation: 'none' } },
  defaults: ROAD_DEFAULTS,
  check: checkRoadOptions,
  factory(base, c, ctx) {
    if (base.outFeatures % c.groupSize !== 0) throw new Error(`RoAd: groupSize=${c.groupSize} must divide out=${base.outFeatures} of "${ctx.path}"`);
    return new RoadLayer(base, { variant: c.variant, groupSize: c.groupSize, initWeights: c.initWeights }, ctx.rng);
  },
  peft: ROAD_PEFT,
  count: ROAD_COUNT,
  cost({ outFeatures: o }, c) {
    // Per token y ⊙ f + rotate_half(y) ⊙ s (3.5 per output: the half negated); per call f = α cos θ, s = α sin θ (4o).
    return { trainable: 2 * roadSize(c.variant, o), flopsPerToken: (7 * o) / 2, flopsPerCall: 4 * o, mergeable: true };
  },
};

registerAdapterMethod('road', roadMethod);

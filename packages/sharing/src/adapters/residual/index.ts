// The residual adapter: one registry entry (defaults, checks, the per-layer factory, its real-scale
// count; no PEFT form), registered here.
import { registerAdapterMethod, type AdapterMethod } from '../registry.js';
import { RESIDUAL_DEFAULTS, checkResidualOptions, type ResidualConfig } from './config.js';
import { RESIDUAL_COUNT } from './count.js';
import { ResidualLayer } from './layer.js';

export * from './config.js';
export * from './count.js';
export * from './layer.js';

/** The residual adapter method (registered as "residual"). */
export const residualMethod: AdapterMethod<ResidualConfig, ResidualLayer> = {
  label: 'Residual adapter',
  taxonomy: { peft: 'additive', modular: { computation: 'function', routing: 'fixed', aggregation: 'none' } },
  defaults: RESIDUAL_DEFAULTS,
  check: checkResidualOptions,
  factory(base, c, ctx) {
    if (c.bottleneck !== null && c.bottleneck > base.outFeatures) {
      throw new Error(`Residual adapter: bottleneck=${c.bottleneck} at "${ctx.path}" must be in 1..${base.outFeatures}`);
    }
    return new ResidualLayer(base, { bottleneck: c.bottleneck, activation: c.activation }, ctx.rng);
  },
  peft: null,
  count: RESIDUAL_COUNT,
  cost({ outFeatures: o }, c) {
    const b = c.bottleneck;
    // y + y·M (2o² + o), or y + act(y·D)·U (4ob + o, + b for the ReLU); only a linear map folds into W.
    if (b === null) return { trainable: o * o, flopsPerToken: 2 * o * o + o, flopsPerCall: 0, mergeable: true };
    const relu = c.activation === 'relu';
    return { trainable: 2 * o * b, flopsPerToken: 4 * o * b + o + (relu ? b : 0), flopsPerCall: 0, mergeable: !relu };
  },
};

registerAdapterMethod('residual', residualMethod);

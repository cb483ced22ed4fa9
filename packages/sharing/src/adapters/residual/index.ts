// Residual adapter registration.
import type { AdapterMethod } from '../registry.js';
import { resolveResidualConfig, type ResidualConfig, type ResolvedResidualConfig } from './config.js';
import { ResidualLayer } from './layer.js';

export * from './config.js';
export * from './layer.js';

/** The residual adapter method (registered as "residual"). */
export const residualMethod: AdapterMethod<ResidualConfig, ResolvedResidualConfig> = {
  defaults: { bottleneck: null, activation: 'relu' },
  resolve: resolveResidualConfig,
  factory(base, c, ctx) {
    if (c.bottleneck !== null && c.bottleneck > base.outFeatures) {
      throw new Error(`Residual adapter: bottleneck=${c.bottleneck} at "${ctx.path}" must be in 1..${base.outFeatures}`);
    }
    return new ResidualLayer(base, { bottleneck: c.bottleneck, activation: c.activation }, ctx.rng);
  },
};

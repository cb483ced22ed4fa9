// MoKA registration.
import type { AdapterMethod } from '../registry.js';
import { resolveMokaConfig, type MokaConfig, type ResolvedMokaConfig } from './config.js';
import { MokaLayer } from './layer.js';

export * from './config.js';
export * from './layer.js';

/** The MoKA method (registered as "moka"). */
export const mokaMethod: AdapterMethod<MokaConfig, ResolvedMokaConfig> = {
  defaults: { experts: 4, decomposeFactor: -1, alpha: 1 },
  resolve: resolveMokaConfig,
  factory(base, c, ctx) {
    if (base.kind !== 'linear') throw new Error(`MoKA: "${ctx.path}" is a conv2d layer; MoKA supports Linear/Dense layers`);
    return new MokaLayer(base, { experts: c.experts, decomposeFactor: c.decomposeFactor, alpha: c.alpha }, ctx.rng);
  },
};

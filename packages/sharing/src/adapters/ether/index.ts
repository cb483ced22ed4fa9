// ETHER / ETHER+ registration.
import type { AdapterMethod } from '../registry.js';
import { resolveEtherConfig, type EtherConfig, type ResolvedEtherConfig } from './config.js';
import { EtherLayer } from './layer.js';

export * from './config.js';
export * from './layer.js';

/** The ETHER method (registered as "ether"; `plus: true` for ETHER+). */
export const etherMethod: AdapterMethod<EtherConfig, ResolvedEtherConfig> = {
  defaults: { plus: false, blocks: 1 },
  resolve: resolveEtherConfig,
  factory(base, c, ctx) {
    const n = c.blocks;
    if (base.outFeatures % n !== 0 || (c.plus && base.inFeatures % n !== 0)) {
      throw new Error(`ETHER: blocks=${n} at "${ctx.path}" must divide ${c.plus ? `in=${base.inFeatures} and ` : ''}out=${base.outFeatures}`);
    }
    if (c.plus && base.kind !== 'linear') throw new Error(`ETHER+: "${ctx.path}" is a conv2d layer; ETHER+ supports Linear/Dense layers`);
    return new EtherLayer(base, { plus: c.plus, blocks: n }, ctx.rng);
  },
};

// ETHER / ETHER+: one registry entry (defaults, checks, the per-layer factory, its real-scale
// count; no PEFT form), registered here.
import { registerAdapterMethod, type AdapterMethod } from '../registry.js';
import { ETHER_DEFAULTS, checkEtherOptions, etherBlocksError, type EtherConfig } from './config.js';
import { ETHER_COUNT } from './count.js';
import { EtherLayer } from './layer.js';

export * from './config.js';
export * from './count.js';
export * from './layer.js';

/** The ETHER method (registered as "ether"; `plus: true` for ETHER+). */
export const etherMethod: AdapterMethod<EtherConfig, EtherLayer> = {
  label: 'ETHER',
  taxonomy: { peft: 'reparameterised', modular: { computation: 'parameter', routing: 'fixed', aggregation: 'none' } },
  defaults: ETHER_DEFAULTS,
  check: checkEtherOptions,
  factory(base, c, ctx) {
    const bad = etherBlocksError(c, base.inFeatures, base.outFeatures, ctx.path);
    if (bad) throw new Error(bad);
    return new EtherLayer(base, { plus: c.plus, blocks: c.blocks }, ctx.rng);
  },
  peft: null,
  count: ETHER_COUNT,
};

registerAdapterMethod('ether', etherMethod);

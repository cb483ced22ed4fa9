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
  cost({ inFeatures: i, outFeatures: o }, c) {
    const n = c.blocks;
    // A reflection h − 2(h·û)û per block (5 per feature) on the output, plus swapping yBase for it (2o);
    // ETHER+: h − (h·û)û + (h·v̂)v̂ (8 per feature) on the input and the output. Per call each vector's
    // normalisation (4 per feature + a square root per block).
    if (!c.plus) return { trainable: o, flopsPerToken: 7 * o, flopsPerCall: 4 * o + n, mergeable: true };
    return { trainable: 2 * (i + o), flopsPerToken: 8 * i + 10 * o, flopsPerCall: 8 * (i + o) + 4 * n, mergeable: true };
  },
};

registerAdapterMethod('ether', etherMethod);

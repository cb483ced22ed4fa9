// Shears: one registry entry (defaults, checks, the per-layer factory; no PEFT form), the base
// sparsifier, and the sub-adapter selection used by NLS training and the rank search.
import type { Module, Rng } from '@weft/core';
import { adaptedLayers } from '../inject.js';
import { registerAdapterMethod, type AdapterMethod } from '../registry.js';
import { SHEARS_DEFAULTS, checkShearsOptions, type ShearsConfig } from './config.js';
import { ShearsLayer } from './layer.js';

export * from './config.js';
export * from './layer.js';
export * from './sparsify.js';

/** The Shears method (registered as "shears"). */
export const shearsMethod: AdapterMethod<ShearsConfig, ShearsLayer> = {
  label: 'Shears',
  taxonomy: { peft: 'hybrid', modular: { computation: 'parameter', routing: 'fixed', aggregation: 'none' } },
  defaults: SHEARS_DEFAULTS,
  check: checkShearsOptions,
  factory(base, c, ctx) {
    const cap = Math.min(base.inFeatures, base.outFeatures);
    if (c.ranks[0]! > cap) throw new Error(`Shears: largest rank ${c.ranks[0]} at "${ctx.path}" must be ≤ min(in, out)=${cap}`);
    return new ShearsLayer(base, { ranks: c.ranks, alpha: c.alpha }, ctx.rng);
  },
  peft: null,
  count: null,
  cost({ inFeatures: i, outFeatures: o }, c) {
    const r = c.ranks[0]!; // the supernet's largest rank (a searched sub-adapter costs its own rank's share)
    return { trainable: r * (i + o), flopsPerToken: 2 * r * (i + o) + o, flopsPerCall: r * o, mergeable: true };
  },
};

registerAdapterMethod('shears', shearsMethod);

/** The Shears layers of adapter `name`, by path. */
export function shearsLayers(model: Module<any, any>, name: string): Array<[string, ShearsLayer]> {
  return adaptedLayers(model).flatMap(([p, l]) => (l.has(name) && l.adapter(name) instanceof ShearsLayer ? [[p, l.adapter(name) as ShearsLayer] as [string, ShearsLayer]] : []));
}

/**
 * Choose adapter `name`'s sub-adapter: one rank per layer (in shearsLayers order), 'max' (the super-
 * adapter), or an Rng to draw each layer's rank uniformly from its choices (NLS training).
 */
export function setShearsRanks(model: Module<any, any>, name: string, ranks: number[] | 'max' | Rng): void {
  const layers = shearsLayers(model, name);
  if (Array.isArray(ranks) && ranks.length !== layers.length) throw new Error(`setShearsRanks: ${ranks.length} ranks for ${layers.length} Shears layers`);
  layers.forEach(([p, l], i) => {
    const choices = l.options.ranks;
    const r = ranks === 'max' ? choices[0]! : Array.isArray(ranks) ? ranks[i]! : choices[ranks.int(choices.length)]!;
    if (!choices.includes(r)) throw new Error(`setShearsRanks: rank ${r} at "${p}" must be one of ${choices.join(', ')}`);
    l.rank = r;
  });
}

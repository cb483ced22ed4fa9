// TAPS: one registry entry (defaults, checks, the per-layer factory for Linear/Dense and Conv2d
// layers, its real-scale count; no PEFT form), registered here; and the query of which layers it adapts.
import type { Module } from '@weft/core';
import { fanIn } from '../base-op.js';
import { adaptedLayers } from '../inject.js';
import { registerAdapterMethod, type AdapterMethod } from '../registry.js';
import { TAPS_DEFAULTS, checkTapsOptions, type TapsConfig } from './config.js';
import { TAPS_COUNT } from './count.js';
import { TapsLayer } from './layer.js';

export * from './config.js';
export * from './count.js';
export * from './layer.js';

/** The TAPS method (registered as "taps"). */
export const tapsMethod: AdapterMethod<TapsConfig, TapsLayer> = {
  label: 'TAPS',
  taxonomy: { peft: 'selective', modular: { computation: 'parameter', routing: 'learned-hard', aggregation: 'none' } },
  defaults: TAPS_DEFAULTS,
  check: checkTapsOptions,
  factory(base, c, ctx) {
    const limit = Math.min(fanIn(base), base.outFeatures);
    if (c.r !== null && c.r > limit) throw new Error(`TAPS: r=${c.r} at "${ctx.path}" must be an integer in 1..${limit}`);
    return new TapsLayer(base, { threshold: c.threshold, initScore: c.initScore, sparsity: c.sparsity, r: c.r }, ctx.rng);
  },
  peft: null,
  count: TAPS_COUNT,
  cost({ inFeatures: i, outFeatures: o }, c) {
    // The gated update x·Δ (dense 2io, or 2ir + 2ro factored), × gate (o), + y (o); per call the score's comparison.
    const dense = c.r === null;
    return { trainable: 1 + (dense ? i * o : c.r! * (i + o)), flopsPerToken: (dense ? 2 * i * o : 2 * c.r! * (i + o)) + 2 * o, flopsPerCall: 1, mergeable: true };
  },
};

registerAdapterMethod('taps', tapsMethod);

/** Paths of the layers TAPS adapter `name` currently adapts (score above the threshold), and their scores. */
export async function tapsActiveLayers(model: Module<any, any>, name: string): Promise<{ active: string[]; scores: Record<string, number> }> {
  const active: string[] = [];
  const scores: Record<string, number> = {};
  for (const [path, l] of adaptedLayers(model)) {
    if (!l.has(name)) continue;
    const a = l.adapter(name);
    if (!(a instanceof TapsLayer)) throw new Error(`tapsActiveLayers: adapter "${name}" at "${path}" is ${a.method}, not taps`);
    scores[path] = (await a.score.data())[0]!;
    if (await a.active()) active.push(path);
  }
  return { active, scores };
}

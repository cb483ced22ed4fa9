// Poly / MHR: one registry entry (defaults, checks, the per-layer factory, the PEFT codec, its
// real-scale count), registered here, and the whole-batch task setter.
import type { Module } from '@weft/core';
import { adaptedLayers } from '../inject.js';
import { registerAdapterMethod, type AdapterMethod } from '../registry.js';
import { POLY_DEFAULTS, checkPolyOptions, type PolyConfig } from './config.js';
import { POLY_COUNT } from './count.js';
import { PolyLayer } from './layer.js';
import { POLY_PEFT } from './peft.js';

export * from './config.js';
export * from './count.js';
export * from './layer.js';
export * from './peft.js';

/** The Poly method (registered as "poly"; nSplits > 1 is MHR). */
export const polyMethod: AdapterMethod<PolyConfig, PolyLayer> = {
  label: 'Poly',
  taxonomy: { peft: 'reparameterised', modular: { computation: 'parameter', routing: 'learned-soft', aggregation: 'parameter' } },
  defaults: POLY_DEFAULTS,
  check: checkPolyOptions,
  factory(base, c, ctx) {
    if (base.kind !== 'linear') throw new Error(`Poly: "${ctx.path}" is a conv2d layer; Poly supports Linear/Dense layers`);
    if (base.inFeatures % c.nSplits !== 0 || base.outFeatures % c.nSplits !== 0) {
      throw new Error(`Poly: nSplits=${c.nSplits} must divide in=${base.inFeatures} and out=${base.outFeatures} of "${ctx.path}"`);
    }
    return new PolyLayer(base, { r: c.r, nTasks: c.nTasks, nSkills: c.nSkills, nSplits: c.nSplits, initWeights: c.initWeights }, ctx.rng);
  },
  peft: POLY_PEFT,
  count: POLY_COUNT,
  cost({ inFeatures: i, outFeatures: o }, c) {
    const { r, nSkills: S, nSplits: Q, nTasks: T } = c;
    // Per call (one task) the routing sigmoid, normalisation (3QS + Q) and the mixed factors (2S·r(i + o));
    // per token x·A·B / r (2r(i + o) + o) + y (o). A task's mixture folds into W.
    return { trainable: S * r * (i + o) + T * Q * S, flopsPerToken: 2 * r * (i + o) + 2 * o, flopsPerCall: 3 * Q * S + Q + 2 * S * r * (i + o), mergeable: true };
  },
};

registerAdapterMethod('poly', polyMethod);

/** The task every example uses when no per-example ids are given (withTaskIds), for Poly adapter `name`. */
export function setPolyTask(model: Module<any, any>, name: string, task: number): void {
  for (const [, l] of adaptedLayers(model)) {
    if (!l.has(name)) continue;
    const a = l.adapter(name);
    if (!(a instanceof PolyLayer)) throw new Error(`setPolyTask: "${name}" is ${a.method}, not Poly`);
    if (!Number.isInteger(task) || task < 0 || task >= a.options.nTasks) throw new Error(`setPolyTask: task=${task} must be an integer in 0..${a.options.nTasks - 1}`);
    a.task = task;
  }
}

// Hypernetwork adapters: one registry entry (defaults, checks, the per-layer factory, its real-scale
// count; no PEFT form), registered here. The hypernetwork is created once per injection (keyed by
// the resolved config, shared by its layers); each targeted layer has its own layer embedding.
import type { Module } from '@weft/core';
import { fanIn } from '../base-op.js';
import type { ResolvedConfig } from '../config.js';
import { adaptedLayers } from '../inject.js';
import { registerAdapterMethod, type AdapterMethod } from '../registry.js';
import { HYPER_DEFAULTS, checkHyperOptions, type HyperConfig } from './config.js';
import { HYPER_COUNT } from './count.js';
import { HyperLayer, makeHyperNet, type HyperNet } from './layer.js';

export * from './config.js';
export * from './count.js';
export * from './layer.js';

const nets = new WeakMap<ResolvedConfig<HyperConfig>, { net: HyperNet; shape: [number, number] }>();

/** The hypernetwork adapter method (registered as "hyper"). */
export const hyperMethod: AdapterMethod<HyperConfig, HyperLayer> = {
  label: 'Hypernetwork adapter',
  taxonomy: { peft: 'reparameterised', modular: { computation: 'parameter', routing: 'fixed', aggregation: 'none' } },
  defaults: HYPER_DEFAULTS,
  check: checkHyperOptions,
  factory(base, c, ctx) {
    // The generated factors are A [fanIn, r] and B [r, out] (a conv layer's fanIn is kh·kw·in); a bottleneck's [out, r] and [r, out].
    const k = c.form === 'bottleneck' ? base.outFeatures : fanIn(base);
    let entry = nets.get(c);
    if (!entry) {
      if (c.r > Math.min(k, base.outFeatures)) throw new Error(`Hypernetwork adapter: r=${c.r} must be in 1..${Math.min(k, base.outFeatures)}`);
      entry = { net: makeHyperNet({ ...c, inF: k, outF: base.outFeatures }, ctx.rng.fork('hypernetwork')), shape: [k, base.outFeatures] };
      nets.set(c, entry);
    }
    if (entry.shape[0] !== k || entry.shape[1] !== base.outFeatures) {
      throw new Error(`Hypernetwork adapter: "${ctx.path}" is ${k}→${base.outFeatures} but the first targeted layer is ${entry.shape[0]}→${entry.shape[1]}; all targets must have one shape`);
    }
    return new HyperLayer(base, entry.net, c.layerDim, c.r, ctx.rng, c.form);
  },
  peft: null,
  count: HYPER_COUNT,
  cost({ inFeatures: i, outFeatures: o }, c) {
    const { tasks: T, taskDim: dt, layerDim: dl, hidden: h, r } = c;
    const a = c.form === 'bottleneck' ? o : i; // rows of the generated down-projection
    // Per call the hypernetwork: ReLU([task, layer]·P + b) (2(dt+dl)h + 2h), A = z·Ha + ba (2h·a·r + a·r),
    // B = z·Hb/√h (2h·r·o + r·o). Per token the generated LoRA (2ir + 2ro + o), or bottleneck with its ReLU (2or + r + 2ro + o).
    return {
      trainable: T * dt + (dt + dl) * h + h + h * a * r + a * r + h * r * o + dl,
      flopsPerToken: 2 * a * r + 2 * r * o + o + (c.form === 'bottleneck' ? r : 0),
      flopsPerCall: 2 * (dt + dl) * h + 2 * h + 2 * h * a * r + a * r + 2 * h * r * o + r * o,
      mergeable: c.form === 'lora',
    };
  },
};

registerAdapterMethod('hyper', hyperMethod);

/** Select the task whose adapters hypernetwork adapter `name` generates. */
export function setHyperTask(model: Module<any, any>, name: string, task: number): void {
  let found = false;
  for (const [, l] of adaptedLayers(model)) {
    if (!l.has(name)) continue;
    const a = l.adapter(name);
    if (!(a instanceof HyperLayer)) throw new Error(`setHyperTask: adapter "${name}" is ${a.method}, not hyper`);
    const tasks = a.net.taskEmb.shape[0]!;
    if (!Number.isInteger(task) || task < 0 || task >= tasks) throw new Error(`setHyperTask: task=${task} must be an integer in 0..${tasks - 1}`);
    a.net.task = task;
    found = true;
  }
  if (!found) throw new Error(`setHyperTask: no hypernetwork adapter "${name}"`);
}

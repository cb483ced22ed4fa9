// 1bit-Merging: Dynamic Quantized Merging for Large Language Models (arXiv:2502.10743): task vectors
// stored as 1 bit per entry — sign(τ) times one scale per layer, mean |τ| (the scale that keeps the
// task vector's L1 mass) — next to the shared merged weights, and each example routed to its task's
// quantized vector (routeByUncertainty, or the task id when known). The paper keeps a task's 1-bit
// vectors only on the layers that hold its knowledge (attention for chat, MLP for math and code) and
// fuses the rest into the base: `routedLayers` names each task's routed layers, and on every layer the
// task vectors not routed there are merged by task arithmetic (mean by default) into one fused ΔW that
// every expert carries. Expert t = fused + Q(τ_t) on its routed layers, written as adapter
// `${prefix}${t}`. Default: every layer routed for every task (nothing fused). Departure: which layers
// a task routes is the caller's choice, not picked from the task's kind.
import type { Module } from '@weft/core';
import { checkKnownKeys, describeValue } from '@weft/core';
import { checkNumber } from '@weft/core/internal';
import { addDeltaAdapter, readTaskVectors } from './task-adapters.js';

/** Options of {@link oneBitMerge}. */
export interface OneBitOptions {
  /**
   * Per source adapter name, the layer paths whose task vector it keeps as a routed 1-bit expert; its
   * task vectors on the other layers are fused into the shared ΔW. A source left out routes every layer.
   * Default: {} (every layer routed for every source).
   */
  routedLayers?: Record<string, string[]>;
  /** Weight λ of each fused task vector (fused ΔW = λ Σ τ over the tasks fused there); null: 1 / (tasks fused there), their mean. Default: null. */
  fusedWeight?: number | null;
}

/** What {@link oneBitMerge} built. */
export interface OneBitResult {
  experts: string[];
  /**
   * Bits stored for the task vectors ÷ their float32 bits: 1 per routed entry and a 32-bit scale per
   * routed layer and task, plus 32 per entry of each layer that carries a fused ΔW (stored once).
   */
  storageRatio: number;
  /** Per layer path: the sources routed there and the sources fused there. */
  layers: Array<{ path: string; routed: string[]; fused: string[] }>;
}

/** sign(τ) · mean|τ|: the 1-bit form of a task vector. */
export function oneBitQuantize(t: Float32Array): Float32Array {
  let mass = 0;
  for (const v of t) mass += Math.abs(v);
  const scale = mass / t.length;
  return t.map((v) => Math.sign(v) * scale);
}

/** Quantize every source's routed task vectors to 1 bit per entry, fuse the others, and write one expert adapter per task. */
export async function oneBitMerge(model: Module<any, any>, sources: string[], prefix: string, options: OneBitOptions = {}): Promise<OneBitResult> {
  const fn = 'oneBitMerge';
  checkKnownKeys(`${fn}: options`, options, ['routedLayers', 'fusedWeight']);
  const routedLayers = options.routedLayers ?? {};
  if (typeof routedLayers !== 'object' || routedLayers === null || Array.isArray(routedLayers)) throw new Error(`${fn}: routedLayers=${describeValue(routedLayers)} must be an object {source: layer paths}`);
  const lambda = options.fusedWeight ?? null;
  if (lambda !== null) checkNumber(fn, 'fusedWeight', lambda);
  const layers = await readTaskVectors(model, sources, fn);
  const paths = layers.map((l) => l.path);
  for (const [src, ps] of Object.entries(routedLayers)) {
    if (!sources.includes(src)) throw new Error(`${fn}: routedLayers names ${describeValue(src)}, which is not a source (sources: ${sources.join(', ')})`);
    if (!Array.isArray(ps)) throw new Error(`${fn}: routedLayers[${describeValue(src)}]=${describeValue(ps)} must be a list of layer paths`);
    for (const p of ps) if (!paths.includes(p)) throw new Error(`${fn}: routedLayers[${describeValue(src)}] names layer ${describeValue(p)}, which not every source adapts (layers: ${paths.join(', ')})`);
  }
  const routes = (t: number, path: string) => !Object.hasOwn(routedLayers, sources[t]!) || routedLayers[sources[t]!]!.includes(path);
  const fused = layers.map((l) => {
    const from = l.tasks.map((_, t) => t).filter((t) => !routes(t, l.path));
    if (from.length === 0) return null;
    const w = lambda ?? 1 / from.length;
    return l.tasks[0]!.map((_, j) => from.reduce((s, t) => s + w * l.tasks[t]![j]!, 0));
  });
  const experts = sources.map((_, t) => `${prefix}${t}`);
  experts.forEach((name, t) => addDeltaAdapter(layers, new Map(layers.map((l, k) => {
    const q = routes(t, l.path) ? oneBitQuantize(l.tasks[t]!) : null;
    const f = fused[k];
    return [l.path, f && q ? f.map((v, j) => v + q[j]!) : (q ?? f ?? new Float32Array(l.tasks[0]!.length))];
  })), name, fn));
  let bits = 0, full = 0;
  layers.forEach((l, k) => {
    const n = l.tasks[0]!.length;
    full += 32 * sources.length * n;
    const routedHere = sources.filter((_, t) => routes(t, l.path)).length;
    bits += routedHere * (n + 32) + (fused[k] ? 32 * n : 0);
  });
  return {
    experts,
    storageRatio: bits / full,
    layers: layers.map((l) => ({ path: l.path, routed: sources.filter((_, t) => routes(t, l.path)), fused: sources.filter((_, t) => !routes(t, l.path)) })),
  };
}

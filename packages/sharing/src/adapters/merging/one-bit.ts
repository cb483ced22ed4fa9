// 1bit-Merging: Dynamic Quantized Merging for Large Language Models (arXiv:2502.10743): task vectors
// stored as 1 bit per entry — sign(τ) times one scale per layer, mean |τ| (the scale that keeps the
// task vector's L1 mass) — next to the shared merged weights, and each example routed to its task's
// quantized vector (routeByUncertainty, or the task id when known). Expert t = Q(τ_t) on every layer
// the sources share, written as adapter `${prefix}${t}`. Departure: every layer is quantized and
// routed (the paper picks attention or MLP layers by the kind of task).
import type { Module } from '@weft/core';
import { addDeltaAdapter, readTaskVectors } from './task-adapters.js';

/** What {@link oneBitMerge} built. */
export interface OneBitResult {
  experts: string[];
  /** Bits stored for the task vectors (1 per entry + a 32-bit scale per layer and task) ÷ their float32 bits. */
  storageRatio: number;
}

/** sign(τ) · mean|τ|: the 1-bit form of a task vector. */
export function oneBitQuantize(t: Float32Array): Float32Array {
  let mass = 0;
  for (const v of t) mass += Math.abs(v);
  const scale = mass / t.length;
  return t.map((v) => Math.sign(v) * scale);
}

/** Quantize every source's task vector to 1 bit per entry and write one expert adapter per task. */
export async function oneBitMerge(model: Module<any, any>, sources: string[], prefix: string): Promise<OneBitResult> {
  const fn = 'oneBitMerge';
  const layers = await readTaskVectors(model, sources, fn);
  const experts = sources.map((_, t) => `${prefix}${t}`);
  experts.forEach((name, t) => addDeltaAdapter(layers, new Map(layers.map((l) => [l.path, oneBitQuantize(l.tasks[t]!)])), name, fn));
  const entries = layers.reduce((s, l) => s + l.tasks[0]!.length, 0);
  return { experts, storageRatio: (entries + 32 * layers.length) / (32 * entries) };
}

// Mediator: Memory-efficient LLM Merging with Less Parameter Conflicts and Uncertainty Based Routing
// (arXiv:2502.04411): per layer, the conflict between the task vectors (the fraction of entries,
// among those some task changes markedly, whose signs disagree) ranks the layers: the `routed`
// fraction with the most conflict keep each task's own ΔW as a routed expert, the rest are averaged once. Expert t is written as
// adapter `${prefix}${t}` (averaged layers + task t's conflicting layers); at inference examples are
// routed to the expert with the least uncertain prediction (routeByUncertainty). Departures: the
// routed experts are stored dense (the paper splits them into a dense and sparse parts); routing
// picks one expert per example (the paper may mix experts for out-of-distribution inputs).
import type { Module } from '@weft/core';
import { checkNumber } from '@weft/core/internal';
import { addDeltaAdapter, readTaskVectors } from './task-adapters.js';

/** Options of {@link mediatorMerge}. */
export interface MediatorOptions {
  /** Fraction of the layers (the most conflicting) routed per task; the others are averaged. In [0, 1]. Default: 0.5. */
  routed?: number;
  /** Entries counted in the conflict: those whose |τ| is in some task's top `significant` fraction. Default: 0.2. */
  significant?: number;
}

/** What {@link mediatorMerge} built. */
export interface MediatorResult {
  /** Expert adapter names, one per source task. */
  experts: string[];
  /** Per layer path: its sign-conflict ratio and whether it was routed. */
  layers: Array<{ path: string; conflict: number; routed: boolean }>;
  /** Stored ΔW entries of the merge ÷ those of keeping every task's ΔW (averaged layers once, routed ones per task). */
  storageRatio: number;
}

/** Sign-conflict ratio of task vectors: among entries some task changes markedly, the share where tasks disagree in sign. */
export function signConflict(tasks: Float32Array[], significant: number): number {
  const n = tasks[0]!.length;
  const thresholds = tasks.map((t) => {
    const s = Float64Array.from(t, Math.abs).sort();
    return s[Math.min(n - 1, Math.floor(n * (1 - significant)))]!;
  });
  let marked = 0, conflicting = 0;
  for (let j = 0; j < n; j++) {
    if (!tasks.some((t, i) => Math.abs(t[j]!) >= thresholds[i]! && t[j] !== 0)) continue;
    marked++;
    const signs = new Set(tasks.map((t) => Math.sign(t[j]!)).filter((s) => s !== 0));
    if (signs.size > 1) conflicting++;
  }
  return marked === 0 ? 0 : conflicting / marked;
}

/** Mediator's layer-wise average-or-route merge of adapters `sources` (see the file header). */
export async function mediatorMerge(model: Module<any, any>, sources: string[], prefix: string, options: MediatorOptions = {}): Promise<MediatorResult> {
  const fn = 'mediatorMerge';
  const routedShare = checkNumber(fn, 'routed', options.routed ?? 0.5, 0, 1);
  const significant = checkNumber(fn, 'significant', options.significant ?? 0.2, 0, 1);
  const layers = await readTaskVectors(model, sources, fn);
  const T = sources.length;
  const info = layers.map((l) => ({ path: l.path, conflict: signConflict(l.tasks, significant) }));
  const order = info.map((_, k) => k).sort((a, b) => info[b]!.conflict - info[a]!.conflict || a - b);
  const routedSet = new Set(order.slice(0, Math.round(routedShare * info.length)));
  const routed = info.map((_, k) => routedSet.has(k));
  let stored = 0, full = 0;
  const experts = sources.map((_, t) => `${prefix}${t}`);
  experts.forEach((name, t) => {
    const deltas = new Map<string, Float32Array>();
    layers.forEach((l, k) => {
      if (routed[k]) deltas.set(l.path, l.tasks[t]!);
      else deltas.set(l.path, l.tasks[0]!.map((_, j) => l.tasks.reduce((s, x) => s + x[j]!, 0) / T));
    });
    addDeltaAdapter(layers, deltas, name, fn);
  });
  layers.forEach((l, k) => {
    full += T * l.tasks[0]!.length;
    stored += (routed[k] ? T : 1) * l.tasks[0]!.length;
  });
  return { experts, layers: info.map((i, k) => ({ ...i, routed: routed[k]! })), storageRatio: stored / full };
}

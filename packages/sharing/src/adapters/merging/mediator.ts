// Mediator: Memory-efficient LLM Merging with Less Parameter Conflicts and Uncertainty Based Routing
// (arXiv:2502.04411): per layer, the conflict between the task vectors (the fraction of entries,
// among those some task changes markedly, whose signs disagree) ranks the layers: the `routed`
// fraction with the most conflict keep each task's own ΔW as a routed expert, the rest are averaged once. Expert t is written as
// adapter `${prefix}${t}` (averaged layers + task t's conflicting layers). The paper's compression of
// the routed layers (`density` < 1): the experts are decoupled into one dense expert, their average
// τ̄, and per task a sparse expert, the residual τ_t − τ̄ magnitude-pruned to `density` (as TIES
// trims), so expert t = τ̄ + prune(τ_t − τ̄). At inference each example is routed by the uncertainty
// of the experts' predictions (routeByUncertainty): the least uncertain expert when confident, a
// mixture of experts weighted by certainty otherwise (the paper's out-of-distribution case).
// Departure: that mixture weighs the experts' outputs, where the paper merges their parameters.
import { checkKnownKeys, type Module } from '@weft/core';
import { checkNumber } from '@weft/core/internal';
import { magnitudePrune } from './prune.js';
import { addDeltaAdapter, readTaskVectors } from './task-adapters.js';

/** Options of {@link mediatorMerge}. */
export interface MediatorOptions {
  /** Fraction of the layers (the most conflicting) routed per task; the others are averaged. In [0, 1]. Default: 0.5. */
  routed?: number;
  /** Entries counted in the conflict: those whose |τ| is in some task's top `significant` fraction. Default: 0.2. */
  significant?: number;
  /**
   * Share of each routed layer's task-specific residual τ_t − τ̄ kept (largest magnitudes), in (0, 1];
   * 1 keeps every routed expert whole (τ_t exactly). Default: 1.
   */
  density?: number;
}

/** What {@link mediatorMerge} built. */
export interface MediatorResult {
  /** Expert adapter names, one per source task. */
  experts: string[];
  /** Per layer path: its sign-conflict ratio and whether it was routed. */
  layers: Array<{ path: string; conflict: number; routed: boolean }>;
  /**
   * Stored numbers of the merge ÷ those of keeping every task's ΔW: averaged layers once; routed layers
   * per task when dense (density 1), else the dense expert once plus each sparse expert's kept values
   * and their int32 indices (two numbers per kept entry).
   */
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
  checkKnownKeys(`${fn}: options`, options, ['routed', 'significant', 'density']);
  const routedShare = checkNumber(fn, 'routed', options.routed ?? 0.5, 0, 1);
  const significant = checkNumber(fn, 'significant', options.significant ?? 0.2, 0, 1);
  const density = checkNumber(fn, 'density', options.density ?? 1, 0, 1);
  if (density === 0) throw new Error(`${fn}: density=0 must be > 0 (0 would drop every task-specific residual: use routed=0 to average every layer)`);
  const layers = await readTaskVectors(model, sources, fn);
  const T = sources.length;
  const info = layers.map((l) => ({ path: l.path, conflict: signConflict(l.tasks, significant) }));
  const order = info.map((_, k) => k).sort((a, b) => info[b]!.conflict - info[a]!.conflict || a - b);
  const routedSet = new Set(order.slice(0, Math.round(routedShare * info.length)));
  const routed = info.map((_, k) => routedSet.has(k));
  let stored = 0, full = 0;
  const averages = layers.map((l) => l.tasks[0]!.map((_, j) => l.tasks.reduce((s, x) => s + x[j]!, 0) / T)); // τ̄ per layer
  /** Expert t's ΔW on routed layer k: τ_t whole, or the dense τ̄ plus the sparse residual. */
  const routedDelta = (k: number, t: number): Float32Array => {
    const task = layers[k]!.tasks[t]!, avg = averages[k]!;
    if (density >= 1) return task;
    const sparse = magnitudePrune(task.map((v, j) => v - avg[j]!), density);
    return avg.map((v, j) => v + sparse[j]!);
  };
  const experts = sources.map((_, t) => `${prefix}${t}`);
  experts.forEach((name, t) => {
    addDeltaAdapter(layers, new Map(layers.map((l, k) => [l.path, routed[k] ? routedDelta(k, t) : averages[k]!])), name, fn);
  });
  layers.forEach((l, k) => {
    const n = l.tasks[0]!.length;
    full += T * n;
    if (!routed[k]) stored += n;
    else stored += density >= 1 ? T * n : n + T * 2 * Math.floor(density * n);
  });
  return { experts, layers: info.map((i, k) => ({ ...i, routed: routed[k]! })), storageRatio: stored / full };
}

// CABS: Conflict-Aware and Balanced Sparsification for Enhancing Model Merging (arXiv:2503.01874):
// task vectors are pruned one after another (in the given order) with n:m magnitude pruning — keep
// the n largest |τ| of every m consecutive entries (balanced sparsity) — each among the entries no
// earlier task kept (conflict-aware: the kept sets do not overlap); merge = Σ wᵢ (mᵢ ⊙ τᵢ). When a
// group has fewer than n free entries, the task keeps only those.
import { checkPositiveInt } from '@weft/core/internal';
import { registerMergeMethod } from './registry.js';

/** Options of "cabs". */
export interface CabsOptions {
  /** Entries kept per group of m. Default: 1. */
  n: number;
  /** Group size of the n:m pruning. Default: 4 (25% density per task, so 4 tasks can fill a layer without overlap). */
  m: number;
}

/** CABS' masks: one Uint8Array per task, disjoint, each keeping ≤ n of every m consecutive entries. */
export function cabsMasks(tasks: Float32Array[], n: number, m: number): Uint8Array[] {
  const len = tasks[0]!.length;
  const taken = new Uint8Array(len);
  return tasks.map((t) => {
    const mask = new Uint8Array(len);
    for (let start = 0; start < len; start += m) {
      const free: number[] = [];
      for (let j = start; j < Math.min(start + m, len); j++) if (!taken[j]) free.push(j);
      free.sort((a, b) => Math.abs(t[b]!) - Math.abs(t[a]!) || a - b);
      for (const j of free.slice(0, n)) {
        mask[j] = 1;
        taken[j] = 1;
      }
    }
    return mask;
  });
}

registerMergeMethod('cabs', {
  label: 'CABS',
  paper: 'CABS: Conflict-Aware and Balanced Sparsification for Enhancing Model Merging (arXiv:2503.01874)',
  defaults: { n: 1, m: 4 } satisfies CabsOptions,
  check: (o: CabsOptions, where) => {
    const n = checkPositiveInt(where, 'n', o.n), m = checkPositiveInt(where, 'm', o.m);
    if (n > m) throw new Error(`${where}: n=${n} must be ≤ m=${m} (n of every m entries are kept)`);
    return { n, m };
  },
  merge(tasks, weights, o: CabsOptions) {
    const masks = cabsMasks(tasks, o.n, o.m);
    const out = new Float32Array(tasks[0]!.length);
    tasks.forEach((t, i) => t.forEach((v, j) => (out[j]! += masks[i]![j]! ? weights[i]! * v : 0)));
    return out;
  },
});

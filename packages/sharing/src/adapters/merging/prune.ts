// TIES-Merging (arXiv:2306.01708) and DARE: Language Models are Super Mario (arXiv:2311.03099):
// the element-wise primitives of PEFT's peft/utils/merge_utils.py on flat task tensors (any layout:
// every operation is per entry or over the whole tensor). Both PEFT's add_weighted_adapter and
// Weft's ΔW merges use them. Departure: DARE's Bernoulli mask comes from a seeded Weft Rng.
import type { Rng } from '@weft/core';

/** How TIES elects each entry's sign: 'total' (sign of Σ values) or 'frequency' (sign of Σ signs). */
export type MajoritySignMethod = 'total' | 'frequency';

/**
 * Keep the k = ⌊density · n⌋ largest-magnitude entries and zero the rest (PEFT's
 * magnitude_based_pruning; density ≥ 1 keeps everything, 0 drops everything). Ties at the
 * threshold keep the earlier entries. Returns a new array.
 */
export function magnitudePrune(x: Float32Array, density: number): Float32Array {
  if (density >= 1) return Float32Array.from(x);
  const k = Math.floor(density * x.length);
  const out = new Float32Array(x.length);
  if (k <= 0) return out;
  const order = Array.from(x.keys()).sort((i, j) => Math.abs(x[j]!) - Math.abs(x[i]!) || i - j);
  for (let c = 0; c < k; c++) out[order[c]!] = x[order[c]!]!;
  return out;
}

/**
 * DARE's random drop: keep each entry with probability `density` (a Bernoulli mask drawn from
 * `rng`), and with `rescale` divide the kept ones by density so the expectation is unchanged
 * (PEFT's random_pruning). density ≥ 1 keeps everything unscaled.
 */
export function randomPrune(x: Float32Array, density: number, rng: Rng, rescale = true): Float32Array {
  if (density >= 1) return Float32Array.from(x);
  return x.map((v) => (rng.next() < density ? (rescale ? v / density : v) : 0));
}

/**
 * TIES' elected sign mask: entry j of task t is kept when sign(τ_t[j]) equals the majority sign of
 * entry j (≥ 0 counts as +). Returns one Uint8Array per task.
 */
export function majoritySignMask(tasks: Float32Array[], method: MajoritySignMethod): Uint8Array[] {
  const n = tasks[0]!.length;
  const masks = tasks.map(() => new Uint8Array(n));
  for (let j = 0; j < n; j++) {
    let vote = 0;
    for (const t of tasks) vote += method === 'total' ? t[j]! : Math.sign(t[j]!);
    const elected = vote >= 0 ? 1 : -1;
    tasks.forEach((t, i) => (masks[i]![j] = Math.sign(t[j]!) === elected ? 1 : 0));
  }
  return masks;
}

/** Σ_t w_t τ_t (task arithmetic). */
export function weightedSum(tasks: Float32Array[], weights: readonly number[]): Float32Array {
  const out = new Float32Array(tasks[0]!.length);
  tasks.forEach((t, i) => t.forEach((v, j) => (out[j]! += weights[i]! * v)));
  return out;
}

/**
 * TIES' disjoint merge: the signs are elected on the unweighted `tasks`, then each entry is the
 * sum of the agreeing weighted values divided by how many tasks agree (at least 1) — PEFT's
 * calculate_majority_sign_mask + disjoint_merge.
 */
export function disjointMerge(tasks: Float32Array[], weights: readonly number[], method: MajoritySignMethod): Float32Array {
  const masks = majoritySignMask(tasks, method);
  const n = tasks[0]!.length;
  const out = new Float32Array(n);
  for (let j = 0; j < n; j++) {
    let sum = 0, count = 0;
    tasks.forEach((t, i) => {
      if (masks[i]![j]) {
        sum += weights[i]! * t[j]!;
        count++;
      }
    });
    out[j] = sum / Math.max(count, 1);
  }
  return out;
}

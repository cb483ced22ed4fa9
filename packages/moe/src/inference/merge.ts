// A Survey on Inference Optimization Techniques for Mixture of Experts Models (Liu et al., arXiv:2412.14219).
// Expert merging (the survey's §algorithm improvement, e.g. MC-SMoE): greedily group the most similar
// experts (cosine of their flattened weights) into `groups` and replace each group by the
// frequency-weighted average of its members; the router keeps its E outputs and each expert is
// remapped to its group's slot. Departs from MC-SMoE: no neuron permutation alignment before averaging.
import { resolveConfig } from '@weft/core';
import { checkInt } from '@weft/core/internal';
import type { ExpertPlan, ExpertUsage } from './plan.js';
import { slotImportance } from './prune.js';

/** Options of {@link mergePlan}. */
export interface MergeOptions {
  /** Merged experts to store (1 ≤ groups ≤ stored); null halves the count, rounded up. Default: null. */
  groups: number | null;
}

/** Defaults of {@link MergeOptions}. */
export const MERGE_DEFAULTS: MergeOptions = { groups: null };

/** Flattened weights of stored slot s: [w1, b1, w2, b2]. */
function flat(p: ExpertPlan, s: number): Float64Array {
  const { dim: d, hidden: h } = p;
  const parts = [p.w1.subarray(s * d * h, (s + 1) * d * h), p.b1.subarray(s * h, (s + 1) * h), p.w2.subarray(s * h * d, (s + 1) * h * d), p.b2.subarray(s * d, (s + 1) * d)];
  return Float64Array.from(parts.flatMap((a) => Array.from(a)));
}

function cosine(a: Float64Array, b: Float64Array): number {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return ab / Math.sqrt(aa * bb || 1);
}

/**
 * Groups of stored slots, most-similar pairs joined first (average linkage on cosine similarity)
 * until `groups` remain; each group sorted, groups ordered by their first slot.
 */
export function similarityGroups(p: ExpertPlan, groups: number): number[][] {
  const vecs = Array.from({ length: p.stored }, (_, s) => flat(p, s));
  const sim = vecs.map((a) => vecs.map((b) => cosine(a, b)));
  let gs = vecs.map((_, s) => [s]);
  const link = (a: number[], b: number[]) => a.reduce((t, i) => t + b.reduce((u, j) => u + sim[i]![j]!, 0), 0) / (a.length * b.length);
  while (gs.length > groups) {
    let best = [0, 1];
    let bestSim = -Infinity;
    for (let i = 0; i < gs.length; i++)
      for (let j = i + 1; j < gs.length; j++) {
        const v = link(gs[i]!, gs[j]!);
        if (v > bestSim) [bestSim, best] = [v, [i, j]];
      }
    const [i, j] = best as [number, number];
    gs = [...gs.filter((_, g) => g !== i && g !== j), [...gs[i]!, ...gs[j]!].sort((a, b) => a - b)];
  }
  return gs.sort((a, b) => a[0]! - b[0]!);
}

/** The plan with similar experts merged: each group's weights are its members' usage-weighted average. */
export function mergePlan(p: ExpertPlan, usage: ExpertUsage, options: Partial<MergeOptions> = {}): ExpertPlan {
  const o = resolveConfig('mergePlan', MERGE_DEFAULTS, options);
  const groups = o.groups === null ? Math.ceil(p.stored / 2) : checkInt('mergePlan', 'groups', o.groups, 1, p.stored);
  const gs = similarityGroups(p, groups);
  const freq = slotImportance(p, usage, 'frequency');
  const { dim: d, hidden: h } = p;
  const avg = (a: Float32Array, size: number) => {
    const out = new Float32Array(gs.length * size);
    gs.forEach((g, gi) => {
      const ws = g.map((s) => freq[s]! + 1e-6); // unused experts still count a little, so a group never divides by zero
      const total = ws.reduce((t, w) => t + w, 0);
      g.forEach((s, m) => {
        for (let i = 0; i < size; i++) out[gi * size + i]! += (ws[m]! / total) * a[s * size + i]!;
      });
    });
    return out;
  };
  const groupOf = new Map(gs.flatMap((g, gi) => g.map((s) => [s, gi] as const)));
  return {
    ...p, stored: gs.length, w1: avg(p.w1, d * h), b1: avg(p.b1, h), w2: avg(p.w2, h * d), b2: avg(p.b2, d),
    slot: Int32Array.from(p.slot, (s) => (s < 0 ? -1 : groupOf.get(s)!)),
  };
}

// A Survey on Inference Optimization Techniques for Mixture of Experts Models (Liu et al., arXiv:2412.14219).
// Expert pruning (the survey's §model-level compression): keep the `keep` experts with the highest
// routing frequency or gate mass on calibration data; the router never picks the others.
import { resolveConfig } from '@weft/core';
import { checkInt, checkOneOf } from '@weft/core/internal';
import type { ExpertPlan, ExpertUsage } from './plan.js';

/** Options of {@link prunePlan}. */
export interface PruneOptions {
  /** Experts to keep (1 ≤ keep ≤ stored); null keeps half, rounded up. Default: null. */
  keep: number | null;
  /** Importance: share of routing picks ('frequency') or summed gates ('gateMass'). Default: 'frequency'. */
  by: 'frequency' | 'gateMass';
}

/** Defaults of {@link PruneOptions}. */
export const PRUNE_DEFAULTS: PruneOptions = { keep: null, by: 'frequency' };

/** Importance of each stored slot: the usage of the router experts stored in it, summed. */
export function slotImportance(p: ExpertPlan, usage: ExpertUsage, by: PruneOptions['by']): Float64Array {
  const imp = new Float64Array(p.stored);
  p.slot.forEach((s, e) => {
    if (s >= 0) imp[s]! += usage[by][e]!;
  });
  return imp;
}

/** Copy stored slots `slots` (in order) of a plan's expert arrays. */
export function gatherSlots(p: ExpertPlan, slots: readonly number[]): Pick<ExpertPlan, 'w1' | 'b1' | 'w2' | 'b2'> {
  const { dim: d, hidden: h } = p;
  const take = (a: Float32Array, size: number) => {
    const out = new Float32Array(slots.length * size);
    slots.forEach((s, i) => out.set(a.subarray(s * size, (s + 1) * size), i * size));
    return out;
  };
  return { w1: take(p.w1, d * h), b1: take(p.b1, h), w2: take(p.w2, h * d), b2: take(p.b2, d) };
}

/** The plan with only the most-used experts stored; the pruned ones get slot -1 (never routed to). */
export function prunePlan(p: ExpertPlan, usage: ExpertUsage, options: Partial<PruneOptions> = {}): ExpertPlan {
  const o = resolveConfig('prunePlan', PRUNE_DEFAULTS, options);
  checkOneOf('prunePlan', 'by', o.by, ['frequency', 'gateMass'] as const);
  const keep = o.keep === null ? Math.ceil(p.stored / 2) : checkInt('prunePlan', 'keep', o.keep, Math.min(p.topK, p.stored), p.stored);
  const imp = slotImportance(p, usage, o.by);
  const kept = [...imp.keys()].sort((a, b) => imp[b]! - imp[a]! || a - b).slice(0, keep).sort((a, b) => a - b);
  const newSlot = new Map(kept.map((s, i) => [s, i]));
  return { ...p, ...gatherSlots(p, kept), stored: keep, slot: Int32Array.from(p.slot, (s) => newSlot.get(s) ?? -1) };
}

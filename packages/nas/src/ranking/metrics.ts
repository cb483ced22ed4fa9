// Ranking agreement and relative improvement (NAS evaluation is frustratingly hard, arXiv 1912.12522,
// §3: "relative improvement over the randomly sampled average architecture"; Understanding Neural
// Architecture Search Techniques, arXiv 1904.00438, compares ENAS with random search the same way).
// Kendall's τ-b lives in proxies.ts; this file adds top-k overlap and the relative improvement.
import { describeValue } from '@weft/core';
import { kendallTau } from '../proxies.js';

function checkScores(where: string, name: string, v: readonly number[]): void {
  if (!Array.isArray(v)) throw new Error(`${where}: ${name}=${describeValue(v)} must be an array of numbers`);
  const k = v.findIndex((x) => typeof x !== 'number' || Number.isNaN(x));
  if (k >= 0) throw new Error(`${where}: ${name}[${k}]=${describeValue(v[k])} must be a number (±Infinity allowed)`);
}

/** Indices of the `k` largest scores (ties broken by the lower index). */
export function topIndices(scores: readonly number[], k: number): number[] {
  return scores
    .map((s, i) => [s, i] as const)
    .sort((a, b) => (a[0] > b[0] ? -1 : a[0] < b[0] ? 1 : a[1] - b[1]))
    .slice(0, k)
    .map(([, i]) => i);
}

/**
 * Top-k overlap: |top_k(scores) ∩ top_k(reference)| / k, higher = better for both lists. 1 when the
 * k best by `scores` are the k best by `reference`; k/n in expectation for a random ranking.
 */
export function topKOverlap(scores: readonly number[], reference: readonly number[], k: number): number {
  checkScores('topKOverlap', 'scores', scores);
  checkScores('topKOverlap', 'reference', reference);
  if (scores.length !== reference.length) throw new Error(`topKOverlap: scores has ${scores.length} entries and reference ${reference.length}; they must be equally long`);
  if (!Number.isInteger(k) || k < 1 || k > scores.length) throw new Error(`topKOverlap: k=${describeValue(k)} must be an integer in [1, ${scores.length}]`);
  const ref = new Set(topIndices(reference, k));
  return topIndices(scores, k).filter((i) => ref.has(i)).length / k;
}

/** How well a ranking (supernet scores, a proxy, a predictor) agrees with the standalone one. */
export interface RankingAgreement {
  /** Kendall's τ-b between the scores and the reference. */
  tau: number;
  /** Top-k overlap, with k = ⌈n/4⌉ unless given. */
  topK: number;
  /** The k used. */
  k: number;
}

/** Kendall τ-b and top-k overlap of `scores` against `reference` (both: higher = better). */
export function rankingAgreement(scores: readonly number[], reference: readonly number[], k = Math.ceil(reference.length / 4)): RankingAgreement {
  return { tau: kendallTau(scores, reference), topK: topKOverlap(scores, reference, k), k };
}

/**
 * Relative improvement of a method's accuracy over the mean accuracy of randomly sampled
 * architectures of the same space and training protocol (Yang et al.): RI = 100 · (acc − mean) / mean,
 * in percent. Positive = better than the average architecture.
 */
export function relativeImprovement(accuracy: number, randomAccuracies: readonly number[]): number {
  checkScores('relativeImprovement', 'randomAccuracies', randomAccuracies);
  if (typeof accuracy !== 'number' || !Number.isFinite(accuracy)) throw new Error(`relativeImprovement: accuracy=${describeValue(accuracy)} must be a finite number`);
  if (randomAccuracies.length === 0) throw new Error('relativeImprovement: randomAccuracies=[] needs at least one sampled architecture');
  const mean = randomAccuracies.reduce((a, b) => a + b, 0) / randomAccuracies.length;
  if (!(mean > 0)) throw new Error(`relativeImprovement: the random architectures' mean accuracy ${mean} must be > 0`);
  return (100 * (accuracy - mean)) / mean;
}

/**
 * The same comparison for a loss (lower = better), where a task has no accuracy (the planted
 * regression tasks): 100 · (mean − loss) / mean, in percent, positive = a lower loss than the
 * average random architecture. A departure: the paper defines it on accuracy only.
 */
export function relativeLossImprovement(loss: number, randomLosses: readonly number[]): number {
  checkScores('relativeLossImprovement', 'randomLosses', randomLosses);
  if (typeof loss !== 'number' || !Number.isFinite(loss)) throw new Error(`relativeLossImprovement: loss=${describeValue(loss)} must be a finite number`);
  if (randomLosses.length === 0) throw new Error('relativeLossImprovement: randomLosses=[] needs at least one sampled architecture');
  const mean = randomLosses.reduce((a, b) => a + b, 0) / randomLosses.length;
  if (!(mean > 0)) throw new Error(`relativeLossImprovement: the random architectures' mean loss ${mean} must be > 0`);
  return (100 * (mean - loss)) / mean;
}

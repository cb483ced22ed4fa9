// Puzzle: Distillation-Based NAS for Inference-Optimized LLMs, arXiv 2411.19146, §3.3–3.4: score
// every variant by replacing that one subblock of the parent (the rest kept) and measuring the
// held-out LM loss increase, then choose one variant per subblock to lose the least in total
// under a parameter or compute budget. The paper solves a mixed-integer program; at toy size the
// same problem (a multiple-choice knapsack with additive scores) is solved exactly by dynamic
// programming over the integer budget.
import * as tf from '@tensorflow/tfjs-core';
import { ForwardContext, accuracy, describeValue, parameterLedger, softmaxCrossEntropy, type Module } from '@weft/core';
import type { PuzzleChoice, PuzzleLibrary } from './bld.js';
import type { SubblockKind, VariantName } from './subblock.js';

/** One option of a choice group: an integer cost and a score (higher = better). */
export interface KnapsackOption {
  cost: number;
  score: number;
}

/**
 * Exact multiple-choice knapsack: pick one option from every group to maximise the summed score
 * with the summed cost ≤ `budget` (non-negative integer costs). Dynamic programming over the
 * budget, O(groups · budget · options). Throws when no pick fits.
 */
export function exactChoice(groups: readonly (readonly KnapsackOption[])[], budget: number): { choice: number[]; cost: number; score: number } {
  if (!Number.isInteger(budget) || budget < 0 || budget > 1e7) throw new Error(`exactChoice: budget=${describeValue(budget)} must be an integer in [0, 1e7] (use a coarser cost unit)`);
  groups.forEach((g, i) => {
    if (!Array.isArray(g) || g.length === 0) throw new Error(`exactChoice: groups[${i}] must be a non-empty array of { cost, score }`);
    g.forEach((o, k) => {
      if (!Number.isInteger(o.cost) || o.cost < 0) throw new Error(`exactChoice: groups[${i}][${k}].cost=${describeValue(o.cost)} must be a non-negative integer`);
      if (typeof o.score !== 'number' || Number.isNaN(o.score)) throw new Error(`exactChoice: groups[${i}][${k}].score=${describeValue(o.score)} must be a number`);
    });
  });
  const B = budget + 1;
  // best[b]: the best summed score of the groups so far with summed cost ≤ b.
  let best = new Float64Array(B);
  const picks: Int16Array[] = [];
  for (const g of groups) {
    const next = new Float64Array(B).fill(-Infinity);
    const pick = new Int16Array(B).fill(-1);
    for (let b = 0; b < B; b++) {
      for (let k = 0; k < g.length; k++) {
        const o = g[k]!;
        if (o.cost > b) continue;
        const v = best[b - o.cost]! + o.score;
        if (v > next[b]!) {
          next[b] = v;
          pick[b] = k;
        }
      }
    }
    best = next;
    picks.push(pick);
  }
  if (best[budget] === -Infinity) throw new Error(`exactChoice: no choice fits budget=${budget} (the cheapest costs ${groups.reduce((s, g) => s + Math.min(...g.map((o) => o.cost)), 0)})`);
  const choice: number[] = new Array(groups.length);
  let b = budget;
  for (let i = groups.length - 1; i >= 0; i--) {
    const k = picks[i]![b]!;
    choice[i] = k;
    b -= groups[i]![k]!.cost;
  }
  const cost = choice.reduce((s, k, i) => s + groups[i]![k]!.cost, 0);
  return { choice, cost, score: best[budget]! };
}

/** Held-out LM loss and token accuracy (answer positions) of a model on ids (N, T) and labels (N, T). */
export async function lmEval(model: Module<tf.Tensor, tf.Tensor>, val: { x: tf.Tensor; y: tf.Tensor }): Promise<{ loss: number; accuracy: number }> {
  const r = tf.tidy(() => {
    const logits = model.forward(val.x, new ForwardContext({ training: false }));
    return tf.stack([softmaxCrossEntropy(logits, val.y), accuracy(logits, val.y)]);
  });
  const [loss, acc] = await r.data();
  r.dispose();
  return { loss: loss!, accuracy: acc! };
}

/** A variant's cost and its replace-one score. */
export interface VariantScore {
  block: number;
  kind: SubblockKind;
  variant: VariantName;
  /** Stored parameters of the subblock (its norm and body). */
  params: number;
  /** Multiply-accumulates per token at the validation length. */
  macs: number;
  /** Held-out LM loss of the parent with only this subblock replaced, minus the parent's. */
  delta: number;
}

/** The parent's choice: every subblock in full. */
export function fullChoice(library: PuzzleLibrary): PuzzleChoice {
  return library.variants.map(() => ({ attention: 'full', ffn: 'full' }));
}

/** Replace-one scores of every variant of every subblock on `val` (ids and labels), and the parent's loss. */
export async function replaceOneScores(library: PuzzleLibrary, val: { x: tf.Tensor; y: tf.Tensor }): Promise<{ parent: { loss: number; accuracy: number }; scores: VariantScore[] }> {
  const parent = await lmEval(library.child(fullChoice(library)), val);
  const T = val.x.shape[1]!;
  const scores: VariantScore[] = [];
  for (const [block, v] of library.variants.entries()) {
    for (const kind of ['attention', 'ffn'] as const) {
      for (const [variant, m] of v[kind]) {
        const choice = fullChoice(library);
        choice[block]![kind] = variant;
        const delta = variant === 'full' ? 0 : (await lmEval(library.child(choice), val)).loss - parent.loss;
        scores.push({ block, kind, variant, params: m.removed ? 0 : parameterLedger(m).totals.stored, macs: m.macsPerToken(T), delta });
      }
    }
  }
  return { parent, scores };
}

/** Cost of a choice: the summed params (or MACs per token) of its subblocks. */
export function choiceCost(scores: readonly VariantScore[], choice: PuzzleChoice, cost: 'params' | 'macs' = 'params'): number {
  return choice.reduce((s, c, block) => s + (['attention', 'ffn'] as const).reduce((t, kind) => {
    const row = scores.find((r) => r.block === block && r.kind === kind && r.variant === c[kind]);
    if (!row) throw new Error(`choiceCost: no score for block ${block} ${kind} '${c[kind]}'`);
    return t + row[cost];
  }, 0), 0);
}

/**
 * Puzzle's search: the choice of one variant per subblock with the least summed replace-one loss
 * increase whose summed `cost` (subblock parameters, or MACs per token) is ≤ `budget`.
 */
export function puzzleSearch(scores: readonly VariantScore[], budget: number, cost: 'params' | 'macs' = 'params'): { choice: PuzzleChoice; cost: number; predictedDelta: number } {
  if (cost !== 'params' && cost !== 'macs') throw new Error(`puzzleSearch: cost=${describeValue(cost)} must be 'params' or 'macs'`);
  const blocks = Math.max(...scores.map((s) => s.block)) + 1;
  const groups: VariantScore[][] = [];
  for (let b = 0; b < blocks; b++) for (const kind of ['attention', 'ffn'] as const) groups.push(scores.filter((s) => s.block === b && s.kind === kind));
  const r = exactChoice(groups.map((g) => g.map((s) => ({ cost: s[cost], score: -s.delta }))), Math.floor(budget));
  const choice: PuzzleChoice = Array.from({ length: blocks }, (_, b) => ({ attention: groups[2 * b]![r.choice[2 * b]!]!.variant, ffn: groups[2 * b + 1]![r.choice[2 * b + 1]!]!.variant }));
  return { choice, cost: r.cost, predictedDelta: -r.score };
}

/** Every uniform child: the same attention variant and the same FFN variant in every block. */
export function uniformChoices(library: PuzzleLibrary): PuzzleChoice[] {
  const { attentionVariants, ffnVariants } = library.config;
  return attentionVariants.flatMap((attention) => ffnVariants.map((ffn) => library.variants.map(() => ({ attention, ffn }))));
}

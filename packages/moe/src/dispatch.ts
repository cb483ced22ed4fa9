// Sparse dispatch: route only the chosen (token, expert) pairs through the experts, so compute
// grows with k, not with E. All index work is int/float tensor ops on the device (no readback):
// 1. rank each pair inside its expert (a stable sort by expert, in priority order);
// 2. give it a row of a block buffer: capacity mode — E blocks of C rows, pairs ranked ≥ C are
//    dropped; dropless — blocks of b rows, each expert gets ⌈count/b⌉ consecutive blocks (a static
//    upper bound of ⌊(P + E(b−1))/b⌋ blocks, MegaBlocks-style), each block names its expert;
// 3. gather tokens into the buffer (G, b, d) (core's gatherRows, whose index one past the end reads a
//    zero row), run the stacked experts (batched matmuls), and sum each token's output rows scaled by
//    their gates in a fixed order (core's combineRows; their gradients are scatter-adds).
// On cpu, wasm and webgpu (up to 2,048 pairs) the dropless plan (1–2) is one kernel, core's
// droplessBlockPlan; elsewhere tf ops.
// `denseCombine` is the reference: every expert on every token, masked by the same kept pairs.
import * as tf from '@tensorflow/tfjs-core';
import { combineRows, droplessBlockPlan, gatherRows, hasDispatchPlanKernel } from '@weft/core';
import { untaped, type Routing } from './routers/router.js';

/** What dispatch needs of a set of experts: blocks of rows through the experts the blocks name (StackedExperts, MPOE's experts). */
export interface ExpertBlocks {
  /** The number of experts E. */
  readonly config: { readonly numExperts: number };
  /** buf (G, b, d) -> (G, b, d): block g through expert blockExpert[g], or through expert g when blockExpert is null (G = E). */
  apply(buf: tf.Tensor3D, blockExpert: tf.Tensor1D | null): tf.Tensor3D;
}

/** Which pairs are kept when an expert is over capacity. */
export const DROP_POLICIES = ['position', 'probability'] as const;
/** 'position': earlier pairs first (slot-major: all first choices before second choices, then token order, as GShard); 'probability': higher gates first (V-MoE's batch prioritised routing). */
export type DropPolicy = (typeof DROP_POLICIES)[number];

/** Where each pair goes. */
export interface DispatchPlan {
  /** Blocks G in the buffer. */
  groups: number;
  /** Rows per block b. */
  blockSize: number;
  /** Expert of each block (G,) int32, or null when block g is expert g (capacity mode). */
  blockExpert: tf.Tensor1D | null;
  /** Token in each buffer row (G·b,) int32; N for an empty row. */
  slotToken: tf.Tensor1D;
  /** Buffer row of each pair (P,) int32; G·b for a dropped pair. */
  pairSlot: tf.Tensor1D;
  /** 1 for a kept pair, 0 for a dropped one (P,) float32. */
  keep: tf.Tensor1D;
  /** Whether every pair is kept (dropless, expert-choice): `keep` is all ones. */
  keepsAll: boolean;
}

/**
 * Rank of each pair among the earlier pairs with the same expert (P,) float32, and the pairs per
 * expert (E,) float32, in O(P log P) whatever E: a stable sort of the pairs by expert (TopK of
 * −(expert·P + p), exact in float32 while E·P ≤ 2²⁴), each pair's sorted position minus its
 * expert's first position. (A (P, E) one-hot cumsum grew with E: 1 ms of a 24 ms MoE step at E=64.)
 */
function rankInExpert(expert: tf.Tensor1D, e: number): { rank: tf.Tensor1D; counts: tf.Tensor1D } {
  const p = expert.shape[0];
  const counts = tf.unsortedSegmentSum(tf.ones([p]), expert, e) as tf.Tensor1D; // (E,)
  if (e * p > 2 ** 24) {
    const oh = tf.oneHot(expert, e, 1, 0, 'float32') as tf.Tensor2D; // (P, E)
    return { rank: tf.sum(tf.mul(tf.cumsum(oh, 0, true), oh), 1) as tf.Tensor1D, counts }; // exclusive: earlier pairs per expert
  }
  const order = tf.range(0, p, 1, 'float32');
  const key = tf.add(tf.mul(tf.cast(expert, 'float32'), p), order); // distinct, ascending = by expert, then pair order
  const perm = tf.topk(tf.neg(key), p).indices as tf.Tensor1D; // sorted position -> pair
  const position = tf.unsortedSegmentSum(order, perm, p); // pair -> sorted position
  const first = tf.sub(tf.cumsum(counts), counts); // (E,) sorted position of each expert's first pair
  return { rank: tf.sub(position, tf.gather(first, expert)) as tf.Tensor1D, counts };
}

/** Buffer row -> token (N for empty rows), from the rows the pairs occupy. */
function tokensOfRows(token: tf.Tensor1D, slot: tf.Tensor1D, keep: tf.Tensor1D, rows: number, n: number): tf.Tensor1D {
  // Each row gets at most one pair: sum (token + 1) into the rows, 0 means empty; row `rows` collects the dropped.
  const tag = tf.mul(tf.add(tf.cast(token, 'float32'), 1), keep);
  const filled = tf.slice(tf.unsortedSegmentSum(tag, slot, rows + 1), [0], [rows]);
  const t = tf.cast(tf.sub(filled, 1), 'int32');
  return tf.where(tf.less(t, 0), tf.fill([rows], n, 'int32'), t) as tf.Tensor1D;
}

/** Capacity plan: C rows per expert; pairs beyond C (in `policy` order) are dropped. */
export function capacityPlan(r: Routing, n: number, e: number, capacity: number, policy: DropPolicy): DispatchPlan {
  if (r.perExpert !== undefined) return expertChoicePlan(r, n, e);
  const p = r.expert.shape[0];
  let rank: tf.Tensor1D;
  if (policy === 'probability') {
    const perm = untaped(() => tf.topk(r.gate, p).indices as tf.Tensor1D); // pairs by gate, highest first
    const ranked = rankInExpert(tf.gather(r.expert, perm), e).rank;
    rank = tf.unsortedSegmentSum(ranked, perm, p) as tf.Tensor1D; // back to pair order
  } else {
    rank = rankInExpert(r.expert, e).rank;
  }
  const keep = tf.cast(tf.less(rank, capacity), 'float32') as tf.Tensor1D;
  const rows = e * capacity;
  const slotF = tf.add(tf.mul(tf.cast(r.expert, 'float32'), capacity), rank);
  const pairSlot = tf.cast(tf.where(tf.greater(keep, 0), slotF, tf.fill([p], rows)), 'int32') as tf.Tensor1D;
  return { groups: e, blockSize: capacity, blockExpert: null, slotToken: tokensOfRows(r.token, pairSlot, keep, rows, n), pairSlot, keep, keepsAll: false };
}

/** Expert-choice routings come grouped by expert, C each: the buffer is the pair list itself. */
function expertChoicePlan(r: Routing, _n: number, e: number): DispatchPlan {
  const c = r.perExpert!;
  const p = e * c;
  return { groups: e, blockSize: c, blockExpert: null, slotToken: r.token, pairSlot: tf.range(0, p, 1, 'int32') as tf.Tensor1D, keep: tf.ones([p]) as tf.Tensor1D, keepsAll: true };
}

/** Default dropless block size: a power of two near P/(4E), so padding stays ≲ 25% at balanced loads. */
export function autoBlockSize(pairs: number, e: number): number {
  const target = Math.max(1, Math.ceil(pairs / (4 * e)));
  return Math.min(Math.max(1, pairs), 2 ** Math.ceil(Math.log2(target)));
}

/** Dropless plan: every pair kept, experts own ⌈count/b⌉ consecutive blocks of b rows. */
export function droplessPlan(r: Routing, n: number, e: number, blockSize: number): DispatchPlan {
  if (r.perExpert !== undefined) return expertChoicePlan(r, n, e);
  const p = r.expert.shape[0];
  const b = blockSize;
  const groups = Math.max(1, Math.floor((p + e * (b - 1)) / b)); // Σ_e ⌈c_e/b⌉ ≤ this for any loads
  const keep = tf.ones([p]) as tf.Tensor1D;
  if (hasDispatchPlanKernel(p)) {
    const plan = droplessBlockPlan(r.expert, r.token, { numExperts: e, numTokens: n, blockSize: b, groups });
    return { groups, blockSize: b, ...plan, keep, keepsAll: true };
  }
  const { rank, counts } = rankInExpert(r.expert, e);
  const blocksPer = tf.ceil(tf.div(counts, b));
  const cumBlocks = tf.cumsum(blocksPer, 0); // inclusive
  const start = tf.sub(cumBlocks, blocksPer); // first block of each expert
  const slotF = tf.add(tf.mul(tf.gather(start, r.expert), b), rank);
  const pairSlot = tf.cast(slotF, 'int32') as tf.Tensor1D;
  // Block g belongs to the number of experts whose blocks all end at or before g (unused tail
  // blocks: the last expert): a count of the experts ending at each block, summed up to g.
  const ends = tf.unsortedSegmentSum(tf.ones([e]), tf.cast(tf.minimum(cumBlocks, groups), 'int32') as tf.Tensor1D, groups + 1); // (G + 1,); index G: ends past the buffer
  const owner = tf.cumsum(tf.slice(ends, [0], [groups])); // (G,)
  const blockExpert = tf.cast(tf.minimum(owner, e - 1), 'int32') as tf.Tensor1D;
  return { groups, blockSize: b, blockExpert, slotToken: tokensOfRows(r.token, pairSlot, keep, groups * b, n), pairSlot, keep, keepsAll: true };
}

/**
 * The same pairs with each pair as its own input row (token p = pair p): for layers that give every
 * pair its own input, as UMoE's attention (one mixed vector per token and expert). Token-choice only.
 */
export function pairsAsRows(r: Routing): Routing {
  const p = r.expert.shape[0];
  return { ...r, token: tf.range(0, p, 1, 'int32') as tf.Tensor1D, choices: null };
}

/** Sparse: gather the planned tokens, run the experts on the blocks, scatter-add gated outputs. x (N, d) -> (N, d). */
export function sparseCombine(x: tf.Tensor2D, r: Routing, plan: DispatchPlan, experts: ExpertBlocks): tf.Tensor2D {
  const [n, d] = x.shape;
  const rows = plan.groups * plan.blockSize;
  const buf = tf.reshape(gatherRows(x, plan.slotToken), [plan.groups, plan.blockSize, d]); // (G·b, d) -> (G, b, d); empty rows (N) are zeros
  const y = tf.reshape(experts.apply(buf as tf.Tensor3D, plan.blockExpert), [rows, d]) as tf.Tensor2D; // (G, b, d) -> (G·b, d)
  if (r.perExpert === undefined) return combineRows(y, plan.pairSlot, r.gate, n); // token-choice, slot-major: Σ over each token's k pairs in order; dropped pairs (slot G·b) add nothing
  const perPair = gatherRows(y, plan.pairSlot); // (P, d)
  const weighted = tf.mul(perPair, tf.reshape(keptGates(r, plan), [-1, 1])) as tf.Tensor2D; // (P, d) times the gates (P,) -> (P, 1)
  return sumPerCell(weighted, r, n);
}

/**
 * Σ over each token's expert-choice pairs, in a fixed order (a scatter-add would be faster to write,
 * but WebGPU's runs float atomics in any order, so the same weights could give different last bits):
 * the pairs sit in (token, expert) cells, at most one each; gather them into (N, E, d), sum over E.
 */
function sumPerCell(weighted: tf.Tensor2D, r: Routing, n: number): tf.Tensor2D {
  const [p, d] = weighted.shape;
  const e = p / r.perExpert!;
  const cell = tf.add(tf.mul(r.token, tf.scalar(e, 'int32')), r.expert) as tf.Tensor1D; // (P,) index into (N·E)
  const pairOfCell = tf.cast(tf.sub(tf.unsortedSegmentSum(tf.range(1, p + 1, 1, 'float32'), cell, n * e), 1), 'int32'); // -1: empty
  const rows = tf.where(tf.less(pairOfCell, 0), tf.fill([n * e], p, 'int32'), pairOfCell) as tf.Tensor1D;
  const cells = gatherRows(weighted, rows); // (N·E, d); empty cells (P) are zeros
  return tf.sum(tf.reshape(cells, [n, e, d]), 1) as tf.Tensor2D; // (N·E, d) -> (N, E, d) -> (N, d)
}

/** Each pair's gate, 0 for a dropped pair (P,). */
function keptGates(r: Routing, plan: DispatchPlan): tf.Tensor1D {
  return plan.keepsAll ? r.gate : (tf.mul(r.gate, plan.keep) as tf.Tensor1D);
}

/** Combine weights (N, E): Σ of the kept gates of each (token, expert). */
export function combineWeights(r: Routing, plan: DispatchPlan, n: number, e: number): tf.Tensor2D {
  const cell = tf.add(tf.mul(r.token, tf.scalar(e, 'int32')), r.expert); // (P,) index into (N·E)
  return tf.reshape(tf.unsortedSegmentSum(keptGates(r, plan), cell as tf.Tensor1D, n * e), [n, e]);
}

/** Dense reference (tests only): every expert on every token, weighted by the kept gates. x (N, d) -> (N, d). */
export function denseCombine(x: tf.Tensor2D, r: Routing, plan: DispatchPlan, experts: ExpertBlocks): tf.Tensor2D {
  const [n, d] = x.shape;
  const e = experts.config.numExperts;
  const all = tf.tile(tf.reshape(x, [1, n, d]), [e, 1, 1]) as tf.Tensor3D; // (N, d) -> (E, N, d)
  const y = tf.transpose(experts.apply(all, null), [1, 0, 2]) as tf.Tensor3D; // (E, N, d) -> (N, E, d)
  const w = tf.reshape(combineWeights(r, plan, n, e), [n, 1, e]) as tf.Tensor3D; // (N, E) -> (N, 1, E)
  return tf.reshape(tf.matMul(w, y), [n, d]); // (N, 1, d) -> (N, d)
}

// FoldGPT: Simple and Effective Large Language Model Compression Scheme (arXiv:2407.00928): block
// importance from learnable gates (trained with an L1 pull towards 0 while the model is frozen),
// removal of the least important blocks, and group sharing of the rest — consecutive kept blocks in
// G groups share the group's first block, each layer with its own channel scale — then fine-tuning.
// Departures: no tail-layer distillation (fine-tuning is the caller's); gates are trained jointly,
// which is how the paper models the blocks' coupling, but with plain L1 rather than its schedule.
import * as tf from '@tensorflow/tfjs-core';
import { TinyTransformer, TransformerBlock, makeOptimizer, resolveConfig, train, type Module, type SequenceInput } from '@weft/core';
import { checkInt, checkNumber, checkPositiveInt } from '@weft/core/internal';
import { GatedBlock, ScaledBlock } from './scaled-block.js';

/** Options of {@link blockImportance}. */
export interface BlockImportanceConfig {
  /** Gate-training steps. Default: 60. */
  steps: number;
  /** Weight of Σ|g| in the loss. Default: 0.01. */
  l1: number;
  /** Adam learning rate of the gates. Default: 0.02. */
  learningRate: number;
}

/** The documented defaults of {@link BlockImportanceConfig}. */
export const BLOCK_IMPORTANCE_DEFAULTS: BlockImportanceConfig = { steps: 60, l1: 0.01, learningRate: 0.02 };

/**
 * FoldGPT's block importance: wrap each block of `model` in a gate, train only the gates on
 * `batch`/`loss` with an L1 penalty, and return |g| per block (the model's blocks are restored,
 * its weights untouched).
 */
export async function blockImportance(
  model: TinyTransformer<any>,
  data: { batch: () => { x: tf.Tensor; y: tf.Tensor }; loss: (out: tf.Tensor, b: { x: tf.Tensor; y: tf.Tensor }) => tf.Scalar },
  config: Partial<BlockImportanceConfig> = {},
): Promise<number[]> {
  const c = resolveConfig('blockImportance', BLOCK_IMPORTANCE_DEFAULTS, config);
  checkPositiveInt('blockImportance', 'steps', c.steps);
  checkNumber('blockImportance', 'l1', c.l1, 0);
  checkNumber('blockImportance', 'learningRate', c.learningRate, 0);
  // The gated wrappers stand in the model's block list for the gate training only (forward reads
  // `blocks.items`; the registered children, and so the model's parameters, stay as they were).
  const items = model.blocks.items;
  const original = [...items];
  const gated = original.map((b) => new GatedBlock(b));
  const gates = gated.map((g) => g.gate);
  items.splice(0, items.length, ...gated);
  const opt = makeOptimizer({ name: 'adam', learningRate: c.learningRate });
  try {
    await train({
      steps: c.steps, reportEvery: c.steps, batch: data.batch,
      step: (b) => ({
        loss: opt.minimize(() => tf.add(data.loss(model.call(b.x), b), tf.mul(c.l1, tf.addN(gates.map((g) => tf.sum(tf.abs(g)))))) as tf.Scalar, true, gates)!,
      }),
    });
    return await Promise.all(gates.map(async (g) => Math.abs((await g.data())[0]!)));
  } finally {
    items.splice(0, items.length, ...original);
    opt.dispose();
    gates.forEach((g) => g.dispose());
  }
}

/** Options of {@link foldTransformer}. */
export interface FoldConfig {
  /** Blocks kept after removal (the most important). Default: 4. */
  keep: number;
  /** Groups the kept blocks are folded into (consecutive runs share the run's first block); = keep means no sharing (pruning alone). Default: 2. */
  groups: number;
}

/** The documented defaults of {@link FoldConfig}. */
export const FOLD_DEFAULTS: FoldConfig = { keep: 4, groups: 2 };

/** Which blocks a fold keeps and the group of each: see {@link foldPlan}. */
export interface FoldPlan {
  /** Indices of the kept blocks, ascending (the `keep` most important; ties: the earlier block). */
  kept: number[];
  /** Group of each kept block (same order): consecutive kept blocks, `keep`/`groups` to a group. */
  group: number[];
}

/**
 * FoldGPT's plan for blocks of the given `importance`: the `keep` most important blocks, in model
 * order, split into `groups` consecutive groups (kept block k goes to group ⌊k·groups/keep⌋).
 */
export function foldPlan(importance: number[], config: Partial<FoldConfig> = {}): FoldPlan {
  const W = 'foldPlan';
  const c = resolveConfig(W, FOLD_DEFAULTS, config);
  if (!Array.isArray(importance) || importance.length === 0 || !importance.every(Number.isFinite)) throw new Error(`${W}: importance must be a non-empty array of finite numbers (one per block)`);
  checkInt(W, 'keep', c.keep, 1, importance.length);
  checkInt(W, 'groups', c.groups, 1, c.keep);
  const kept = importance
    .map((v, i) => [v, i] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1])
    .slice(0, c.keep)
    .map(([, i]) => i)
    .sort((a, b) => a - b);
  return { kept, group: kept.map((_, k) => Math.floor((k * c.groups) / c.keep)) };
}

/**
 * Remove the blocks of `model` with the smallest `importance`, fold the `keep` left (in their
 * order) into `groups` groups — each group's layers share its first block, each behind its own
 * ScaledBlock channel scale (groups = keep: each block unshared, unscaled: pruning alone) — and
 * return the new model, with copies of `model`'s kept blocks (TransformerBlocks), embeddings, norm and head.
 */
export function foldTransformer(model: TinyTransformer, importance: number[], config: Partial<FoldConfig> = {}): TinyTransformer {
  const W = 'foldTransformer';
  const c = resolveConfig(W, FOLD_DEFAULTS, config);
  const L = model.blocks.length;
  if (!Array.isArray(importance) || importance.length !== L) throw new Error(`${W}: importance has ${Array.isArray(importance) ? importance.length : 'no'} entries; the model has ${L} blocks`);
  checkInt(W, 'keep', c.keep, 1, L);
  checkInt(W, 'groups', c.groups, 1, c.keep);
  const { kept, group } = foldPlan(importance, c);
  const copies = new Map<number, TransformerBlock>();
  const copyOf = (i: number): TransformerBlock => {
    const b = model.blocks.at(i);
    if (!(b instanceof TransformerBlock)) throw new Error(`${W}: block ${i} is a ${b.constructor.name}; folding copies TransformerBlocks`);
    if (!copies.has(i)) {
      const n = new TransformerBlock(b.config);
      const src = new Map(b.namedParameters());
      for (const [path, v] of n.namedParameters()) v.assign(src.get(path)!);
      copies.set(i, n);
    }
    return copies.get(i)!;
  };
  const blocks: Module<SequenceInput, tf.Tensor>[] = kept.map((_, k) => {
    const anchor = copyOf(kept[group.indexOf(group[k]!)]!);
    return c.groups === c.keep ? anchor : new ScaledBlock(anchor, model.dim);
  });
  const out = new TinyTransformer({ ...model.config, depth: kept.length }, undefined, { blocks });
  const from = new Map(model.namedParameters());
  for (const [path, v] of out.namedParameters()) if (!path.startsWith('blocks.')) v.assign(from.get(path)!);
  return out;
}

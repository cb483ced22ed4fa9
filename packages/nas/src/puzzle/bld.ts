// Puzzle: Distillation-Based NAS for Inference-Optimized LLMs, arXiv 2411.19146, §3.2: the variant
// library and blockwise local distillation (BLD) — every variant of every subblock is trained on
// its own to reproduce the parent subblock's output from the parent's input at that subblock
// (normalised MSE), all in parallel since no variant sees another's output. Departure: one joint
// Adam loop over the summed, independent losses (the same as one loop per variant).
import * as tf from '@tensorflow/tfjs-core';
import { ForwardContext, MLP, Rng, resolveConfig, type TinyTransformer } from '@weft/core';
import { checkInt, checkPositive } from '@weft/core/internal';
import { PuzzleBlock, PuzzleChild, parentStates, puzzleParentBlocks } from './child.js';
import { channelContribution, makeVariant, type Subblock, type SubblockKind, type VariantName } from './subblock.js';

/** Options of the variant library and of BLD. */
export interface PuzzleConfig {
  /** Attention variants per block. Default: ['full', 'linear', 'none']. */
  attentionVariants: VariantName[];
  /** FFN variants per block. Default: ['full', 'ffn-0.5', 'ffn-0.25', 'none']. */
  ffnVariants: VariantName[];
  /** BLD steps (Adam). Default: 300. */
  steps: number;
  /** Sequences per BLD batch. Default: 32. */
  batchSize: number;
  /** BLD learning rate. Default: 0.003. */
  learningRate: number;
}

/** Defaults of {@link PuzzleConfig}. */
export const PUZZLE_DEFAULTS: PuzzleConfig = {
  attentionVariants: ['full', 'linear', 'none'],
  ffnVariants: ['full', 'ffn-0.5', 'ffn-0.25', 'none'],
  steps: 300,
  batchSize: 32,
  learningRate: 0.003,
};

/** A child's choice per block. */
export type PuzzleChoice = Array<{ attention: VariantName; ffn: VariantName }>;

/** Every variant of every subblock of a parent, initialised from it (variants 'full' are the parent's own modules). */
export class PuzzleLibrary {
  /** Per block, per kind, the variants by name. */
  readonly variants: Array<Record<SubblockKind, Map<VariantName, Subblock>>>;
  /** The resolved config. */
  readonly config: PuzzleConfig;

  /**
   * Use {@link buildPuzzleLibrary}, which measures the FFNs' channel contributions first.
   * @param contributions per block, the parent FFN's channel contributions (null: not a plain MLP).
   */
  constructor(readonly parent: TinyTransformer, contributions: readonly (Float32Array | null)[], config?: Partial<PuzzleConfig>, rng: Rng = new Rng(0)) {
    this.config = resolvePuzzle(config);
    const blocks = puzzleParentBlocks(parent);
    this.variants = blocks.map((b, i) => ({
      attention: new Map(this.config.attentionVariants.map((v) => [v, makeVariant(b, 'attention', v, null, rng.fork(`a${i}${v}`))])),
      ffn: new Map(this.config.ffnVariants.map((v) => [v, makeVariant(b, 'ffn', v, contributions[i]!, rng.fork(`f${i}${v}`))])),
    }));
  }

  /** Variants with parameters of their own (what BLD trains): every one but 'full' and 'none'. */
  trainable(): Array<{ block: number; kind: SubblockKind; variant: VariantName; module: Subblock }> {
    return this.variants.flatMap((v, block) =>
      (['attention', 'ffn'] as const).flatMap((kind) => [...v[kind]].filter(([name, m]) => name !== 'full' && !m.removed).map(([variant, module]) => ({ block, kind, variant, module }))),
    );
  }

  /** One variant. */
  get(block: number, kind: SubblockKind, variant: VariantName): Subblock {
    const m = this.variants[block]?.[kind].get(variant);
    if (!m) throw new Error(`PuzzleLibrary: no ${kind} variant '${variant}' at block ${block} (blocks 0–${this.variants.length - 1}; ${kind} variants: ${this.config[kind === 'attention' ? 'attentionVariants' : 'ffnVariants'].join(', ')})`);
    return m;
  }

  /** The child with `choice[i]` at block i (shares the parent's and the library's modules). */
  child(choice: PuzzleChoice): PuzzleChild {
    if (!Array.isArray(choice) || choice.length !== this.variants.length) throw new Error(`PuzzleLibrary.child: choice has ${Array.isArray(choice) ? choice.length : 'no'} entries; the parent has ${this.variants.length} blocks`);
    return new PuzzleChild(this.parent, choice.map((c, i) => new PuzzleBlock(this.get(i, 'attention', c.attention), this.get(i, 'ffn', c.ffn))));
  }

  /** Free the variants' own parameters (not the parent's). */
  dispose(): void {
    for (const t of this.trainable()) t.module.dispose();
  }
}

/** Build the library of `parent`'s variants, measuring the FFNs' channel contributions on `calibration` ids (N, T). */
export async function buildPuzzleLibrary(parent: TinyTransformer, calibration: tf.Tensor, config?: Partial<PuzzleConfig>, rng: Rng = new Rng(0)): Promise<PuzzleLibrary> {
  const blocks = puzzleParentBlocks(parent);
  const c = tf.tidy(() => {
    const s = parentStates(parent, calibration);
    return blocks.map((b, i) => {
      const [B, T, D] = s.ffnIn[i]!.shape as [number, number, number];
      return b.ffn instanceof MLP && b.ffn.fc1 ? channelContribution(b.ffn, tf.reshape(b.norm2.forward(s.ffnIn[i]!), [B * T, D]) as tf.Tensor2D) : tf.zeros([0]); // (B, T, D) -> (B·T, D)
    });
  });
  const contributions = await Promise.all(c.map(async (t) => (t.size ? ((await t.data()) as Float32Array) : null)));
  tf.dispose(c);
  return new PuzzleLibrary(parent, contributions, config, rng);
}

/** The config with defaults, checked. */
export function resolvePuzzle(config?: Partial<PuzzleConfig>): PuzzleConfig {
  const c = resolveConfig('Puzzle', PUZZLE_DEFAULTS, config);
  checkInt('Puzzle', 'steps', c.steps, 0, 1e6);
  checkInt('Puzzle', 'batchSize', c.batchSize, 1, 1e5);
  checkPositive('Puzzle', 'learningRate', c.learningRate);
  for (const k of ['attentionVariants', 'ffnVariants'] as const) {
    if (!c[k].includes('full')) throw new Error(`Puzzle: ${k}=${JSON.stringify(c[k])} must include 'full' (the parent's own subblock)`);
  }
  return c;
}

/** Normalised MSE ‖pred − target‖² / ‖target‖² (a scalar). */
export function normalizedMse(pred: tf.Tensor, target: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.div(tf.sum(tf.squaredDifference(pred, target)), tf.maximum(tf.sum(tf.square(target)), 1e-12)) as tf.Scalar);
}

/** One variant's distillation loss after BLD. */
export interface BldResult {
  block: number;
  kind: SubblockKind;
  variant: VariantName;
  /** Normalised MSE against the parent subblock on `evalIds`, before and after BLD. */
  before: number;
  after: number;
}

/**
 * Blockwise local distillation: `steps` Adam steps on batches of `trainIds` (N, T), each variant
 * fed the parent's input to its subblock and trained towards the parent subblock's output.
 * Returns every variant's normalised MSE on `evalIds` before and after.
 */
export async function blockwiseDistill(library: PuzzleLibrary, trainIds: tf.Tensor, evalIds: tf.Tensor, seed = 0): Promise<BldResult[]> {
  const { steps, batchSize, learningRate } = library.config;
  const items = library.trainable();
  const ctx = new ForwardContext({ training: true });
  const lossOf = (ids: tf.Tensor) => {
    const s = parentStates(library.parent, ids);
    return items.map((t) => (t.kind === 'attention' ? normalizedMse(t.module.forward(s.attentionIn[t.block]!, ctx), s.attentionOut[t.block]!) : normalizedMse(t.module.forward(s.ffnIn[t.block]!, ctx), s.ffnOut[t.block]!)));
  };
  const measure = async () => {
    const l = tf.tidy(() => tf.stack(lossOf(evalIds)));
    const v = await l.data();
    l.dispose();
    return Array.from(v);
  };
  const before = await measure();
  const vars = items.flatMap((t) => t.module.parameters());
  const opt = tf.train.adam(learningRate);
  const rng = new Rng(seed).fork('bld');
  const N = trainIds.shape[0]!;
  try {
    for (let step = 0; step < steps; step++) {
      const idx = Int32Array.from({ length: batchSize }, () => rng.int(N));
      tf.tidy(() => {
        const ids = tf.gather(trainIds, tf.tensor1d(idx, 'int32'));
        opt.minimize(() => tf.addN(lossOf(ids)) as tf.Scalar, false, vars);
      });
      if (step % 50 === 49) await tf.nextFrame?.();
    }
  } finally {
    opt.dispose();
  }
  const after = await measure();
  return items.map((t, i) => ({ block: t.block, kind: t.kind, variant: t.variant, before: before[i]!, after: after[i]! }));
}

// Shears: Unstructured Sparsity with Neural Low-rank Adapter Search (arXiv:2404.10934): a LoRA whose
// rank is elastic — the sub-adapter of rank r uses the first r columns of A and rows of B (one
// weight-shared super-adapter, Neural Low-rank adapter Search) — over a base whose weights are
// magnitude-sparsified (sparsify.ts). y = x W + (alpha / r_max) · x A[:, :r] B[:r, :].
import * as tf from '@tensorflow/tfjs-core';
import type { ForwardContext, Rng } from '@weft/core';
import { AdditiveAdapter, kaimingBound } from '../adapter-layer.js';
import { fanIn, type BaseOp } from '../base-op.js';

/** Per-layer settings of a Shears adapter. */
export interface ShearsLayerOptions {
  ranks: number[];
  alpha: number;
}

/** An elastic-rank LoRA on one Linear layer. */
export class ShearsLayer extends AdditiveAdapter {
  readonly method = 'shears';
  /** A [fanIn, r_max]. */
  readonly loraA: tf.Variable;
  /** B [r_max, out] (zeros at start). */
  readonly loraB: tf.Variable;
  /** The rank the sub-adapter uses now (one of `options.ranks`). */
  rank: number;

  constructor(base: BaseOp, readonly options: ShearsLayerOptions, rng: Rng) {
    super(base);
    if (base.kind !== 'linear') throw new Error('Shears: only Linear layers');
    const k = fanIn(base), r = options.ranks[0]!;
    this.rank = r;
    this.loraA = this.addParameter('lora_A', tf.tensor2d(rng.uniformArray(k * r, -kaimingBound(k), kaimingBound(k)), [k, r]));
    this.loraB = this.addParameter('lora_B', tf.zeros([r, base.outFeatures]));
  }

  /** The sub-adapter's scaled factors, A[:, :rank] [fanIn, rank] and (alpha / r_max) · B[:rank] [rank, out]. */
  private factors(): [tf.Tensor2D, tf.Tensor2D] {
    const s = this.options.alpha / this.options.ranks[0]!;
    return [tf.slice(this.loraA, [0, 0], [-1, this.rank]) as tf.Tensor2D, tf.mul(tf.slice(this.loraB, [0, 0], [this.rank, -1]), s) as tf.Tensor2D];
  }

  deltaWeight(): tf.Tensor2D {
    return tf.tidy(() => {
      const [a, b] = this.factors();
      return tf.matMul(a, b);
    });
  }

  override transformOutput(x: tf.Tensor, y: tf.Tensor, _yBase: tf.Tensor, _ctx: ForwardContext): tf.Tensor {
    const [a, b] = this.factors();
    return tf.add(y, tf.matMul(tf.matMul(x as tf.Tensor2D, a), b));
  }
}

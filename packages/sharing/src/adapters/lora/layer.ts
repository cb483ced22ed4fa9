// LoRA: Low-Rank Adaptation of Large Language Models (arXiv:2106.09685); rsLoRA (arXiv:2312.03732);
// DoRA: Weight-Decomposed Low-Rank Adaptation (arXiv:2402.09353).
// y = x W + b + s · (drop(x) A) B with A [fanIn, r], B [r, out] (PEFT's lora_A/lora_B transposed),
// s = alpha/r or alpha/√r. DoRA: y = b + m/‖W + sAB‖ ⊙ (x W + s·x A B), the column norm detached as
// in PEFT (DoRA §4.3). Conv bases: A is a conv kernel [kh, kw, in, r], B a 1×1 conv; DoRA's norm is
// per output channel over kh·kw·in (PEFT's DoraConv2dLayer). Embedding bases: rows of A
// [numEmbeddings, r] by id, times B (PEFT's lora_embedding_A/B transposed); DoRA's m and norm are per
// embedding dimension, the norm over the vocabulary (PEFT's DoraEmbeddingLayer, fan_in_fan_out=True).
import * as tf from '@tensorflow/tfjs-core';
import { dropout, type ForwardContext, type Rng } from '@weft/core';
import { AdapterLayer, kaimingBound } from '../adapter-layer.js';
import { applyFlat, applyWeight, channelMatMul, detach, fanIn, flatWeight, toWeightShape, type BaseOp } from '../base-op.js';

/** Per-layer settings of a LoRA adapter. */
export interface LoraLayerOptions {
  r: number;
  alpha: number;
  dropout: number;
  rslora: boolean;
  dora: boolean;
  initWeights: boolean;
}

/** The LoRA scaling factor: alpha / r, or alpha / √r with rsLoRA. */
export function loraScaling(alpha: number, r: number, rslora: boolean): number {
  return rslora ? alpha / Math.sqrt(r) : alpha / r;
}

/** A LoRA (or DoRA) adapter on one base layer. */
export class LoraLayer extends AdapterLayer {
  readonly method = 'lora';
  /** A, [fanIn, r]. */
  readonly loraA: tf.Variable;
  /** B, [r, out]. */
  readonly loraB: tf.Variable;
  /** DoRA magnitude m, [out] (an embedding's [dim]), or null. */
  readonly magnitude: tf.Variable | null;
  /** The scaling factor s. */
  readonly scaling: number;
  private mergedNorm: tf.Tensor | null = null;

  constructor(base: BaseOp, readonly options: LoraLayerOptions, rng: Rng) {
    super(base);
    const { r } = options;
    const k = fanIn(base);
    this.scaling = loraScaling(options.alpha, r, options.rslora);
    this.loraA = this.addParameter('lora_A', tf.tensor2d(rng.uniformArray(k * r, -kaimingBound(k), kaimingBound(k)), [k, r]));
    this.loraB = this.addParameter(
      'lora_B',
      options.initWeights ? tf.zeros([r, base.outFeatures]) : tf.tensor2d(rng.uniformArray(r * base.outFeatures, -kaimingBound(r), kaimingBound(r)), [r, base.outFeatures]),
    );
    this.magnitude = options.dora ? this.addParameter('magnitude', tf.tidy(() => this.adaptedNorm())) : null;
  }

  /** s · A B, flat [fanIn, out]. */
  private lowRank(): tf.Tensor2D {
    return tf.mul(tf.matMul(this.loraA, this.loraB), this.scaling);
  }

  /** ‖W + sAB‖ per output column (over fanIn), [out]. */
  private adaptedNorm(): tf.Tensor1D {
    return tf.norm(tf.add(flatWeight(this.base), this.lowRank()), 'euclidean', 0) as tf.Tensor1D;
  }

  deltaWeight(): tf.Tensor2D {
    return tf.tidy(() => {
      if (!this.magnitude) return this.lowRank();
      const w = flatWeight(this.base);
      const adapted = tf.add(w, this.lowRank());
      return tf.sub(tf.mul(adapted, tf.div(this.magnitude, tf.norm(adapted, 'euclidean', 0))), w) as tf.Tensor2D;
    });
  }

  transformOutput(x: tf.Tensor, y: tf.Tensor, yBase: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    const xd = this.base.kind === 'embedding' ? x : dropout(x, this.options.dropout, ctx); // ids are not dropped (PEFT's Embedding LoRA has no dropout)
    // Scale the small (N, r) projection, not the (N, out) output (tfjs wasm's fused matMul takes
    // only a rank-1 bias, so y is added separately).
    const h = tf.mul(applyFlat(this.base, xd, this.loraA), this.scaling); // (N, r) or (B, H, W, r)
    if (!this.magnitude) return tf.add(y, channelMatMul(h, this.loraB));
    const lora = channelMatMul(h, this.loraB);
    const scale = tf.div(this.magnitude, detach(this.adaptedNorm())); // [out]
    // As PEFT: without dropout the DoRA rescale applies to the running result less the bias (so
    // with several active adapters, to the base plus the adapters before this one); with dropout,
    // to the base weight on the dropped input.
    const { bias } = this.base;
    const baseResult = xd !== x ? applyWeight(this.base, xd, this.base.weight) : y === yBase || !bias ? y : tf.sub(y, bias);
    return tf.add(y, tf.add(tf.mul(tf.sub(scale, 1), baseResult), tf.mul(scale, lora)));
  }

  merge(): void {
    const w = this.base.weight;
    if (!this.magnitude) {
      w.assign(tf.tidy(() => tf.add(w, toWeightShape(this.base, this.lowRank()))));
      return;
    }
    const norm = tf.keep(tf.tidy(() => this.adaptedNorm()));
    w.assign(tf.tidy(() => toWeightShape(this.base, tf.mul(tf.add(flatWeight(this.base), this.lowRank()), tf.div(this.magnitude!, norm)))));
    this.mergedNorm?.dispose();
    this.mergedNorm = norm;
  }

  unmerge(): void {
    const w = this.base.weight;
    if (!this.magnitude) {
      w.assign(tf.tidy(() => tf.sub(w, toWeightShape(this.base, this.lowRank()))));
      return;
    }
    if (!this.mergedNorm) throw new Error('LoRA (DoRA): unmerge without a merge');
    const norm = this.mergedNorm;
    w.assign(tf.tidy(() => toWeightShape(this.base, tf.sub(tf.div(flatWeight(this.base), tf.div(this.magnitude!, norm)), this.lowRank()))));
    norm.dispose();
    this.mergedNorm = null;
  }

  override dispose(): void {
    this.mergedNorm?.dispose();
    this.mergedNorm = null;
    super.dispose();
  }
}

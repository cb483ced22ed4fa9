// TAPS: Task Adaptive Parameter Sharing for Multi-Task Learning (arXiv:2203.16708).
// W_task = W + I(s > τ) · δW per layer, with a learned score s and the straight-through estimator
// for the indicator (forward: step; backward: identity), and the sparsity penalty λ·|s| added to
// the forward context as an aux loss, so layers whose δW does not pay for itself fall back to the
// shared base. δW is dense (the paper) or LoRA-factored (Selective LoRA). Departure: the penalty is
// not scaled by each layer's parameter count (the paper's optional weighting). Conv bases: δW is
// the flattened kernel [kh·kw·in, out].
import * as tf from '@tensorflow/tfjs-core';
import type { ForwardContext, Rng } from '@weft/core';
import { AdditiveAdapter, kaimingBound } from '../adapter-layer.js';
import { applyFlat, applyWeight, channelMatMul, fanIn, toWeightShape, type BaseOp } from '../base-op.js';

/** Per-layer settings of a TAPS adapter. */
export interface TapsLayerOptions {
  threshold: number;
  initScore: number;
  sparsity: number;
  r: number | null;
}

/** step(s − τ) forward, identity backward (straight-through). */
function straightThrough(s: tf.Tensor, threshold: number): tf.Tensor {
  const f = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
    save([]);
    return { value: tf.cast(tf.greater(x, threshold), 'float32'), gradFunc: (dy: tf.Tensor) => dy };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(s);
}

/** A TAPS adapter on one base layer. */
export class TapsLayer extends AdditiveAdapter {
  readonly method = 'taps';
  /** The layer's score s (a scalar). */
  readonly score: tf.Variable;
  /** Dense δW [fanIn, out], or null when factored. */
  readonly delta: tf.Variable | null;
  /** Factored δW = A B, or null when dense. */
  readonly loraA: tf.Variable | null;
  readonly loraB: tf.Variable | null;

  constructor(base: BaseOp, readonly options: TapsLayerOptions, rng: Rng) {
    super(base);
    const k = fanIn(base);
    const out = base.outFeatures;
    this.score = this.addParameter('score', tf.scalar(options.initScore));
    if (options.r === null) {
      this.delta = this.addParameter('delta', tf.zeros([k, out]));
      this.loraA = this.loraB = null;
    } else {
      this.delta = null;
      this.loraA = this.addParameter('lora_A', tf.tensor2d(rng.uniformArray(k * options.r, -kaimingBound(k), kaimingBound(k)), [k, options.r]));
      this.loraB = this.addParameter('lora_B', tf.zeros([options.r, out]));
    }
  }

  private rawDelta(): tf.Tensor2D {
    return (this.delta ?? tf.matMul(this.loraA!, this.loraB!)) as tf.Tensor2D;
  }

  /** The gate I(s > τ) as a number (1 adapted, 0 shared). */
  async active(): Promise<boolean> {
    return (await this.score.data())[0]! > this.options.threshold;
  }

  deltaWeight(): tf.Tensor2D {
    return tf.tidy(() => tf.mul(this.rawDelta(), tf.cast(tf.greater(this.score, this.options.threshold), 'float32')) as tf.Tensor2D);
  }

  override transformOutput(x: tf.Tensor, y: tf.Tensor, _yBase: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    const gate = straightThrough(this.score, this.options.threshold);
    if (ctx.training && this.options.sparsity > 0) ctx.addAuxLoss('taps_sparsity', tf.abs(this.score) as tf.Scalar, this.options.sparsity);
    // Keyed by the layer's path in the trainer's model (`blocks.0.attn.q.taps/active`), so every layer's gate is kept.
    ctx.addStat(`${ctx.keyOf(this, 'taps')}/active`, gate);
    // Conv bases: δW is a kernel (dense), or A a kernel [kh, kw, in, r] and B a 1×1 conv (factored).
    const dy = this.delta ? applyWeight(this.base, x, toWeightShape(this.base, this.delta)) : channelMatMul(applyFlat(this.base, x, this.loraA!), this.loraB!);
    return tf.add(y, tf.mul(dy, gate));
  }
}

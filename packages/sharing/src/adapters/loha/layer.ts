// LoHa: FedPara: Low-Rank Hadamard Product for Communication-Efficient Federated Learning (arXiv:2108.06098).
// ΔW = s · (U1 V1) ⊙ (U2 V2), s = alpha / r, with U [in, r], V [r, out] (PEFT's hada_w*_b / hada_w*_a
// transposed). Linear bases only (PEFT's effective-conv2d Tucker form is not implemented).
import * as tf from '@tensorflow/tfjs-core';
import type { ForwardContext, Rng } from '@weft/core';
import { AdditiveAdapter, kaimingBound } from '../adapter-layer.js';
import type { BaseOp } from '../base-op.js';
import { moduleDropped, rankDropout } from '../lycoris.js';

/** Per-layer settings of a LoHa adapter. */
export interface LohaLayerOptions {
  r: number;
  alpha: number;
  rankDropout: number;
  moduleDropout: number;
  initWeights: boolean;
}

const uniform = (rng: Rng, shape: [number, number], fan: number) =>
  tf.tensor2d(rng.uniformArray(shape[0] * shape[1], -kaimingBound(fan), kaimingBound(fan)), shape);

/** A LoHa adapter on one Linear base. */
export class LohaLayer extends AdditiveAdapter {
  readonly method = 'loha';
  readonly u1: tf.Variable;
  readonly v1: tf.Variable;
  readonly u2: tf.Variable;
  readonly v2: tf.Variable;
  readonly scaling: number;

  constructor(base: BaseOp, readonly options: LohaLayerOptions, rng: Rng) {
    super(base);
    if (base.kind !== 'linear') throw new Error('LoHa: only Linear/Dense layers are supported (got a conv2d layer)');
    const { r } = options;
    const [i, o] = [base.inFeatures, base.outFeatures];
    this.scaling = options.alpha / r;
    // PyTorch fan-ins: hada_w*_a [out, r] → r; hada_w*_b [r, in] → in.
    this.u1 = this.addParameter('hada_w1_b', uniform(rng, [i, r], i));
    this.v1 = this.addParameter('hada_w1_a', uniform(rng, [r, o], r));
    this.u2 = this.addParameter('hada_w2_b', options.initWeights ? tf.zeros([i, r]) : uniform(rng, [i, r], i));
    this.v2 = this.addParameter('hada_w2_a', uniform(rng, [r, o], r));
  }

  deltaWeight(ctx?: ForwardContext): tf.Tensor2D {
    return tf.tidy(() => {
      const d = tf.mul(tf.mul(tf.matMul(this.u1, this.v1), tf.matMul(this.u2, this.v2)), this.scaling) as tf.Tensor2D;
      return ctx ? rankDropout(d, this.options.rankDropout, true, ctx) : d;
    });
  }

  override transformOutput(x: tf.Tensor, y: tf.Tensor, _yBase: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    if (moduleDropped(this.options.moduleDropout, ctx)) return y;
    return tf.add(y, tf.matMul(x as tf.Tensor2D, this.deltaWeight(ctx)));
  }
}

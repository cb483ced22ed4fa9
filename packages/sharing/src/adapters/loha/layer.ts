// LoHa: FedPara: Low-Rank Hadamard Product for Communication-Efficient Federated Learning (arXiv:2108.06098).
// ΔW = s · (U1 V1) ⊙ (U2 V2), s = alpha / r, with U [fanIn, r], V [r, out] (PEFT's hada_w*_b / hada_w*_a
// transposed). Conv bases: the kernel flattened to [kh·kw·in, out] (PEFT's default), or with
// effectiveConv2d (PEFT's use_effective_conv2d, kernels above 1×1) each factor in Tucker form
// tucker(Tᵢ [kh, kw, r, r], Uᵢ [in, r], Vᵢ [r, out]) (conv-layout.ts), as LyCORIS' CP LoHa.
import * as tf from '@tensorflow/tfjs-core';
import type { ForwardContext, Rng } from '@weft/core';
import { AdditiveAdapter, kaimingBound } from '../adapter-layer.js';
import { applyWeight, fanIn, toWeightShape, type BaseOp } from '../base-op.js';
import { tuckerKernel } from '../conv-layout.js';
import { moduleDropped, rankDropout } from '../lycoris.js';

/** Per-layer settings of a LoHa adapter. */
export interface LohaLayerOptions {
  r: number;
  alpha: number;
  rankDropout: number;
  moduleDropout: number;
  initWeights: boolean;
  /** Tucker factors on a conv base whose kernel is above 1×1 (PEFT's use_effective_conv2d). */
  effectiveConv2d: boolean;
}

const uniform = (rng: Rng, shape: number[], fan: number) =>
  tf.tensor(rng.uniformArray(shape.reduce((a, b) => a * b, 1), -kaimingBound(fan), kaimingBound(fan)), shape);

/** A LoHa adapter on one Linear or Conv2d base. */
export class LohaLayer extends AdditiveAdapter {
  readonly method = 'loha';
  /** U1, U2: [fanIn, r], or [in, r] in Tucker form. */
  readonly u1: tf.Variable;
  readonly v1: tf.Variable;
  readonly u2: tf.Variable;
  readonly v2: tf.Variable;
  /** Tucker cores [kh, kw, r, r] (PEFT's hada_t1/hada_t2 permuted), or null. */
  readonly t1: tf.Variable | null;
  readonly t2: tf.Variable | null;
  readonly scaling: number;

  constructor(base: BaseOp, readonly options: LohaLayerOptions, rng: Rng) {
    super(base);
    const { r } = options;
    const o = base.outFeatures;
    const k = base.conv?.kernel ?? [1, 1];
    const tucker = options.effectiveConv2d && base.kind === 'conv2d' && k[0] * k[1] > 1;
    const i = tucker ? base.inFeatures : fanIn(base);
    this.scaling = options.alpha / r;
    // PyTorch fan-ins: hada_w*_a [out, r] → r, hada_w*_b [r, fanIn] → fanIn; Tucker: hada_w*_a [r, out] → out,
    // hada_w*_b [r, in] → in, hada_t* [r, r, kh, kw] → r·kh·kw.
    const fanV = tucker ? o : r;
    this.u1 = this.addParameter('hada_w1_b', uniform(rng, [i, r], i));
    this.v1 = this.addParameter('hada_w1_a', uniform(rng, [r, o], fanV));
    this.u2 = this.addParameter('hada_w2_b', options.initWeights ? tf.zeros([i, r]) : uniform(rng, [i, r], i));
    this.v2 = this.addParameter('hada_w2_a', uniform(rng, [r, o], fanV));
    this.t1 = tucker ? this.addParameter('hada_t1', uniform(rng, [k[0], k[1], r, r], r * k[0] * k[1])) : null;
    this.t2 = tucker ? this.addParameter('hada_t2', uniform(rng, [k[0], k[1], r, r], r * k[0] * k[1])) : null;
  }

  /** One Hadamard factor, flat [fanIn, out]. */
  private factor(t: tf.Variable | null, u: tf.Variable, v: tf.Variable): tf.Tensor {
    return t ? tuckerKernel(t, u, v) : tf.matMul(u, v);
  }

  deltaWeight(ctx?: ForwardContext): tf.Tensor2D {
    return tf.tidy(() => {
      const d = tf.mul(tf.mul(this.factor(this.t1, this.u1, this.v1), this.factor(this.t2, this.u2, this.v2)), this.scaling) as tf.Tensor2D;
      return ctx ? rankDropout(d, this.options.rankDropout, true, ctx) : d;
    });
  }

  override transformOutput(x: tf.Tensor, y: tf.Tensor, _yBase: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    if (moduleDropped(this.options.moduleDropout, ctx)) return y;
    return tf.add(y, applyWeight(this.base, x, toWeightShape(this.base, this.deltaWeight(ctx))));
  }
}

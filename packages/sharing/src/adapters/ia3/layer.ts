// IA3: Few-Shot Parameter-Efficient Fine-Tuning is Better and Cheaper than In-Context Learning (arXiv:2205.05638).
// Learned rescaling vectors as PEFT's IA3: on a feed-forward layer y = (x ⊙ l) W + b (l ∈ R^in);
// otherwise y = (x W + b) ⊙ l (l ∈ R^out; PEFT scales the bias too). Merge multiplies W (and b for
// non-feed-forward layers) by l; unmerge divides by l + 1e-8, as PEFT.
import * as tf from '@tensorflow/tfjs-core';
import type { ForwardContext, Rng } from '@weft/core';
import { AdapterLayer } from '../adapter-layer.js';
import { flatWeight, type BaseOp } from '../base-op.js';

/** Per-layer settings of an IA3 adapter. */
export interface Ia3LayerOptions {
  feedforward: boolean;
  initWeights: boolean;
}

/** An IA3 adapter on one base layer. */
export class Ia3Layer extends AdapterLayer {
  readonly method = 'ia3';
  /** l: [in] for feed-forward layers, [out] otherwise. */
  readonly l: tf.Variable;

  constructor(base: BaseOp, readonly options: Ia3LayerOptions, rng: Rng) {
    super(base);
    const n = options.feedforward ? base.inFeatures : base.outFeatures;
    this.l = this.addParameter('ia3_l', options.initWeights ? tf.ones([n]) : tf.tensor1d(rng.normalArray(n)));
  }

  override transformInput(x: tf.Tensor, _ctx: ForwardContext): tf.Tensor {
    return this.options.feedforward ? tf.mul(x, this.l) : x;
  }

  transformOutput(_x: tf.Tensor, y: tf.Tensor): tf.Tensor {
    return this.options.feedforward ? y : tf.mul(y, this.l);
  }

  /** The weight factor: l as a column [fanIn-broadcast] for feed-forward, a row [out] otherwise. */
  private weightFactor(l: tf.Tensor): tf.Tensor {
    const { base } = this;
    if (!this.options.feedforward) return l; // broadcasts over the last (out) axis
    return base.kind === 'linear' ? tf.reshape(l, [base.inFeatures, 1]) : tf.reshape(l, [1, 1, base.inFeatures, 1]);
  }

  deltaWeight(): tf.Tensor2D {
    return tf.tidy(() => {
      const w = this.base.weight;
      return flatWeight(this.base, tf.sub(tf.mul(w, this.weightFactor(this.l)), w));
    });
  }

  merge(): void {
    const { weight, bias } = this.base;
    weight.assign(tf.tidy(() => tf.mul(weight, this.weightFactor(this.l))));
    if (bias && !this.options.feedforward) bias.assign(tf.tidy(() => tf.mul(bias, this.l)));
  }

  unmerge(): void {
    const { weight, bias } = this.base;
    weight.assign(tf.tidy(() => tf.div(weight, this.weightFactor(tf.add(this.l, 1e-8)))));
    if (bias && !this.options.feedforward) bias.assign(tf.tidy(() => tf.div(bias, tf.add(this.l, 1e-8))));
  }
}

// S2A: A Unified Framework for Parameter and Memory Efficient Transfer Learning (arXiv:2503.08154),
// two of its pieces for an MLPClassifier backbone: (1) a side module — a small bottleneck network fed
// with the frozen backbone's hidden features, whose output is added to the logits; the backbone runs
// outside the gradient tape, so training keeps only the side module's activations; (2) activations of
// non-parametric structures stored by their derivative: ReLU's backward needs only x > 0, kept as one
// byte per entry (tfjs' bool; the paper packs 4 bits) instead of the float input.
import * as tf from '@tensorflow/tfjs-core';
import { ForwardContext, Module, Rng, type MLPClassifier } from '@weft/core';
import { checkPositiveInt } from '@weft/core/internal';

/** ReLU whose backward pass keeps only the mask x > 0 (bool), not the float input. */
export const maskedRelu: (x: tf.Tensor) => tf.Tensor = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
  const mask = tf.greater(x, 0); // bool: 1 byte per entry
  save([mask]);
  return { value: tf.relu(x), gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, tf.cast(saved[0]!, dy.dtype)) };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor) => tf.Tensor;

/** Config of {@link S2ASideTuner}. */
export interface S2AConfig {
  /** Bottleneck width of the side module. Default: 16. */
  bottleneck?: number;
}

/**
 * A frozen MLPClassifier backbone plus an S2A side module: logits = backbone(x) + side(h₁, …, h_L),
 * side = Σ_l Linear(h_l → b), masked ReLU, Linear(b → classes); h_l (the backbone's hidden features) are
 * computed outside the gradient tape. Only the side module trains.
 */
export class S2ASideTuner extends Module<tf.Tensor, tf.Tensor> {
  readonly down: tf.Variable[];
  readonly up: tf.Variable;

  constructor(readonly backbone: MLPClassifier, config: S2AConfig = {}, rng: Rng = new Rng(0)) {
    super();
    const b = checkPositiveInt('S2ASideTuner', 'bottleneck', config.bottleneck ?? 16);
    const widths = backbone.config.hidden ?? [64];
    this.down = widths.map((w, i) => this.addParameter(`down${i}`, tf.tensor2d(rng.uniformArray(w * b, -1 / Math.sqrt(w), 1 / Math.sqrt(w)), [w, b])));
    this.up = this.addParameter('up', tf.zeros([b, backbone.config.numClasses]));
    backbone.freeze();
  }

  /** The frozen backbone's logits and hidden features, as constants (no gradient, no tape). */
  private frozen(x: tf.Tensor): { logits: tf.Tensor; hidden: tf.Tensor[] } {
    const ctx = new ForwardContext({ training: false });
    const layers = this.backbone.layers;
    const hidden: tf.Tensor[] = [];
    let h = x;
    for (let i = 0; i < layers.length - 1; i++) {
      h = tf.relu(layers.at(i).forward(h, ctx));
      hidden.push(h);
    }
    return { logits: layers.at(layers.length - 1).forward(h, ctx), hidden };
  }

  forward(x: tf.Tensor, _ctx?: ForwardContext): tf.Tensor {
    // The backbone's intermediates are freed at once (inner tidy): only the features the side module reads
    // stay, returned to the caller's scope (tf.keep would hold them past every tidy: 3 tensors leaked a forward).
    const { logits, hidden } = tf.tidy(() => this.frozen(x));
    const z = maskedRelu(tf.addN(hidden.map((h, i) => tf.matMul(h as tf.Tensor2D, this.down[i]!))));
    return tf.add(logits, tf.matMul(z as tf.Tensor2D, this.up));
  }
}

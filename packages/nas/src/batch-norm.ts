// BatchNorm without affine parameters, as the DARTS search network uses it (arXiv 1806.09055,
// `nn.BatchNorm2d(C, affine=False)` inside every candidate op). Departure: it always normalises
// with the statistics of the current batch (no running averages), in training and evaluation —
// the supernet is only ever evaluated on batches, and this keeps the op stateless.
import * as tf from '@tensorflow/tfjs-core';
import { Module, type ForwardContext } from '@weft/core';

/** Config of {@link BatchNormNoAffine}. */
export interface BatchNormConfig {
  /** Added to the variance. Default: 1e-5 (PyTorch's). */
  eps?: number;
}

/** Normalise every channel (last axis) to zero mean and unit variance over all other axes. */
export class BatchNormNoAffine extends Module {
  private readonly eps: number;

  constructor(config: BatchNormConfig = {}) {
    super();
    this.eps = config.eps ?? 1e-5;
    if (!(this.eps > 0)) throw new Error(`BatchNormNoAffine: eps=${this.eps} must be > 0`);
  }

  /** (..., C) -> (..., C). */
  forward(x: tf.Tensor, _ctx?: ForwardContext): tf.Tensor {
    const axes = Array.from({ length: x.rank - 1 }, (_, i) => i);
    const { mean, variance } = tf.moments(x, axes, true);
    return tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, this.eps)));
  }
}

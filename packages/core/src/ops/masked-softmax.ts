// maskedSoftmax(scores, scale, bias, keyBias): softmax(scale·scores + bias + keyBias) over the last
// axis — attention's weights from its raw scores (B, H, Tq, Tk), an additive (Tq, Tk) position mask
// and an additive (B, Tk) key-padding mask. One fused kernel forward and one backward on cpu, wasm and webgpu
// (kernels/masked-softmax.ts); tfjs ops elsewhere. The masks get no gradient (they are constants).
import * as tf from '@tensorflow/tfjs-core';
import { MASKED_SOFTMAX, MASKED_SOFTMAX_GRAD } from '../kernels/masked-softmax.js';

/** The op-by-op form (the reference, and the path on backends without the fused kernels). */
export function maskedSoftmaxUnfused(scores: tf.Tensor, scale: number, bias: tf.Tensor | null, keyBias: tf.Tensor | null): tf.Tensor {
  return tf.tidy(() => {
    let z = tf.mul(scores, scale);
    if (bias) z = tf.add(z, bias);
    if (keyBias) z = tf.add(z, tf.reshape(keyBias, [scores.shape[0]!, ...new Array<number>(scores.rank - 2).fill(1), scores.shape[scores.rank - 1]!])); // (B, Tk) -> (B, 1, …, 1, Tk)
    return tf.softmax(z, -1);
  });
}

/**
 * softmax(scale·scores + bias + keyBias) over the last axis of `scores` (…, Tq, Tk); `bias` (Tq, Tk)
 * and `keyBias` (B, Tk) additive masks or null. Fused on cpu, wasm and webgpu.
 */
export function maskedSoftmax(scores: tf.Tensor, scale: number, bias: tf.Tensor | null, keyBias: tf.Tensor | null): tf.Tensor {
  const backend = tf.getBackend();
  if (scores.dtype !== 'float32' || scores.rank < 2 || !tf.getKernel(MASKED_SOFTMAX, backend) || !tf.getKernel(MASKED_SOFTMAX_GRAD, backend)) {
    return maskedSoftmaxUnfused(scores, scale, bias, keyBias);
  }
  const masks: tf.NamedTensorMap = { ...(bias ? { bias } : {}), ...(keyBias ? { keyBias } : {}) };
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [s, save] = args as [tf.Tensor, tf.GradSaveFunc];
    const y = tf.engine().runKernel(MASKED_SOFTMAX, { s, ...masks }, { scale }) as tf.Tensor;
    save([y]);
    return { value: y, gradFunc: (dy: tf.Tensor, [sy]: tf.Tensor[]) => tf.engine().runKernel(MASKED_SOFTMAX_GRAD, { dy, y: sy! }, { scale }) as tf.Tensor };
  }) as unknown as (s: tf.Tensor) => tf.Tensor;
  return op(scores);
}

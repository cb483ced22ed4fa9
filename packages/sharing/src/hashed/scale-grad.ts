// Identity in the forward pass, gradient multiplied by `scale` in the backward pass (STABLE-RPS's
// gradient scaling of the shared array; see hashed-linear.ts).
import * as tf from '@tensorflow/tfjs-core';

/** x, with its gradient scaled by `scale`. */
export function scaleGrad(x: tf.Tensor, scale: number): tf.Tensor {
  if (scale === 1) return x;
  const op = tf.customGrad((a: any) => ({ value: tf.clone(a as tf.Tensor), gradFunc: (dy: tf.Tensor) => tf.mul(dy, scale) }));
  return (op as (a: tf.Tensor) => tf.Tensor)(x);
}

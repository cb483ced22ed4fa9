// `condition ? a : b` for a scalar bool tensor, without reading it back: one of the two inputs,
// shared, on cpu and wasm (kernels/select-by-scalar.ts); tfjs's `where` on the GPU backends, whose
// broadcast is cheap there.
import * as tf from '@tensorflow/tfjs-core';
import { SELECT_BY_SCALAR } from '../kernels/select-by-scalar.js';

/** `condition ? a : b` element for element, with `condition` a bool scalar and `a`, `b` of one shape and dtype. */
export function selectByScalar<T extends tf.Tensor>(condition: tf.Scalar, a: T, b: T): T {
  if (condition.rank !== 0 || condition.dtype !== 'bool') {
    throw new Error(`selectByScalar: condition has shape [${condition.shape}] and dtype ${condition.dtype}; expected a bool scalar`);
  }
  if (tf.getKernel(SELECT_BY_SCALAR, tf.getBackend())) return tf.engine().runKernel(SELECT_BY_SCALAR, { condition, t: a, e: b }) as T;
  return tf.where(condition, a, b) as T;
}

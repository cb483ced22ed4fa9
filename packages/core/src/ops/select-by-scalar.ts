// `condition ? a : b` for a scalar bool tensor, without reading it back: one of the two inputs,
// shared, on cpu and wasm (kernels/select-by-scalar.ts); tfjs's `where` on the GPU backends, whose
// broadcast is cheap there.
import * as tf from '@tensorflow/tfjs-core';
import { SELECT_ALL_BY_SCALAR, SELECT_BY_SCALAR } from '../kernels/select-by-scalar.js';

/** `condition ? a : b` element for element, with `condition` a bool scalar and `a`, `b` of one shape and dtype. */
export function selectByScalar<T extends tf.Tensor>(condition: tf.Scalar, a: T, b: T): T {
  if (condition.rank !== 0 || condition.dtype !== 'bool') {
    throw new Error(`selectByScalar: condition has shape [${condition.shape}] and dtype ${condition.dtype}; expected a bool scalar`);
  }
  if (tf.getKernel(SELECT_BY_SCALAR, tf.getBackend())) return tf.engine().runKernel(SELECT_BY_SCALAR, { condition, t: a, e: b }) as T;
  return tf.where(condition, a, b) as T;
}

/** {@link selectByScalar} of many pairs (`as[i]`, `bs[i]`) at once: one kernel call on cpu and wasm. */
export function selectAllByScalar<T extends tf.Tensor>(condition: tf.Scalar, as: readonly T[], bs: readonly T[]): T[] {
  if (as.length !== bs.length) throw new Error(`selectAllByScalar: ${as.length} tensors to select from one side and ${bs.length} from the other; expected as many`);
  if (as.length === 0 || !tf.getKernel(SELECT_ALL_BY_SCALAR, tf.getBackend())) return as.map((a, i) => selectByScalar(condition, a, bs[i]!));
  if (condition.rank !== 0 || condition.dtype !== 'bool') {
    throw new Error(`selectAllByScalar: condition has shape [${condition.shape}] and dtype ${condition.dtype}; expected a bool scalar`);
  }
  const inputs: tf.NamedTensorMap = { condition };
  as.forEach((a, i) => Object.assign(inputs, { [`t${i}`]: a, [`e${i}`]: bs[i]! }));
  return tf.engine().runKernel(SELECT_ALL_BY_SCALAR, inputs, { count: as.length }) as unknown as T[];
}

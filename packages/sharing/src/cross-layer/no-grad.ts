// Run a non-differentiable computation (top-k, comparisons) on tensors that are on the gradient
// tape without tfjs trying to differentiate it: ops inside a customGrad forward are not taped, and
// the gradient returned to the inputs is zero (like PyTorch's `.detach()` or `torch.no_grad()`).
import * as tf from '@tensorflow/tfjs-core';

/** `f(...inputs)` computed off the tape; gradients to `inputs` through it are zero. */
export function noGrad(inputs: tf.Tensor[], f: (...xs: tf.Tensor[]) => tf.Tensor): tf.Tensor {
  const op = tf.customGrad((...args: any[]) => {
    const xs = args.slice(0, inputs.length) as tf.Tensor[];
    return { value: f(...xs), gradFunc: () => xs.map((x) => tf.zeros(x.shape, 'float32')) /* shapes only: inputs may be freed by then; tfjs wants float gradients even for int inputs */ };
  });
  return (op as (...xs: tf.Tensor[]) => tf.Tensor)(...inputs);
}

/**
 * `tf.gather(x, rows)` along axis 0 where `rows` (int32, computed off the tape, e.g. by a router's
 * top-k) is closed over rather than an input: tfjs would otherwise ask for a gradient of the
 * indices. The gradient is the scatter-add of dy (UnsortedSegmentSum).
 */
export function gatherRows(x: tf.Tensor, rows: tf.Tensor): tf.Tensor {
  const n = x.shape[0]!;
  const op = tf.customGrad((a: any, save: any) => {
    (save as tf.GradSaveFunc)([rows]); // kept for the backward pass (the step's tidy frees `rows` before it)
    return { value: tf.gather(a as tf.Tensor, rows), gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.unsortedSegmentSum(dy, saved[0]! as tf.Tensor1D, n) };
  });
  return (op as (a: tf.Tensor) => tf.Tensor)(x);
}

/** Rows of `x` (N, ...) added into zeros (n, ...) at `rows` (N, closed over like {@link gatherRows}); the gradient is the gather of dy. */
export function scatterRows(x: tf.Tensor, rows: tf.Tensor, n: number): tf.Tensor {
  const op = tf.customGrad((a: any, save: any) => {
    (save as tf.GradSaveFunc)([rows]);
    return { value: tf.unsortedSegmentSum(a as tf.Tensor, rows as tf.Tensor1D, n), gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.gather(dy, saved[0]!) };
  });
  return (op as (a: tf.Tensor) => tf.Tensor)(x);
}

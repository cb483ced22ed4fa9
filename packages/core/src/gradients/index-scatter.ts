// Gradients tfjs 4.22 lacks for ops that select elements (StridedSlice, GatherNd, TopK): each
// selects some elements of x, so its gradient adds dy back at those elements. Weft finds "which
// elements" by applying the same op to the flat indices of x, then adds dy with UnsortedSegmentSum
// (linear time on cpu and wasm with Weft's kernels) — one mechanism for every masked/strided form.
import * as tf from '@tensorflow/tfjs-core';

/** Add `dy` into a zero tensor of `shape` at the flat positions `flatIndex` (same shape as dy). */
export function scatterAddFlat(dy: tf.Tensor, flatIndex: tf.Tensor, shape: number[]): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const summed = tf.unsortedSegmentSum(tf.reshape(dy, [-1]), tf.reshape(flatIndex, [-1]) as tf.Tensor1D, size);
  return tf.reshape(summed, shape);
}

/** The flat index of every element of a tensor of `shape`, as an int32 tensor of that shape. */
export function flatIndices(shape: number[]): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.reshape(tf.range(0, size, 1, 'int32'), shape);
}

/** Gradient of StridedSlice (every mask form): dy added at the sliced positions. */
export const stridedSliceGrad: tf.GradConfig = {
  kernelName: 'StridedSlice',
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const x = saved[0]!;
    const a = attrs as unknown as {
      begin: number[]; end: number[]; strides: number[];
      beginMask: number; endMask: number; ellipsisMask: number; newAxisMask: number; shrinkAxisMask: number;
    };
    return {
      x: () => {
        const where = tf.stridedSlice(flatIndices(x.shape), a.begin, a.end, a.strides, a.beginMask, a.endMask, a.ellipsisMask, a.newAxisMask, a.shrinkAxisMask);
        return scatterAddFlat(dy as tf.Tensor, where, x.shape);
      },
    };
  },
};

/** Gradient of GatherNd with respect to its params (indices get none). */
export const gatherNdGrad: tf.GradConfig = {
  kernelName: 'GatherNd',
  inputsToSave: ['params', 'indices'],
  gradFunc: (dy, saved) => {
    const [params, indices] = saved as [tf.Tensor, tf.Tensor];
    return {
      params: () => scatterAddFlat(dy as tf.Tensor, tf.gatherND(flatIndices(params.shape), indices), params.shape),
      indices: () => tf.zerosLike(indices),
    };
  },
};

/** Gradient of ScatterNd with respect to its updates: dy read back at the scattered positions. */
export const scatterNdGrad: tf.GradConfig = {
  kernelName: 'ScatterNd',
  inputsToSave: ['indices'],
  gradFunc: (dy, saved) => {
    const [indices] = saved as [tf.Tensor];
    return { updates: () => tf.gatherND(dy as tf.Tensor, indices), indices: () => tf.zerosLike(indices) };
  },
};

/** Gradient of TopK's values with respect to x: each value's dy goes back to where it came from. */
export const topKGrad: tf.GradConfig = {
  kernelName: 'TopK',
  inputsToSave: ['x'],
  outputsToSave: [false, true],
  gradFunc: (dy, saved) => {
    const [x, indices] = saved as [tf.Tensor, tf.Tensor];
    const dValues = Array.isArray(dy) ? dy[0]! : dy;
    return {
      x: () => {
        const n = x.shape[x.rank - 1]!;
        const k = indices.shape[indices.rank - 1]!;
        const rows = x.size / n;
        // (…, k) indices within a row -> flat indices into x: row·n + index
        const rowStart = tf.reshape(tf.mul(tf.range(0, rows, 1, 'int32'), tf.scalar(n, 'int32')), [rows, 1]);
        const flat = tf.add(tf.reshape(indices, [rows, k]), rowStart);
        return scatterAddFlat(dValues, flat, x.shape);
      },
    };
  },
};

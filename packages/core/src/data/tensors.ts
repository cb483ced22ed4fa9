// Turning a dataset's arrays into tensors: the only file of data/ that touches tfjs.
import * as tf from '@tensorflow/tfjs-core';
import type { DataArray, Dataset } from './dataset.js';

/** The tensors of a dataset (or of a batch); the caller disposes them with `tf.dispose(t)`. */
// A type alias, not an interface, so that it is a `tf.TensorContainer` and `tf.dispose` takes it.
export type DatasetTensors = {
  /** Inputs, shape `xShape`, float32 or int32 like the array. */
  x: tf.Tensor;
  /** Targets, shape `yShape`, float32 or int32 like the array. */
  y: tf.Tensor;
  /** The per-example `extra` arrays, shape `[N]` or `[N, k]`. */
  extra: Record<string, tf.Tensor>;
};

function upload(array: DataArray, shape: number[]): tf.Tensor {
  return tf.tensor(array, shape, array instanceof Int32Array ? 'int32' : 'float32');
}

/** Upload a dataset (or a batch from `batches`) to the active backend. */
export function toTensors(ds: Dataset): DatasetTensors {
  const n = ds.xShape[0]!;
  const extra: Record<string, tf.Tensor> = {};
  for (const [key, array] of Object.entries(ds.extra ?? {})) {
    const width = n === 0 ? 1 : array.length / n;
    extra[key] = upload(array, width === 1 ? [n] : [n, width]);
  }
  return { x: upload(ds.x, ds.xShape), y: upload(ds.y, ds.yShape), extra };
}

// pickColumns(m, idx): one value per (row, choice), optionally renormalised per row — a router's
// gates — as one kernel each way on cpu, wasm and webgpu (kernels/pick-columns*.ts), tf ops elsewhere.
import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig } from '@tensorflow/tfjs-core';
import { PICK_COLUMNS, PICK_COLUMNS_GRAD } from '../kernels/pick-columns.js';
import { activeBackendHas } from '../kernels/index.js';

/** The composition (backends without the kernels): a flat gather at n·E + idx, and the row sum's division. */
function composed(m: tf.Tensor2D, idx: tf.Tensor2D, normalize: boolean): tf.Tensor2D {
  return tf.tidy(() => {
    const [n, e] = m.shape;
    const k = idx.shape[1];
    const offsets = tf.mul(tf.range(0, n, 1, 'int32'), tf.scalar(e, 'int32')); // (N,)
    const flatIdx = tf.add(idx, tf.reshape(offsets, [n, 1])); // (N, k)
    const v = tf.reshape(tf.gather(tf.reshape(m, [n * e]), tf.reshape(flatIdx, [n * k])), [n, k]); // (N·E,) -> (N·k,) -> (N, k)
    return (normalize ? tf.div(v, tf.sum(v, 1, true)) : v) as tf.Tensor2D;
  });
}

/**
 * m (N, E) float32, idx (N, k) int32 with values in [0, E) -> (N, k): v[n, j] = m[n, idx[n, j]],
 * divided by the row's Σ_j v[n, j] when `normalize` (Mixtral's renormalised top-k gates).
 * Differentiable in m (idx gets none). On cpu and wasm an index outside [0, E) is an error.
 */
export function pickColumns(m: tf.Tensor2D, idx: tf.Tensor2D, normalize = false): tf.Tensor2D {
  const who = 'pickColumns';
  if (m.rank !== 2 || idx.rank !== 2 || m.shape[0] !== idx.shape[0]) throw new Error(`${who}: m [${m.shape}] and idx [${idx.shape}] must be (N, E) and (N, k)`);
  if (m.dtype !== 'float32') throw new Error(`${who}: m has dtype ${m.dtype}; expected float32`);
  if (idx.dtype !== 'int32') throw new Error(`${who}: idx has dtype ${idx.dtype}; expected int32`);
  if (!activeBackendHas(PICK_COLUMNS)) return composed(m, idx, normalize);
  return tf.engine().runKernel(PICK_COLUMNS, { m, idx }, { normalize }) as tf.Tensor2D;
}

/** The gradient of WeftPickColumns (one kernel); idx gets none. Registered with Weft's gradient fixes. */
export const pickColumnsGrad: GradConfig = {
  kernelName: PICK_COLUMNS,
  inputsToSave: ['m', 'idx'],
  gradFunc: (dy, [m, idx], attrs) => ({
    m: () => tf.engine().runKernel(PICK_COLUMNS_GRAD, { dy: dy as tf.Tensor, m: m!, idx: idx! }, attrs as tf.NamedAttrMap) as tf.Tensor,
    idx: () => tf.zerosLike(idx!),
  }),
};

// gatherRows(x, index): rows of x, index R (one past the last row) reading zeros; one kernel each
// way on cpu and wasm, one WGSL dispatch forward on webgpu (kernels/gather-rows*.ts), Concat +
// GatherV2 elsewhere.
import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig } from '@tensorflow/tfjs-core';
import { GATHER_ROWS, GATHER_ROWS_GRAD } from '../kernels/gather-rows.js';
import { activeBackendHas } from '../kernels/index.js';

/**
 * x (R, D) float32, index (M,) int32 with values in [0, R] -> (M, D): row index[i] of x, or a zero
 * row where index[i] = R (an empty slot). Differentiable in x: the gradient sums dy's rows into the
 * rows they read. On cpu and wasm an index outside [0, R] is an error.
 */
export function gatherRows(x: tf.Tensor2D, index: tf.Tensor1D): tf.Tensor2D {
  const who = 'gatherRows';
  if (x.rank !== 2 || index.rank !== 1) throw new Error(`${who}: x [${x.shape}] and index [${index.shape}] must have ranks 2 and 1 ((R, D), (M,))`);
  if (x.dtype !== 'float32') throw new Error(`${who}: x has dtype ${x.dtype}; expected float32`);
  if (index.dtype !== 'int32') throw new Error(`${who}: index has dtype ${index.dtype}; expected int32`);
  const [R, D] = x.shape;
  if (!activeBackendHas(GATHER_ROWS)) return tf.tidy(() => tf.gather(tf.concat([x, tf.zeros([1, D])], 0), index) as tf.Tensor2D);
  return tf.engine().runKernel(GATHER_ROWS, { x, index }, { numRows: R }) as tf.Tensor2D;
}

/** The gradient of WeftGatherRows: dy's rows summed into the rows they read (index R dropped); index gets none. Registered with Weft's gradient fixes. */
export const gatherRowsGrad: GradConfig = {
  kernelName: GATHER_ROWS,
  inputsToSave: ['index'],
  gradFunc: (dy, [index], attrs) => {
    const { numRows } = attrs as unknown as { numRows: number };
    const g = dy as tf.Tensor2D;
    return {
      x: () =>
        tf.getKernel(GATHER_ROWS_GRAD, tf.getBackend())
          ? (tf.engine().runKernel(GATHER_ROWS_GRAD, { dy: g, index: index! }, { numRows }) as tf.Tensor)
          : tf.tidy(() => tf.slice(tf.unsortedSegmentSum(g, index as tf.Tensor1D, numRows + 1), [0, 0], [numRows, g.shape[1]])), // (R + 1, D) -> (R, D)
      index: () => tf.zerosLike(index!),
    };
  },
};

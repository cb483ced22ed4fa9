// Grouped matrix product, as MegaBlocks' grouped GEMM (Gale et al., "MegaBlocks: Efficient Sparse
// Training with Mixture-of-Experts", arXiv:2211.15841): G blocks of rows, each multiplied by the one
// of E stacked weight matrices it names — a sparse MoE's dropless dispatch — without copying a
// weight matrix per block, which tf.gather(w, group) + tf.matMul does (G·K·N floats forward, as many
// again in the gather's gradient), with an optional per-expert bias added in the kernel. Kernels:
// kernels/grouped-mat-mul.ts; gradient registered here.
import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig } from '@tensorflow/tfjs-core';
import { GROUPED_BIAS_GRAD, GROUPED_MAT_MUL, GROUPED_MAT_MUL_WEIGHT_GRAD } from '../kernels/grouped-mat-mul.js';
import { registerTrainingKernels } from '../kernels/index.js';

/** Make sure the active backend has `kernel` (Weft registers it with its training kernels). */
function ensureKernel(kernel: string): void {
  const backend = tf.getBackend();
  if (!tf.getKernel(kernel, backend)) registerTrainingKernels(backend);
  if (!tf.getKernel(kernel, backend)) throw new Error(`groupedMatMul: backend ${backend} has no ${kernel} kernel; Weft registers it on wasm, cpu, webgl and webgpu`);
}

/**
 * y[g] = x[g] · w[group[g]] (+ bias[group[g]] on each row): x (G, b, K) float32, w (E, K, N) float32,
 * group (G,) int32 with values in [0, E), bias (E, N) float32 or none -> (G, b, N). Differentiable in
 * x, w and bias. The bias is added inside the kernel (no gathered (G, 1, N) copy, no broadcast Add).
 */
export function groupedMatMul(x: tf.Tensor3D, w: tf.Tensor3D, group: tf.Tensor1D, bias?: tf.Tensor2D): tf.Tensor3D {
  const who = 'groupedMatMul';
  if (x.rank !== 3 || w.rank !== 3 || group.rank !== 1) {
    throw new Error(`${who}: x [${x.shape}], w [${w.shape}], group [${group.shape}] must have ranks 3, 3, 1 ((G, b, K), (E, K, N), (G,))`);
  }
  if (w.shape[1] !== x.shape[2]) throw new Error(`${who}: w has shape [${w.shape}]; its K=${w.shape[1]} must equal x's last dimension ${x.shape[2]}`);
  if (group.shape[0] !== x.shape[0]) throw new Error(`${who}: group has ${group.shape[0]} entries; x has G=${x.shape[0]} blocks`);
  if (group.dtype !== 'int32') throw new Error(`${who}: group has dtype ${group.dtype}; expected int32`);
  if (x.dtype !== 'float32' || w.dtype !== 'float32') throw new Error(`${who}: x and w must be float32 (got ${x.dtype}, ${w.dtype})`);
  ensureKernel(GROUPED_MAT_MUL);
  if (bias === undefined) return tf.engine().runKernel(GROUPED_MAT_MUL, { x, w, group }, {}) as tf.Tensor3D;
  if (!(bias instanceof tf.Tensor) || bias.rank !== 2 || bias.shape[0] !== w.shape[0] || bias.shape[1] !== w.shape[2]) {
    throw new Error(`${who}: bias has shape [${bias instanceof tf.Tensor ? bias.shape : String(bias)}]; expected [${w.shape[0]}, ${w.shape[2]}] (E, N) for w [${w.shape}]`);
  }
  if (bias.dtype !== 'float32') throw new Error(`${who}: bias has dtype ${bias.dtype}; expected float32`);
  ensureKernel(GROUPED_BIAS_GRAD);
  return tf.engine().runKernel(GROUPED_MAT_MUL, { x, w, group, bias }, {}) as tf.Tensor3D;
}

/** db[e] = Σ_{group[g]=e} Σ_i dy[g, i] -> (E, N). */
function groupedBiasGrad(dy: tf.Tensor, group: tf.Tensor, numGroups: number): tf.Tensor {
  return tf.engine().runKernel(GROUPED_BIAS_GRAD, { dy, group }, { numGroups } as unknown as tf.NamedAttrMap);
}

/** dw[e] = Σ_{group[g]=e} x[g]ᵀ·dy[g] -> (E, K, N). */
function groupedWeightGrad(x: tf.Tensor, dy: tf.Tensor, group: tf.Tensor, numGroups: number): tf.Tensor {
  ensureKernel(GROUPED_MAT_MUL_WEIGHT_GRAD);
  return tf.engine().runKernel(GROUPED_MAT_MUL_WEIGHT_GRAD, { x, dy, group }, { numGroups } as unknown as tf.NamedAttrMap);
}

/** dx = grouped(dy, wᵀ), dw = grouped weight gradient, dbias = grouped row sums of dy; the integer group gets none. With transposeW (y = x·wᵀ, no bias): dx = grouped(dy, w), dw = Σ dyᵀ·x. */
export const groupedMatMulGrad: GradConfig = {
  kernelName: GROUPED_MAT_MUL,
  inputsToSave: ['x', 'w', 'group'],
  gradFunc: (dy, saved, attrs): Record<string, () => tf.Tensor> => {
    const [x, w, group] = saved as [tf.Tensor3D, tf.Tensor3D, tf.Tensor1D];
    const g = dy as tf.Tensor3D;
    const run = (a: tf.Tensor3D, transposeW: boolean) => tf.engine().runKernel(GROUPED_MAT_MUL, { x: a, w, group }, { transposeW } as unknown as tf.NamedAttrMap) as tf.Tensor3D;
    if ((attrs as { transposeW?: boolean } | undefined)?.transposeW) {
      return { x: () => run(g, false), w: () => groupedWeightGrad(g, x, group, w.shape[0]), group: () => tf.zerosLike(group) };
    }
    return {
      // dy[g]·w[e]ᵀ: the kernel reads w transposed (wasm: per expert, into a cache-sized scratch; no [E, N, K] copy).
      x: () => run(g, true),
      w: () => groupedWeightGrad(x, g, group, w.shape[0]),
      bias: () => groupedBiasGrad(g, group, w.shape[0]),
      group: () => tf.zerosLike(group),
    };
  },
};

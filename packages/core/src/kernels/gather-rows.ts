// WeftGatherRows: rows of a matrix by index, where index R (one past the last row) reads a zero row,
// and its gradient, one kernel each way on cpu and wasm. A sparse MoE's dispatch reads tokens into
// its expert buffer (empty rows: zeros) and the buffer's rows back per pair; as tfjs ops that is a
// Concat of a zero row and a GatherV2 forward, and backward an identity Transpose (a copy) on each
// side of an UnsortedSegmentSum and a SplitV.
//   WeftGatherRows      x (R, D) float32, index (M,) int32 in [0, R] -> (M, D)
//   WeftGatherRowsGrad  dy (M, D), index (M,) (attr numRows R) -> (R, D): Σ of dy's rows per index,
//                       index R dropped
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { computeOutput, type NumericArray } from './io.js';

/** The kernels' names. */
export const GATHER_ROWS = 'WeftGatherRows';
export const GATHER_ROWS_GRAD = 'WeftGatherRowsGrad';

function checkIndex(kernel: string, index: NumericArray, R: number): void {
  for (let i = 0; i < index.length; i++) {
    const r = index[i]!;
    if (!(r >= 0 && r <= R)) throw new Error(`${kernel}: index[${i}]=${r}; allowed: 0 ≤ index ≤ ${R} (${R}: a zero row)`);
  }
}

const gatherRows: KernelFunc = ({ inputs, backend }) => {
  const { x, index } = inputs as { x: TensorInfo; index: TensorInfo };
  if (x.shape.length !== 2 || index.shape.length !== 1 || x.dtype !== 'float32' || index.dtype !== 'int32') {
    throw new Error(`${GATHER_ROWS}: x [${x.shape}] ${x.dtype} and index [${index.shape}] ${index.dtype} must be (R, D) float32 and (M,) int32`);
  }
  const [R, D] = x.shape as [number, number];
  return computeOutput(GATHER_ROWS, backend, [index.shape[0]!, D], 'float32', [x, index], (out, xs, idx) => {
    checkIndex(GATHER_ROWS, idx!, R);
    for (let i = 0; i < idx!.length; i++) {
      const r = idx![i]!;
      if (r < R) out.set(xs!.subarray(r * D, r * D + D), i * D); // index R: the output's zeros
    }
  });
};

const gatherRowsGrad: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, index } = inputs as { dy: TensorInfo; index: TensorInfo };
  const { numRows: R } = attrs as unknown as { numRows: number };
  if (dy.shape.length !== 2 || index.shape.length !== 1 || dy.shape[0] !== index.shape[0]) throw new Error(`${GATHER_ROWS_GRAD}: dy [${dy.shape}] and index [${index.shape}] must be (M, D) and (M,)`);
  const D = dy.shape[1]!;
  return computeOutput(GATHER_ROWS_GRAD, backend, [R, D], 'float32', [dy, index], (out, g, idx) => {
    checkIndex(GATHER_ROWS_GRAD, idx!, R);
    for (let i = 0; i < idx!.length; i++) {
      const r = idx![i]!;
      if (r === R) continue;
      const [o, s] = [r * D, i * D];
      for (let j = 0; j < D; j++) out[o + j] += g![s + j]!;
    }
  });
};

/** Weft's gather-rows kernels on `backendName` (cpu or wasm). */
export function gatherRowsConfigs(backendName: 'cpu' | 'wasm'): KernelConfig[] {
  return [
    { kernelName: GATHER_ROWS, backendName, kernelFunc: gatherRows },
    { kernelName: GATHER_ROWS_GRAD, backendName, kernelFunc: gatherRowsGrad },
  ];
}

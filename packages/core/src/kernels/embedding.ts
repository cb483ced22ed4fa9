// An embedding lookup and its gradient as one kernel each on cpu and wasm, where tfjs's gather
// gradient runs Reshape ×2, an identity-permutation Transpose (a full copy) on each side of the
// UnsortedSegmentSum, and clones the table for its gradient:
//   WeftEmbedding      table (V, D), ids (…) int32 -> (…, D)            (the backend's GatherV2)
//   WeftEmbeddingGrad  dy (…, D), ids (…) (attr numRows V) -> (V, D)    (its UnsortedSegmentSum over
//                      views of dy as (n, D) and ids as (n): no copies)
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { runBackendKernel } from './io.js';

/** The kernels' names. */
export const EMBEDDING = 'WeftEmbedding';
export const EMBEDDING_GRAD = 'WeftEmbeddingGrad';

function lookup(backendName: 'cpu' | 'wasm'): KernelFunc {
  return ({ inputs, backend }) => {
    const { table, ids } = inputs as { table: TensorInfo; ids: TensorInfo };
    if (table.shape.length !== 2 || ids.dtype !== 'int32') throw new Error(`${EMBEDDING}: table [${table.shape}] must be (V, D) and ids int32 (got ${ids.dtype})`);
    return runBackendKernel('GatherV2', backendName, backend, { x: table, indices: ids }, { axis: 0, batchDims: 0 });
  };
}

function lookupGrad(backendName: 'cpu' | 'wasm'): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { dy, ids } = inputs as { dy: TensorInfo; ids: TensorInfo };
    const { numRows } = attrs as unknown as { numRows: number };
    const n = ids.shape.reduce((p, d) => p * d, 1);
    const D = dy.shape[dy.shape.length - 1]!;
    if (dy.shape.length !== ids.shape.length + 1 || n * D !== dy.shape.reduce((p, d) => p * d, 1)) throw new Error(`${EMBEDDING_GRAD}: dy [${dy.shape}] must be ids' shape [${ids.shape}] plus one axis`);
    // (…, D) -> (n, D) and (…) -> (n): views of the same data
    const x = { dataId: dy.dataId, shape: [n, D], dtype: dy.dtype };
    const segmentIds = { dataId: ids.dataId, shape: [n], dtype: ids.dtype };
    return runBackendKernel('UnsortedSegmentSum', backendName, backend, { x, segmentIds }, { numSegments: numRows });
  };
}

/** Weft's embedding lookup kernels on `backendName` (cpu or wasm). */
export function embeddingConfigs(backendName: 'cpu' | 'wasm'): KernelConfig[] {
  return [
    { kernelName: EMBEDDING, backendName, kernelFunc: lookup(backendName) },
    { kernelName: EMBEDDING_GRAD, backendName, kernelFunc: lookupGrad(backendName) },
  ];
}

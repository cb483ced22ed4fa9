// WeftGatherRows (gather-rows.ts: rows of x by index, index R reading a zero row) as one WGSL
// dispatch on tfjs webgpu, where the composition is a Concat and a GatherV2. A shader cannot throw:
// an index outside [0, R] reads zeros there, as an index R does. The gradient on webgpu is tfjs's
// UnsortedSegmentSum and a Slice (ops/gather-rows.ts).
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { GATHER_ROWS } from './gather-rows.js';
import { isWebGPU, runFlat } from './webgpu-program.js';

const gatherRows: KernelFunc = ({ inputs, backend }) => {
  const { x, index } = inputs as { x: TensorInfo; index: TensorInfo };
  if (!isWebGPU(backend)) throw new Error(`${GATHER_ROWS}: the backend is not tfjs webgpu; this kernel is registered only there`);
  if (x.shape.length !== 2 || index.shape.length !== 1 || x.dtype !== 'float32' || index.dtype !== 'int32') {
    throw new Error(`${GATHER_ROWS}: x [${x.shape}] ${x.dtype} and index [${index.shape}] ${index.dtype} must be (R, D) float32 and (M,) int32`);
  }
  const [R, D] = x.shape as [number, number];
  const M = index.shape[0]!;
  const body = `
          let r = rowIndex[index / uniforms.D];
          if (r >= 0 && r < uniforms.R) {
            setOutputAtIndex(index, f32(x[r * uniforms.D + index % uniforms.D]));
          } else {
            setOutputAtIndex(index, 0.0);
          }`;
  return runFlat(backend, 'weft_gather_rows', [M, D], M * D, { x, rowIndex: index }, [['R', 'i32', R], ['D', 'i32', D]], body);
};

/** Weft's WeftGatherRows as a WGSL program on tfjs webgpu. */
export const gatherRowsWebGPUConfig: KernelConfig = { kernelName: GATHER_ROWS, backendName: 'webgpu', kernelFunc: gatherRows };

// WeftSelectByScalar (`condition ? t : e` for a scalar bool condition; select-by-scalar.ts) as one
// WGSL dispatch on tfjs webgpu, which cannot share an input as cpu and wasm do without reading the
// condition back. tfjs's `where` first tiles the condition to the operands' shape: two dispatches
// per tensor, and the trainer's non-finite guard selects every variable it watches each step (the
// weights and the optimizer's moments: 112 tensors of a 2-block TinyTransformer with Adam).
// WeftSelectAllByScalar is not registered here: the guard reads its presence as "the verdict is in
// memory" (train/non-finite-guard.ts) and would read it back.
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { SELECT_BY_SCALAR } from './select-by-scalar.js';
import { isWebGPU, runFlat } from './webgpu-program.js';

const ALLOWED = ['float32', 'int32', 'bool'];

const selectByScalar: KernelFunc = ({ inputs, backend }) => {
  const { condition, t, e } = inputs as { condition: TensorInfo; t: TensorInfo; e: TensorInfo };
  if (!isWebGPU(backend)) throw new Error(`${SELECT_BY_SCALAR}: the backend is not tfjs webgpu; this kernel is registered only there`);
  if (condition.shape.length !== 0 || condition.dtype !== 'bool') throw new Error(`${SELECT_BY_SCALAR}: condition has shape [${condition.shape}] and dtype ${condition.dtype}; expected a bool scalar`);
  if (t.dtype !== e.dtype || t.shape.length !== e.shape.length || t.shape.some((d, i) => d !== e.shape[i])) {
    throw new Error(`${SELECT_BY_SCALAR}: t [${t.shape}] ${t.dtype} and e [${e.shape}] ${e.dtype} must have one shape and dtype`);
  }
  if (!ALLOWED.includes(t.dtype)) throw new Error(`${SELECT_BY_SCALAR}: t and e have dtype ${t.dtype}; allowed on webgpu: ${ALLOWED.join(', ')}`);
  const n = t.shape.reduce((p, d) => p * d, 1);
  return runFlat(backend, 'weft_select_by_scalar', t.shape, n, { condition, t, e }, [], 'result[index] = select(e[index], t[index], condition[0] != 0);', t.dtype);
};

/** Weft's WeftSelectByScalar as a WGSL program on tfjs webgpu. */
export const selectByScalarWebGPUConfig: KernelConfig = { kernelName: SELECT_BY_SCALAR, backendName: 'webgpu', kernelFunc: selectByScalar };

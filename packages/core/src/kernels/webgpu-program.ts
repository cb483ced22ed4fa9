// The part of tfjs-backend-webgpu 4.22's program interface that Weft's fused WGSL kernels use
// (optimizer-update-webgpu.ts, layer-norm-webgpu.ts), and a helper that runs one program per
// output over flat views of its inputs: one dispatch each, whatever the tensors' ranks.
import type { TensorInfo } from '@tensorflow/tfjs-core';

/** A tfjs-backend-webgpu program (see its webgpu_program.ts). */
export interface WebGPUProgramLike {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  variableNames: string[];
  uniforms: string;
  workgroupSize: [number, number, number];
  size: boolean;
  getUserCode(): string;
}

/** The part of tfjs-backend-webgpu's backend this uses. */
export interface WebGPUBackendLike {
  runWebGPUProgram(program: WebGPUProgramLike, inputs: TensorInfo[], dtype: string, uniforms: Array<{ type: string; data: number[] }>): TensorInfo;
  disposeData(dataId: object): boolean;
}

/** Whether `backend` is tfjs-backend-webgpu's. */
export const isWebGPU = (backend: unknown): backend is WebGPUBackendLike => typeof (backend as Partial<WebGPUBackendLike>).runWebGPUProgram === 'function';

const WORKGROUP = 64;

/** A uniform of a program: name, WGSL type and value. */
export type Uniform = [name: string, type: 'i32' | 'f32', value: number];

/**
 * Run `body` (WGSL; `index` is the thread's number, `threads` of them, `setOutputAtIndex` writes
 * the flat output, as does `result[i] = …`) as one dispatch with output `shape` of `dtype`
 * (float32, int32 or bool), reading `inputs` as flat arrays named by their keys. The output is
 * returned with `shape`; the program sees it flat. `preamble`: WGSL functions `body` calls.
 */
export function runFlat(backend: WebGPUBackendLike, key: string, shape: number[], threads: number, inputs: Record<string, TensorInfo>, uniforms: Uniform[], body: string, dtype = 'float32', preamble = ''): TensorInfo {
  const size = shape.reduce((p, d) => p * d, 1);
  const names = Object.keys(inputs);
  // Inputs and output flat (size,): a reshape shares the data, as tfjs's own Reshape does.
  const flat = names.map((n) => ({ ...inputs[n]!, shape: [inputs[n]!.shape.reduce((p, d) => p * d, 1)] }));
  const program: WebGPUProgramLike = {
    outputShape: [size],
    shaderKey: key,
    dispatchLayout: { x: [0] },
    dispatch: [Math.ceil(Math.max(threads, 1) / WORKGROUP), 1, 1],
    variableNames: names,
    uniforms: ['threads : i32,', ...uniforms.map(([n, t]) => `${n} : ${t},`)].join(' '),
    workgroupSize: [WORKGROUP, 1, 1],
    size: true,
    getUserCode: () => `${preamble}
      fn main(index : i32) {
        if (index < uniforms.threads) {
          ${body}
        }
      }`,
  };
  const values = [{ type: 'int32', data: [threads] }, ...uniforms.map(([, t, v]) => ({ type: t === 'i32' ? 'int32' : 'float32', data: [v] }))];
  const out = backend.runWebGPUProgram(program, flat, dtype, values);
  return { ...out, shape: shape.slice() };
}

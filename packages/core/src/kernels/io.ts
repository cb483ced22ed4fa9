// What Weft's kernels need from a tfjs backend: read inputs, allocate and fill an output, call
// another kernel of the same backend. Two kinds of backend are served: `wasm` (tensors live on
// the WebAssembly heap; views on it are zero-copy and die when the heap grows) and `cpu` (tensors
// are plain typed arrays).
import * as tf from '@tensorflow/tfjs-core';
import type { DataId, DataType, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';

/**
 * Size limits of the kernels' scratch buffers. `im2colFloats`: the largest im2col / column-gradient
 * buffer (in floats) the conv kernels make at once; bigger batches are done in chunks. Tests lower it.
 */
export const kernelLimits = { im2colFloats: 1 << 22 };

/** The numeric arrays Weft's kernels read and write. */
export type NumericArray = Float32Array | Int32Array | Uint8Array;

/** The part of tfjs-backend-wasm's `BackendWasm` the kernels use. */
export interface HeapBackend {
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): NumericArray;
  disposeData(dataId: DataId, force?: boolean): boolean;
  readSync(dataId: DataId): unknown;
}

/** The part of tfjs-backend-cpu's `MathBackendCPU` the kernels use. */
export interface ArrayBackend {
  makeTensorInfo(shape: number[], dtype: DataType, values?: NumericArray): TensorInfo;
  readSync(dataId: DataId): unknown;
}

/** Whether `backend` keeps its tensors on a WebAssembly heap (tfjs `wasm`). */
export function isHeapBackend(backend: unknown): backend is HeapBackend {
  return typeof (backend as Partial<HeapBackend>).typedArrayFromHeap === 'function';
}

/** Whether `backend` keeps its tensors as plain typed arrays (tfjs `cpu`). */
export function isArrayBackend(backend: unknown): backend is ArrayBackend {
  return typeof (backend as Partial<ArrayBackend>).makeTensorInfo === 'function';
}

function arrayFor(dtype: DataType, size: number): NumericArray {
  if (dtype === 'float32') return new Float32Array(size);
  if (dtype === 'int32') return new Int32Array(size);
  if (dtype === 'bool') return new Uint8Array(size);
  throw new Error(`Weft kernels: dtype=${dtype} is not supported; allowed: float32, int32, bool`);
}

/**
 * Allocate a zero-filled output of `shape`/`dtype` on `backend`, then call `fill(out, ...ins)`
 * with the output's array and the arrays of `inputs`. On wasm the arrays are views on the heap,
 * created after the allocation (an allocation can grow the heap and detach older views), so
 * `fill` must not allocate tensors itself.
 */
export function computeOutput(
  kernel: string,
  backend: unknown,
  shape: number[],
  dtype: DataType,
  inputs: TensorInfo[],
  fill: (out: NumericArray, ...ins: NumericArray[]) => void,
): TensorInfo {
  if (isHeapBackend(backend)) {
    const out = backend.makeOutput(shape, dtype);
    try {
      const outArr = backend.typedArrayFromHeap(out);
      outArr.fill(0);
      fill(outArr, ...inputs.map((t) => backend.typedArrayFromHeap(t)));
    } catch (e) {
      backend.disposeData(out.dataId);
      throw e;
    }
    return out;
  }
  if (isArrayBackend(backend)) {
    const outArr = arrayFor(dtype, tf.util.sizeFromShape(shape));
    fill(outArr, ...inputs.map((t) => backend.readSync(t.dataId) as NumericArray));
    return backend.makeTensorInfo(shape, dtype, outArr);
  }
  throw new Error(`${kernel}: the backend is neither tfjs wasm nor tfjs cpu; Weft registers this kernel only there`);
}

/**
 * {@link computeOutput} for a kernel with several outputs: allocate zero-filled outputs of `specs`,
 * then `fill(outs, ins)` with their arrays and those of `inputs` (on wasm, views taken after every
 * allocation; the outputs are freed if `fill` throws).
 */
export function computeOutputs(
  kernel: string,
  backend: unknown,
  specs: ReadonlyArray<{ shape: number[]; dtype: DataType }>,
  inputs: TensorInfo[],
  fill: (outs: NumericArray[], ins: NumericArray[]) => void,
): TensorInfo[] {
  if (isHeapBackend(backend)) {
    const outs = specs.map((o) => backend.makeOutput(o.shape, o.dtype));
    try {
      const arrays = outs.map((o) => backend.typedArrayFromHeap(o));
      for (const a of arrays) a.fill(0);
      fill(arrays, inputs.map((t) => backend.typedArrayFromHeap(t)));
    } catch (e) {
      for (const o of outs) backend.disposeData(o.dataId);
      throw e;
    }
    return outs;
  }
  if (isArrayBackend(backend)) {
    const arrays = specs.map((o) => arrayFor(o.dtype, tf.util.sizeFromShape(o.shape)));
    fill(arrays, inputs.map((t) => backend.readSync(t.dataId) as NumericArray));
    return arrays.map((a, i) => backend.makeTensorInfo(specs[i]!.shape, specs[i]!.dtype, a));
  }
  throw new Error(`${kernel}: the backend is neither tfjs wasm nor tfjs cpu; Weft registers this kernel only there`);
}

/** Run kernel `name` of backend `backendName` directly (inside another kernel of that backend). */
export function runBackendKernel(
  name: string,
  backendName: string,
  backend: unknown,
  inputs: NamedTensorInfoMap,
  attrs: NamedAttrMap = {},
): TensorInfo {
  const kernel = tf.getKernel(name, backendName);
  if (!kernel) throw new Error(`Weft kernels: kernel ${name} is not registered for backend ${backendName}`);
  const out = kernel.kernelFunc({ inputs, backend: backend as tf.KernelBackend, attrs });
  if (Array.isArray(out)) throw new Error(`Weft kernels: kernel ${name} returned several outputs; expected one`);
  return out;
}

/** Throw unless `t` has one of the `allowed` dtypes (the message names the kernel and the input). */
export function assertDtype(kernel: string, name: string, t: TensorInfo, allowed: readonly DataType[]): void {
  if (!allowed.includes(t.dtype)) {
    throw new Error(`${kernel}: ${name} has dtype ${t.dtype}; allowed: ${allowed.join(', ')}`);
  }
}

/** Throw unless `t` has rank `rank`. */
export function assertRank(kernel: string, name: string, t: TensorInfo, rank: number): void {
  if (t.shape.length !== rank) {
    throw new Error(`${kernel}: ${name} has shape [${t.shape.join(', ')}]; expected rank ${rank}`);
  }
}

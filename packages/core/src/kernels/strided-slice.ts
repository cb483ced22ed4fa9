// StridedSlice: tfjs wasm's kernel, on a strided path, labels the slice of an int32 tensor float32
// (its bytes are the int32 values, so it reads back as denormals). Weft keeps tfjs's kernel and
// returns its output under the input's dtype (a byte copy; same element size).
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { HeapBackend } from './io.js';

/** Wrap tfjs wasm's StridedSlice so the output keeps the input's dtype. */
export function stridedSliceWasmConfig(original: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const out = original.kernelFunc(args) as TensorInfo;
    const x = args.inputs.x as TensorInfo;
    if (out.dtype === x.dtype) return out;
    if (x.dtype !== 'int32' || out.dtype !== 'float32') {
      throw new Error(`StridedSlice (wasm): input dtype ${x.dtype} gave output dtype ${out.dtype}; only int32 is relabelled`);
    }
    const backend = args.backend as unknown as HeapBackend;
    const fixed = backend.makeOutput(out.shape, 'int32');
    // Views after the allocation: it may grow (and detach) the heap.
    const src = backend.typedArrayFromHeap(out);
    const dst = backend.typedArrayFromHeap(fixed);
    new Uint8Array(dst.buffer, dst.byteOffset, dst.byteLength).set(new Uint8Array(src.buffer, src.byteOffset, src.byteLength));
    backend.disposeData(out.dataId);
    return fixed;
  };
  return { ...original, kernelFunc };
}

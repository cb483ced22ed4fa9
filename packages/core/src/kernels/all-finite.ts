// WeftAllFinite: a bool scalar, true when every element of every input is finite (no NaN, no ±Inf),
// in one kernel call on cpu and wasm. The trainer's non-finite guard checks the loss and every
// gradient each step; as one sum per tensor that was a kernel per parameter (37 for a 2-block
// TinyTransformer), and a sum beyond float32's range read as non-finite. On wasm a SIMD pass
// accumulates x − x (NaN exactly for NaN and ±Inf) four floats at a time.
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { computeOutput, isHeapBackend } from './io.js';
import { FunctionWriter, I32, V128, heapKernels, type Local } from './wasm-module.js';

/** The kernel's name: inputs t{i} (i < count, any dtype), attr count. */
export const ALL_FINITE = 'WeftAllFinite';

/**
 * `check(ptr, n, out)`: out (an f32) = Σ (x − x) over the first n − n mod 4 floats at ptr, four at a
 * time: 0 when they are all finite, NaN otherwise (x − x is NaN exactly for NaN and ±Inf).
 */
export function writeFiniteCheck(): FunctionWriter {
  const f = new FunctionWriter(3);
  const [ptr, n, out] = f.params as [Local, Local, Local];
  const [i, acc, v] = [f.local(I32), f.local(V128), f.local(V128)];
  f.v128Zero().set(acc);
  f.i32(0).set(i);
  f.whileLoop(() => f.get(i).i32(4).add().get(n).le(), () => {
    f.get(ptr).v128Load().set(v);
    f.get(acc).get(v).get(v).f32x4Sub().f32x4Add().set(acc);
    f.inc(ptr, { constant: 16 }).inc(i, { constant: 4 });
  });
  f.get(out).get(acc).f32x4ExtractLane(0).get(acc).f32x4ExtractLane(1).f32Add().get(acc).f32x4ExtractLane(2).f32Add().get(acc).f32x4ExtractLane(3).f32Add().f32Store();
  return f;
}

/** The wasm SIMD path: whether every float of `floats` is finite, or null where SIMD cannot run. */
function allFiniteSimd(backend: unknown, floats: TensorInfo[]): boolean | null {
  if (!isHeapBackend(backend)) return null;
  const fns = heapKernels(backend, 'finite_check', () => ({ check: writeFiniteCheck() }));
  if (!fns) return null;
  const scratch = backend.makeOutput([1], 'float32');
  try {
    const s = backend.typedArrayFromHeap(scratch) as Float32Array;
    for (const t of floats) {
      const a = backend.typedArrayFromHeap(t) as Float32Array;
      fns.check(a.byteOffset, a.length, s.byteOffset);
      if (s[0] !== 0) return false;
      for (let k = a.length - (a.length % 4); k < a.length; k++) if (a[k]! - a[k]! !== 0) return false;
    }
    return true;
  } finally {
    backend.disposeData(scratch.dataId);
  }
}

const allFinite: KernelFunc = ({ inputs, backend, attrs }) => {
  const { count } = attrs as unknown as { count: number };
  const ins = Array.from({ length: count }, (_, i) => {
    const t = (inputs as Record<string, TensorInfo>)[`t${i}`];
    if (!t) throw new Error(`${ALL_FINITE}: input t${i} is missing (count=${count})`);
    return t;
  });
  const floats = ins.filter((t) => t.dtype === 'float32'); // int32 and bool are always finite
  const simd = allFiniteSimd(backend, floats);
  if (simd !== null) return computeOutput(ALL_FINITE, backend, [], 'bool', [], (out) => void (out[0] = simd ? 1 : 0));
  return computeOutput(ALL_FINITE, backend, [], 'bool', floats, (out, ...arrays) => {
    for (const a of arrays) {
      for (let k = 0; k < a.length; k++) {
        const v = a[k]!;
        if (v - v !== 0) return; // NaN or ±Inf: out stays 0
      }
    }
    out[0] = 1;
  });
};

/** Weft's WeftAllFinite on `backendName` (cpu or wasm). */
export function allFiniteConfig(backendName: 'cpu' | 'wasm'): KernelConfig {
  return { kernelName: ALL_FINITE, backendName, kernelFunc: allFinite };
}

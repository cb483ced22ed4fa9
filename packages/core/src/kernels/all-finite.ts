// WeftAllFinite: a bool scalar, true when every element of every input is finite (no NaN, no ±Inf),
// in one kernel call on cpu and wasm. The trainer's non-finite guard checks the loss and every
// gradient each step; as one sum per tensor that was a kernel per parameter (37 for a 2-block
// TinyTransformer), and a sum beyond float32's range read as non-finite.
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { computeOutput } from './io.js';

/** The kernel's name: inputs t{i} (i < count, any dtype), attr count. */
export const ALL_FINITE = 'WeftAllFinite';

const allFinite: KernelFunc = ({ inputs, backend, attrs }) => {
  const { count } = attrs as unknown as { count: number };
  const ins = Array.from({ length: count }, (_, i) => {
    const t = (inputs as Record<string, TensorInfo>)[`t${i}`];
    if (!t) throw new Error(`${ALL_FINITE}: input t${i} is missing (count=${count})`);
    return t;
  });
  const floats = ins.filter((t) => t.dtype === 'float32'); // int32 and bool are always finite
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

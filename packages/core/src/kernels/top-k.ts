// TopK with a small k on tfjs wasm, in one pass over each row on the backend's heap. tfjs wasm sorts
// every row in full (O(n log n) per row): a router's top-2 of 512×64 logits took ≈0.4 ms of process CPU
// time (a top-2 of 512×4, ≈0.03 ms), so a dropless MoE step's TopK grew with the number of experts.
// Here each row keeps its k largest values in a small sorted list (an element enters only when it
// beats the k-th), O(n·k) at worst and about n compares for random rows. The order is tfjs's: larger
// values first, equal values (−0 and 0 included) by lower index. Rows holding NaN, k > SMALL_K,
// sorted=false, dtypes other than float32/int32 and empty inputs go to tfjs's kernel.
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { isHeapBackend, type NumericArray } from './io.js';

/** The largest k done here (an insertion into the kept list costs up to k moves). */
export const TOP_K_SMALL_K = 8;

/**
 * Top-k of each row of `x` (rows × n) into `values` and `indices` (rows × k). Returns false, having
 * written part of the outputs, when a NaN is met (the caller then runs tfjs's kernel).
 */
export function topKRows(x: NumericArray, rows: number, n: number, k: number, values: NumericArray, indices: NumericArray): boolean {
  const bv = new Float64Array(k);
  const bi = new Int32Array(k);
  for (let r = 0; r < rows; r++) {
    const base = r * n;
    // The first k elements, sorted by insertion (an equal value stays after the earlier index).
    for (let j = 0; j < k; j++) {
      const v = x[base + j]!;
      if (v !== v) return false; // NaN: tfjs's comparator order is what counts there
      let p = j;
      for (; p > 0 && v > bv[p - 1]!; p--) {
        bv[p] = bv[p - 1]!;
        bi[p] = bi[p - 1]!;
      }
      bv[p] = v;
      bi[p] = j;
    }
    // The rest: one compare against the k-th largest so far (`v <= t` is false for NaN too).
    let t = bv[k - 1]!;
    for (let j = k; j < n; j++) {
      const v = x[base + j]!;
      if (v <= t) continue;
      if (v !== v) return false;
      let p = k - 1;
      for (; p > 0 && v > bv[p - 1]!; p--) {
        bv[p] = bv[p - 1]!;
        bi[p] = bi[p - 1]!;
      }
      bv[p] = v;
      bi[p] = j;
      t = bv[k - 1]!;
    }
    const o = r * k;
    for (let p = 0; p < k; p++) {
      values[o + p] = bv[p]!;
      indices[o + p] = bi[p]!;
    }
  }
  return true;
}

/** tfjs wasm's TopK (`original`) with small k done in one pass per row. */
export function topKWasmConfig(original: KernelConfig): KernelConfig {
  const inner = original.kernelFunc;
  const kernelFunc: KernelFunc = (args) => {
    const { inputs, backend, attrs } = args;
    const { x } = inputs as { x: TensorInfo };
    const { k, sorted = true } = (attrs ?? {}) as { k: number; sorted?: boolean };
    const n = x.shape[x.shape.length - 1] ?? 0;
    const size = x.shape.reduce((p, d) => p * d, 1);
    if (!isHeapBackend(backend) || !sorted || !(k >= 1 && k <= TOP_K_SMALL_K && k <= n) || size === 0 || (x.dtype !== 'float32' && x.dtype !== 'int32')) return inner(args);
    const shape = [...x.shape.slice(0, -1), k];
    const values = backend.makeOutput(shape, x.dtype);
    const indices = backend.makeOutput(shape, 'int32');
    let done = false;
    try {
      done = topKRows(backend.typedArrayFromHeap(x), size / n, n, k, backend.typedArrayFromHeap(values), backend.typedArrayFromHeap(indices));
    } finally {
      if (!done) {
        backend.disposeData(values.dataId);
        backend.disposeData(indices.dataId);
      }
    }
    return done ? [values, indices] : inner(args);
  };
  return { ...original, kernelFunc };
}

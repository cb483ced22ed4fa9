// BatchMatMul with a batch > 1 on tfjs wasm: its kernel runs XNNPACK only for one matrix pair and its
// own loop otherwise. For few tall products the loop loses — (4, 320, 64) × (4, 64, 256): 21.7 ms
// against 7.6 ms split into four XNNPACK calls — but for many short ones XNNPACK's per-call setup
// (weight packing) loses: (79, 16, 64) × (79, 64, 256): 23 ms looped, 199 ms split; (32, 40, …) about even;
// (16, 80, 64) × (16, 64, 256), an MoE capacity buffer: 26 ms looped, 13 ms split.
// (Measured by @weft/moe, whose stacked experts are such batches.) So this wraps the BatchMatMul
// kernel: equal batch shapes (no broadcasting) with at least MIN_ROWS rows per product are split
// into batch-1 products and concatenated; everything else goes to the wrapped kernel as it is.
import { BatchMatMul } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { isHeapBackend, runBackendKernel } from './io.js';

/** Rows (M) per product from which splitting wins (40: about even; 80: 2× faster; 320: 2.9× faster). */
const MIN_ROWS = 64;

/** Split equal-batch products into batch-1 calls of `inner`. */
export function splitBatchMatMul(inner: KernelFunc): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const { a, b } = inputs as { a?: TensorInfo; b?: TensorInfo };
    if (!a || !b || !isHeapBackend(backend) || a.shape.length !== 3 || b.shape.length !== 3 || a.shape[0] !== b.shape[0] || a.shape[0]! <= 1 || a.shape[1]! < MIN_ROWS) {
      return inner(args);
    }
    const batch = a.shape[0]!;
    const temps: TensorInfo[] = [];
    try {
      const parts: TensorInfo[] = [];
      for (let i = 0; i < batch; i++) {
        // (B, M, K) -> (1, M, K) slice i of each operand.
        const ai = runBackendKernel('Slice', 'wasm', backend, { x: a }, { begin: [i, 0, 0], size: [1, a.shape[1]!, a.shape[2]!] });
        const bi = runBackendKernel('Slice', 'wasm', backend, { x: b }, { begin: [i, 0, 0], size: [1, b.shape[1]!, b.shape[2]!] });
        temps.push(ai, bi);
        const out = inner({ inputs: { ...inputs, a: ai, b: bi }, backend, attrs }) as TensorInfo;
        temps.push(out);
        parts.push(out);
      }
      return runBackendKernel('Concat', 'wasm', backend, parts as unknown as Record<string, TensorInfo>, { axis: 0 });
    } finally {
      for (const t of temps) backend.disposeData(t.dataId);
    }
  };
}

/** Weft's batch-splitting wrapper around an (already wrapped) wasm BatchMatMul config. */
export function splitBatchMatMulWasmConfig(wrapped: KernelConfig): KernelConfig {
  return { ...wrapped, kernelName: BatchMatMul, backendName: 'wasm', kernelFunc: splitBatchMatMul(wrapped.kernelFunc) };
}

// BatchMatMul with a batch > 1 on tfjs wasm: its kernel runs XNNPACK only for one matrix pair and a
// slow loop otherwise — (4, 320, 64) × (4, 64, 256) took 86 ms against 13 ms for the four 2-D
// products (measured by @weft/moe, whose stacked experts are exactly such batches). This wraps the
// BatchMatMul kernel: equal batch shapes (no broadcasting) are split into batch-1 products, each on
// the fast path, and concatenated; everything else goes to the wrapped kernel as it is.
import { BatchMatMul } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { isHeapBackend, runBackendKernel } from './io.js';

/** Split equal-batch products into batch-1 calls of `inner`. */
export function splitBatchMatMul(inner: KernelFunc): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const { a, b } = inputs as { a?: TensorInfo; b?: TensorInfo };
    if (!a || !b || !isHeapBackend(backend) || a.shape.length !== 3 || b.shape.length !== 3 || a.shape[0] !== b.shape[0] || a.shape[0]! <= 1) {
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

// BatchMatMul with broadcast batch dimensions. tfjs 4.22's kernels (cpu, wasm, webgl, webgpu) flatten
// each operand's batch dimensions and read output batch i from operand batch i mod (its batch size).
// That is right only when an operand's batch shape is a suffix of the output's after leading 1s; for
// (2, 2, ·, ·) × (2, 1, ·, ·) it pairs batches (0,0) (1,1) (2,0) (3,1) instead of (0,0) (1,0) (2,1)
// (3,1), silently (measured on tfjs cpu: ones(2,2,1,1) × [10, 20] gave [10, 20, 10, 20]). This wraps
// the kernel on every backend: such an operand is first tiled to the output's batch shape with the
// backend's own Reshape and Tile kernels; every other call goes to the wrapped kernel unchanged.
import { BatchMatMul } from '@tensorflow/tfjs-core';
import type { KernelBackend, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { runBackendKernel } from './io.js';

/** The batch shapes of two matmul operands, left-padded with 1s to one rank. */
export function batchShapes(a: TensorInfo, b: TensorInfo): [number[], number[]] {
  const rank = Math.max(a.shape.length, b.shape.length) - 2;
  const batchOf = (t: TensorInfo) => [...new Array<number>(rank + 2 - t.shape.length).fill(1), ...t.shape.slice(0, -2)];
  return [batchOf(a), batchOf(b)];
}

/** Whether batch shape `s` (padded to the output's rank) reads correctly by flat index modulo its size. */
function readsByModulo(s: number[], out: number[]): boolean {
  let i = 0;
  while (i < s.length && s[i] === 1) i++;
  return s.slice(i).every((d, j) => d === out[i + j]);
}

/** Wrap `inner` (a BatchMatMul kernel of `backendName`) so broadcast batch dimensions pair correctly. */
export function broadcastBatchMatMul(inner: KernelFunc, backendName: string): KernelFunc {
  return (args) => {
    const { inputs, backend } = args;
    const { a, b } = inputs as { a?: TensorInfo; b?: TensorInfo };
    if (!a || !b || a.shape.length < 2 || b.shape.length < 2) return inner(args);
    const [sa, sb] = batchShapes(a, b);
    if (sa.some((d, i) => d !== sb[i] && d !== 1 && sb[i] !== 1)) return inner(args); // incompatible: the kernel reports it
    const out = sa.map((d, i) => Math.max(d, sb[i]!));
    if (readsByModulo(sa, out) && readsByModulo(sb, out)) return inner(args);
    const temps: TensorInfo[] = [];
    const expand = (t: TensorInfo, s: number[]) => {
      if (readsByModulo(s, out)) return t;
      const matrix = t.shape.slice(-2);
      // (…batch, m, n) -> (1…, …batch, m, n) -> (…out batch, m, n)
      const padded = runBackendKernel('Reshape', backendName, backend, { x: t }, { shape: [...s, ...matrix] });
      temps.push(padded);
      const tiled = runBackendKernel('Tile', backendName, backend, { x: padded }, { reps: [...out.map((o, i) => o / s[i]!), 1, 1] });
      temps.push(tiled);
      return tiled;
    };
    try {
      return inner({ ...args, inputs: { ...inputs, a: expand(a, sa), b: expand(b, sb) } });
    } finally {
      for (const t of temps) (backend as KernelBackend).disposeData(t.dataId);
    }
  };
}

/** Weft's broadcast-fixing wrapper of `wrapped`, the BatchMatMul kernel of `backendName`. */
export function broadcastBatchMatMulConfig(wrapped: KernelConfig, backendName: string): KernelConfig {
  return { ...wrapped, kernelName: BatchMatMul, backendName, kernelFunc: broadcastBatchMatMul(wrapped.kernelFunc, backendName) };
}

// Attention's three input projections with their head split as one kernel each way on cpu and wasm
// (PyTorch's MultiheadAttention does the projections as one in_proj), where the separate layers run
// three WeftLinear and three WeftHeads forward (and the engine clones x three times) and three
// WeftHeads, three WeftLinearParamGrad, three BatchMatMul and two Adds backward:
//   WeftQkv      x (B, T, C), wq (C, H·D), wk, wv (C, Hkv·D), bq, bk, bv when present (attrs heads H,
//                kvHeads Hkv) -> q (B, H, T, D), k, v (B, Hkv, T, D)
//   WeftQkvGrad  x, wq, wk, wv, dq, dk, dv (attrs as WeftQkv) -> [dx, dwq, dwk, dwv, dbq, dbk, dbv];
//                with attr params = false (frozen weights) -> [dx]
// Both run the backend's own kernels (kernels/linear.ts, kernels/heads.ts, BatchMatMul) in one call;
// the gradient adds the three dx products in place (on wasm the SIMD product accumulates them).
import { getKernel } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { HEADS } from './heads.js';
import { isArrayBackend, isHeapBackend, runBackendKernel } from './io.js';
import { LINEAR, LINEAR_PARAM_GRAD, simdProduct } from './linear.js';

/** The kernels' names. */
export const QKV = 'WeftQkv';
export const QKV_GRAD = 'WeftQkvGrad';

/** Attributes of {@link QKV} and {@link QKV_GRAD}. */
export interface QkvAttrs {
  /** Query heads H. */
  heads: number;
  /** Key/value heads Hkv. */
  kvHeads: number;
}

/** The backend's float32 array of `t` (wasm: a heap view, valid until the next allocation). */
function arrayOf(backend: unknown, t: TensorInfo): Float32Array {
  if (isHeapBackend(backend)) return backend.typedArrayFromHeap(t) as Float32Array;
  if (isArrayBackend(backend)) return backend.readSync(t.dataId) as Float32Array;
  throw new Error(`${QKV}: the backend is neither tfjs wasm nor tfjs cpu; Weft registers this kernel only there`);
}

const dispose = (backend: unknown, t: TensorInfo) => (backend as { disposeData(id: unknown): void }).disposeData(t.dataId);

function qkvKernel(backendName: 'cpu' | 'wasm'): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, wq, wk, wv, bq, bk, bv } = inputs as Record<string, TensorInfo | undefined>;
    const { heads, kvHeads } = attrs as unknown as QkvAttrs;
    if (!x || !wq || !wk || !wv || x.shape.length !== 3) throw new Error(`${QKV}: expected x (B, T, C) and wq, wk, wv (C, ·); got x [${x?.shape}]`);
    const run = (name: string, ins: Record<string, TensorInfo>, a: object) => runBackendKernel(name, backendName, backend, ins, a as never);
    return ([[wq, bq, heads], [wk, bk, kvHeads], [wv, bv, kvHeads]] as const).map(([w, b, h]) => {
      const y = run(LINEAR, { x, w, ...(b ? { b } : {}) }, {}); // (B, T, h·D)
      try {
        return run(HEADS, { x: y }, { split: true, heads: h }); // (B, h, T, D)
      } finally {
        dispose(backend, y);
      }
    });
  };
}

function qkvGradKernel(backendName: 'cpu' | 'wasm'): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, wq, wk, wv, dq, dk, dv } = inputs as Record<string, TensorInfo>;
    const withParams = (attrs as { params?: boolean }).params !== false; // params = false: dx alone (frozen weights)
    const run = (name: string, ins: Record<string, TensorInfo>, a: object) => runBackendKernel(name, backendName, backend, ins, a as never);
    const paramGrads: TensorInfo[] = [];
    let dx: TensorInfo | null = null;
    for (const [w, dh] of [[wq!, dq!], [wk!, dk!], [wv!, dv!]]) {
      const g = run(HEADS, { x: dh }, { split: false, heads: dh.shape[1]! }); // (B, h, T, D) -> (B, T, h·D)
      try {
        if (withParams) paramGrads.push(...(getKernel(LINEAR_PARAM_GRAD, backendName)!.kernelFunc({ inputs: { x: x!, dy: g }, backend: backend as never, attrs: {} }) as TensorInfo[])); // [dw, db]
        const [rows, N] = [g.shape[0]! * g.shape[1]!, g.shape[2]!];
        const C = w.shape[0]!;
        const bmm = isHeapBackend(backend) ? simdProduct(backend, rows, N, C) : null;
        if (bmm && isHeapBackend(backend)) {
          // dx (+)= g·wᵀ in place: wᵀ (h·D, C) row-major, the SIMD product accumulating from the second projection on
          const wt = run('Transpose', { x: w }, { perm: [1, 0] });
          const first = !dx;
          dx ??= backend.makeOutput([...g.shape.slice(0, 2), C], 'float32');
          bmm(backend.typedArrayFromHeap(g).byteOffset, backend.typedArrayFromHeap(wt).byteOffset, backend.typedArrayFromHeap(dx).byteOffset, 1, rows, N, C, 0, 0, N, 1, first ? 0 : 1);
          dispose(backend, wt);
          continue;
        }
        const dxi = run('BatchMatMul', { a: g, b: w }, { transposeA: false, transposeB: true }); // (B, T, h·D)·(C, h·D)ᵀ -> (B, T, C)
        if (!dx) dx = dxi;
        else {
          const [acc, add] = [arrayOf(backend, dx), arrayOf(backend, dxi)];
          for (let i = 0; i < acc.length; i++) acc[i] += add[i]!;
          dispose(backend, dxi);
        }
      } finally {
        dispose(backend, g);
      }
    }
    if (!withParams) return [dx!];
    const [dwq, dbq, dwk, dbk, dwv, dbv] = paramGrads as [TensorInfo, TensorInfo, TensorInfo, TensorInfo, TensorInfo, TensorInfo];
    return [dx!, dwq, dwk, dwv, dbq, dbk, dbv];
  };
}

/** Weft's fused q, k, v projection kernels on `backendName` (cpu or wasm). */
export function qkvConfigs(backendName: 'cpu' | 'wasm'): KernelConfig[] {
  return [
    { kernelName: QKV, backendName, kernelFunc: qkvKernel(backendName) },
    { kernelName: QKV_GRAD, backendName, kernelFunc: qkvGradKernel(backendName) },
  ];
}

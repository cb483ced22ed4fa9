// Scaled dot-product attention's core — softmax(scale·q·kᵀ + masks)·v — as one kernel forward and one
// backward on cpu and wasm, where the op-by-op core ran two BatchMatMul and the masked softmax (with
// its tf.customGrad wrapper, and the engine cloning five tensors for their gradients) forward and four
// BatchMatMul and the softmax gradient backward:
//   WeftAttention      q (…, Tq, D), k (…, Tk, D), v (…, Tk, Dv), bias (Tq, Tk) and keyBias (B, Tk)
//                      when present (attr scale) -> [o (…, Tq, Dv), p (…, Tq, Tk)], p the attention weights
//   WeftAttentionGrad  dO, q, k, v, p (attr scale) -> [dq, dk, dv]:
//                      dv = pᵀ·dO, dp = dO·vᵀ, ds = WeftMaskedSoftmaxGrad(dp, p), dq = ds·k, dk = dsᵀ·q
// Both run the backend's BatchMatMul and masked-softmax kernels (kernels/masked-softmax.ts) in one call.
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { runBackendKernel } from './io.js';
import { MASKED_SOFTMAX, MASKED_SOFTMAX_GRAD } from './masked-softmax.js';

/** The kernels' names. */
export const ATTENTION = 'WeftAttention';
export const ATTENTION_GRAD = 'WeftAttentionGrad';

const dispose = (backend: unknown, t: TensorInfo) => (backend as { disposeData(id: unknown): void }).disposeData(t.dataId);

function checkFloat(kernel: string, ts: Record<string, TensorInfo | undefined>): void {
  for (const [name, t] of Object.entries(ts)) {
    if (t && (t.dtype !== 'float32' || t.shape.length < 2)) throw new Error(`${kernel}: ${name} [${t.shape}] (${t.dtype}) must be float32 of rank ≥ 2`);
  }
}

function attentionKernel(backendName: 'cpu' | 'wasm'): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { q, k, v, bias, keyBias } = inputs as Record<string, TensorInfo | undefined>;
    checkFloat(ATTENTION, { q, k, v });
    const { scale } = attrs as unknown as { scale: number };
    const mm = (a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean) => runBackendKernel('BatchMatMul', backendName, backend, { a, b }, { transposeA, transposeB });
    const s = mm(q!, k!, false, true); // (…, Tq, Tk)
    let p: TensorInfo;
    try {
      p = runBackendKernel(MASKED_SOFTMAX, backendName, backend, { s, ...(bias ? { bias } : {}), ...(keyBias ? { keyBias } : {}) }, { scale });
    } finally {
      dispose(backend, s);
    }
    return [mm(p, v!, false, false), p]; // (…, Tq, Dv), (…, Tq, Tk)
  };
}

function attentionGradKernel(backendName: 'cpu' | 'wasm'): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { dO, q, k, v, p } = inputs as Record<string, TensorInfo>;
    checkFloat(ATTENTION_GRAD, { dO, q, k, v, p });
    const { scale } = attrs as unknown as { scale: number };
    const mm = (a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean) => runBackendKernel('BatchMatMul', backendName, backend, { a, b }, { transposeA, transposeB });
    const dv = mm(p!, dO!, true, false); // (…, Tk, Dv)
    const dp = mm(dO!, v!, false, true); // (…, Tq, Tk)
    let ds: TensorInfo;
    try {
      ds = runBackendKernel(MASKED_SOFTMAX_GRAD, backendName, backend, { dy: dp, y: p! }, { scale }); // the scores' gradient, scale included
    } finally {
      dispose(backend, dp);
    }
    try {
      return [mm(ds, k!, false, false), mm(ds, q!, true, false), dv]; // dq (…, Tq, D), dk (…, Tk, D)
    } finally {
      dispose(backend, ds);
    }
  };
}

/** Weft's fused attention-core kernels on `backendName` (cpu or wasm). */
export function attentionConfigs(backendName: 'cpu' | 'wasm'): KernelConfig[] {
  return [
    { kernelName: ATTENTION, backendName, kernelFunc: attentionKernel(backendName) },
    { kernelName: ATTENTION_GRAD, backendName, kernelFunc: attentionGradKernel(backendName) },
  ];
}

// attentionCore(q, k, v, scale, bias, keyBias) = softmax(scale·q·kᵀ + bias + keyBias)·v: one fused
// kernel forward and one backward on cpu and wasm (kernels/attention.ts); elsewhere the composition
// attend() runs (matMul, maskedSoftmax, matMul). The masks get no gradient (they are constants).
import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig } from '@tensorflow/tfjs-core';
import { ATTENTION, ATTENTION_GRAD } from '../kernels/attention.js';

/** Whether the fused core runs here for these inputs (float32 on a backend with both kernels). */
export function attentionCoreFused(q: tf.Tensor): boolean {
  const backend = tf.getBackend();
  return q.dtype === 'float32' && !!tf.getKernel(ATTENTION, backend) && !!tf.getKernel(ATTENTION_GRAD, backend);
}

/**
 * q (…, Tq, D), k (…, Tk, D), v (…, Tk, Dv) with equal leading axes; bias (Tq, Tk) and keyBias (B, Tk)
 * additive masks or null -> (…, Tq, Dv). Call only where {@link attentionCoreFused} holds.
 */
export function attentionCore(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, scale: number, bias: tf.Tensor | null, keyBias: tf.Tensor | null): tf.Tensor {
  const inputs: tf.NamedTensorMap = { q, k, v, ...(bias ? { bias } : {}), ...(keyBias ? { keyBias } : {}) };
  const [o, p] = tf.engine().runKernel(ATTENTION, inputs, { scale }) as unknown as [tf.Tensor, tf.Tensor];
  p.dispose(); // the weights: the gradient keeps its own saved copy
  return o;
}

/** The gradient of WeftAttention: one WeftAttentionGrad kernel; zeros for the masks. Registered with Weft's gradient fixes. */
export const attentionCoreGrad: GradConfig = {
  kernelName: ATTENTION,
  inputsToSave: ['q', 'k', 'v'],
  outputsToSave: [false, true],
  gradFunc: (dys, saved, attrs) => {
    const [q, k, v, p] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
    const dO = (dys as (tf.Tensor | null)[])[0] ?? tf.zeros([...p.shape.slice(0, -1), v.shape[v.rank - 1]!]);
    const [dq, dk, dv] = tf.engine().runKernel(ATTENTION_GRAD, { dO, q, k, v, p }, attrs as tf.NamedAttrMap) as unknown as tf.Tensor[];
    const [Tq, Tk] = p.shape.slice(-2) as [number, number];
    return { q: () => dq!, k: () => dk!, v: () => dv!, bias: () => tf.zeros([Tq, Tk]), keyBias: () => tf.zeros([p.shape[0]!, Tk]) };
  },
};

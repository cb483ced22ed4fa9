// linear(x, w, b) = x·w + b over the last axis: one fused kernel forward on cpu and wasm
// (kernels/linear.ts), and a gradient of two kernels (dw and db in one pass; dx = dy·wᵀ as one
// BatchMatMul); tfjs ops (and their autodiff) elsewhere (webgpu, webgl: there reshapes are free and
// matMul + add are two dispatches).
import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig } from '@tensorflow/tfjs-core';
import { LINEAR, LINEAR_PARAM_GRAD } from '../kernels/linear.js';

/** The op-by-op Linear (the reference, and the path on backends without the fused kernels). */
export function linearUnfused(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor | null): tf.Tensor {
  return tf.tidy(() => {
    const [K, N] = w.shape as [number, number];
    const x2 = x.rank === 2 ? x : tf.reshape(x, [-1, K]); // (…, K) -> (rows, K)
    const y = b ? tf.add(tf.matMul(x2, w), b) : tf.matMul(x2, w);
    return x.rank === 2 ? y : tf.reshape(y, [...x.shape.slice(0, -1), N]); // (rows, N) -> (…, N)
  });
}

/**
 * x (…, K) · w (K, N) + b (N, or null) -> (…, N), differentiable in all three. Fused on cpu and wasm
 * for float32 (one kernel forward, two backward), op by op elsewhere. Shapes are the caller's to check.
 */
export function linear(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor | null): tf.Tensor {
  const backend = tf.getBackend();
  if (x.dtype !== 'float32' || w.dtype !== 'float32' || !tf.getKernel(LINEAR, backend) || !tf.getKernel(LINEAR_PARAM_GRAD, backend)) return linearUnfused(x, w, b);
  return tf.engine().runKernel(LINEAR, b ? { x, w, b } : { x, w }, { frozen: frozen(w) && (!b || frozen(b)) }) as tf.Tensor;
}

/** A variable the trainer leaves alone (Module.freeze, an adapter's base layer): no gradient is asked of it. */
export const frozen = (t: tf.Tensor): boolean => t instanceof tf.Variable && !t.trainable;

/**
 * The gradient of WeftLinear: dw and db from one kernel, dx = dy·wᵀ. With frozen parameters (attr
 * `frozen`) dw and db are computed only if asked for (each thunk runs the kernel then), so a frozen
 * base layer costs dx alone. Registered with Weft's gradient fixes.
 */
export const linearGrad: GradConfig = {
  kernelName: LINEAR,
  inputsToSave: ['x', 'w'],
  gradFunc: (dy, saved, attrs) => {
    const [x, w] = saved as [tf.Tensor, tf.Tensor];
    const g = dy as tf.Tensor;
    const params = () => tf.engine().runKernel(LINEAR_PARAM_GRAD, { x, dy: g }, {}) as unknown as [tf.Tensor, tf.Tensor];
    const [dw, db] = (attrs as { frozen?: boolean }).frozen ? [null, null] : params();
    return {
      // (…, N)·(N, K)ᵀ: BatchMatMul broadcasts w over the leading axes (rank 1: as one row)
      x: () => (g.rank === 1 ? tf.reshape(tf.matMul(tf.reshape(g, [1, -1]), w, false, true), x.shape) : tf.matMul(g, w, false, true)),
      w: () => dw ?? params()[0], // the thunk's tidy frees the unused db
      b: () => db ?? params()[1],
    };
  },
};

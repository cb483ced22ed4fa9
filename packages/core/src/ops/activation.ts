// GELU (exact and tanh) and SiLU as one fused kernel forward and one backward on cpu, wasm and webgpu
// (kernels/activation.ts), tfjs ops (and their autodiff) elsewhere.
import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig } from '@tensorflow/tfjs-core';
import { ACTIVATION, ACTIVATION_GRAD, type FusedActivation } from '../kernels/activation.js';

/** The op-by-op forms (the reference, and the path on backends without the fused kernels). */
export const UNFUSED_ACTIVATIONS: Record<FusedActivation, (x: tf.Tensor) => tf.Tensor> = {
  gelu: (x) => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2)))),
  gelu_tanh: (x) => {
    const inner = tf.mul(tf.add(x, tf.mul(tf.mul(tf.mul(x, x), x), 0.044715)), Math.sqrt(2 / Math.PI));
    return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(inner)));
  },
  silu: (x) => tf.mul(x, tf.sigmoid(x)),
};

/** Activation `fn` of `x`: fused on cpu, wasm and webgpu for float32, op by op elsewhere. */
export function fusedActivation(fn: FusedActivation, x: tf.Tensor): tf.Tensor {
  const backend = tf.getBackend();
  if (x.dtype !== 'float32' || !tf.getKernel(ACTIVATION, backend) || !tf.getKernel(ACTIVATION_GRAD, backend)) return tf.tidy(() => UNFUSED_ACTIVATIONS[fn](x)); // its scalar constants freed
  return tf.engine().runKernel(ACTIVATION, { x }, { fn }) as tf.Tensor;
}

/**
 * The gradient of WeftActivation: one WeftActivationGrad kernel. A registered gradient rather than a
 * tf.customGrad, whose wrapper is one more engine call per use. Registered with Weft's gradient fixes.
 */
export const activationGrad: GradConfig = {
  kernelName: ACTIVATION,
  inputsToSave: ['x'],
  gradFunc: (dy, [x], attrs) => ({ x: () => tf.engine().runKernel(ACTIVATION_GRAD, { dy: dy as tf.Tensor, x: x! }, { fn: (attrs as { fn: FusedActivation }).fn }) as tf.Tensor }),
};

// Relu's gradient as one WeftReluGrad kernel where the backend has it (cpu, wasm; kernels/relu-grad.ts),
// instead of tfjs's Step, Cast and Multiply; elsewhere tfjs's own formula, dy·step(x).
import * as tf from '@tensorflow/tfjs-core';
import { RELU_GRAD } from '../kernels/relu-grad.js';

/** Gradient of Relu: dy·step(x) (step: 1 for x > 0, NaN for NaN, else 0). */
export const reluGrad: tf.GradConfig = {
  kernelName: 'Relu',
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const [x] = saved as [tf.Tensor];
    const g = dy as tf.Tensor;
    return {
      x: () =>
        g.dtype === 'float32' && x.dtype === 'float32' && tf.getKernel(RELU_GRAD, tf.getBackend())
          ? (tf.engine().runKernel(RELU_GRAD, { dy: g, x }, {}) as tf.Tensor)
          : tf.mul(g, tf.cast(tf.step(x), 'float32')),
    };
  },
};

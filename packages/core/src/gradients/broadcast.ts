// tfjs 4.22's gradients of BatchMatMul, Maximum and Minimum return the broadcast shape instead of
// the input's when inputs were broadcast (tfjs then throws "gradient of input 'b' has shape …").
// Weft wraps tfjs's own gradient functions and sums each gradient back to its input's shape.
import * as tf from '@tensorflow/tfjs-core';
import { reduceTo } from './reduce-to.js';

/** Wrap tfjs's gradient of `kernelName` so every input gradient is reduced to that input's shape. */
export function withBroadcastReduction(kernelName: string, inputNames: string[]): tf.GradConfig {
  const original = tf.getGradient(kernelName);
  if (!original) throw new Error(`withBroadcastReduction: tfjs has no gradient for ${kernelName}`);
  return {
    ...original,
    gradFunc: (dy, saved, attrs) => {
      const grads = original.gradFunc(dy, saved, attrs);
      const shapes = inputNames.map((_, i) => saved[i]!.shape);
      const out: Record<string, () => tf.Tensor> = {};
      inputNames.forEach((name, i) => {
        const g = grads[name];
        if (g) out[name] = () => reduceTo(g(), shapes[i]!);
      });
      return out;
    },
  };
}

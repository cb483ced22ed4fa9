// weightedSum(values, weights): Σ w_i·v_i over scalars (a step's task loss and weighted aux losses)
// as one kernel each way on cpu and wasm (kernels/weighted-sum.ts), Multiply + AddN elsewhere.
import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig } from '@tensorflow/tfjs-core';
import { WEIGHTED_SUM, WEIGHTED_SUM_GRAD } from '../kernels/weighted-sum.js';
import { activeBackendHas } from '../kernels/index.js';

/** Σ_i weights[i]·values[i] over float32 scalars (at least one), differentiable in every value. */
export function weightedSum(values: readonly tf.Scalar[], weights: readonly number[]): tf.Scalar {
  const who = 'weightedSum';
  if (values.length === 0 || values.length !== weights.length) throw new Error(`${who}: ${values.length} values and ${weights.length} weights; expected as many of each, at least one`);
  values.forEach((v, i) => {
    if (!(v instanceof tf.Tensor) || v.rank !== 0 || v.dtype !== 'float32') throw new Error(`${who}: values[${i}] must be a float32 scalar tensor (got ${v instanceof tf.Tensor ? `${v.dtype} [${v.shape}]` : String(v)})`);
  });
  weights.forEach((w, i) => {
    if (!Number.isFinite(w)) throw new Error(`${who}: weights[${i}]=${w} must be finite`);
  });
  if (values.length === 1 && weights[0] === 1) return values[0]!;
  if (!activeBackendHas(WEIGHTED_SUM)) return tf.tidy(() => tf.addN(values.map((v, i) => (weights[i] === 1 ? v : tf.mul(v, weights[i]!)))) as tf.Scalar);
  const inputs = Object.fromEntries(values.map((v, i) => [`v${i}`, v]));
  return tf.engine().runKernel(WEIGHTED_SUM, inputs, { weights: [...weights] } as unknown as tf.NamedAttrMap) as tf.Scalar;
}

/** The gradient of WeftWeightedSum: one kernel for every input. Registered with Weft's gradient fixes. */
export const weightedSumGrad: GradConfig = {
  kernelName: WEIGHTED_SUM,
  gradFunc: (dy, _saved, attrs) => {
    const { weights } = attrs as unknown as { weights: number[] };
    // All of them from one call, made here (the backward pass's scope keeps them; each thunk's tidy would free the others).
    const grads = tf.engine().runKernel(WEIGHTED_SUM_GRAD, { dy: dy as tf.Tensor }, attrs as tf.NamedAttrMap) as unknown as tf.Tensor[];
    return Object.fromEntries(weights.map((_, i) => [`v${i}`, () => grads[i]!]));
  },
};

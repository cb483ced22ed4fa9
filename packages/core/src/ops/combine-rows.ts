// combineRows(y, slot, gate, numTokens): a sparse MoE's un-permute, each token's k rows of y weighted
// by their gates and summed, as one kernel each way on cpu and wasm (kernels/combine-rows.ts); tf ops
// (gatherRows, Multiply, Sum) elsewhere.
import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig } from '@tensorflow/tfjs-core';
import { COMBINE_ROWS, COMBINE_ROWS_GRAD } from '../kernels/combine-rows.js';
import { activeBackendHas } from '../kernels/index.js';
import { gatherRows } from './gather-rows.js';

/**
 * y (R, D) float32, slot (P,) int32 in [0, R], gate (P,) float32, with P = k·N pairs slot-major (pair
 * p = s·N + t is token t's s-th choice) -> (N, D): out[t] = Σ_s gate[p]·y[slot[p]], summed over s in
 * order; a slot of R is a dropped pair and adds nothing. Differentiable in y and gate. On cpu and wasm
 * a slot outside [0, R] is an error.
 */
export function combineRows(y: tf.Tensor2D, slot: tf.Tensor1D, gate: tf.Tensor1D, numTokens: number): tf.Tensor2D {
  const who = 'combineRows';
  if (y.rank !== 2 || slot.rank !== 1 || gate.rank !== 1 || gate.shape[0] !== slot.shape[0]) throw new Error(`${who}: y [${y.shape}], slot [${slot.shape}] and gate [${gate.shape}] must be (R, D), (P,) and (P,)`);
  if (y.dtype !== 'float32' || gate.dtype !== 'float32') throw new Error(`${who}: y and gate must be float32 (got ${y.dtype}, ${gate.dtype})`);
  if (slot.dtype !== 'int32') throw new Error(`${who}: slot has dtype ${slot.dtype}; expected int32`);
  const P = slot.shape[0];
  if (!(Number.isInteger(numTokens) && numTokens > 0 && P % numTokens === 0)) throw new Error(`${who}: numTokens=${numTokens} must be a positive integer dividing the ${P} pairs (k per token)`);
  if (activeBackendHas(COMBINE_ROWS)) return tf.engine().runKernel(COMBINE_ROWS, { y, slot, gate }, { numTokens }) as tf.Tensor2D;
  return tf.tidy(() => {
    const D = y.shape[1];
    const weighted = tf.mul(gatherRows(y, slot), tf.reshape(gate, [P, 1])); // (P, D); dropped pairs read zeros
    return tf.sum(tf.reshape(weighted, [P / numTokens, numTokens, D]), 0) as tf.Tensor2D; // (k·N, D) -> (k, N, D) -> (N, D)
  });
}

/** The gradient of WeftCombineRows (one kernel, both inputs); slot gets none. Registered with Weft's gradient fixes. */
export const combineRowsGrad: GradConfig = {
  kernelName: COMBINE_ROWS,
  inputsToSave: ['y', 'slot', 'gate'],
  gradFunc: (dout, [y, slot, gate], attrs) => {
    // Both gradients from one call, made here (the backward pass's scope keeps them; each thunk's tidy would free the other).
    const [dy, dgate] = tf.engine().runKernel(COMBINE_ROWS_GRAD, { dout: dout as tf.Tensor, y: y!, slot: slot!, gate: gate! }, attrs as tf.NamedAttrMap) as unknown as [tf.Tensor, tf.Tensor];
    return { y: () => dy, gate: () => dgate, slot: () => tf.zerosLike(slot!) };
  },
};

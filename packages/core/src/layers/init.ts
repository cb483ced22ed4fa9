// Weight initialisers: values drawn in JavaScript from a seeded `Rng` and uploaded, so the same
// seed gives the same weights on every backend. Defaults follow PyTorch's layer defaults.
import * as tf from '@tensorflow/tfjs-core';
import { defaultRng, type Rng } from '../random.js';

function sizeOf(shape: number[]): number {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`init: shape [${shape}] must hold non-negative integers`);
  }
  return shape.reduce((a, b) => a * b, 1);
}

/** Uniform in [-bound, bound). */
export function uniformInit(shape: number[], bound: number, rng: Rng = defaultRng()): tf.Tensor {
  return tf.tensor(rng.uniformArray(sizeOf(shape), -bound, bound), shape);
}

/** Normal with standard deviation `std`. */
export function normalInit(shape: number[], std: number, rng: Rng = defaultRng()): tf.Tensor {
  return tf.tensor(rng.normalArray(sizeOf(shape), 0, std), shape);
}

/** PyTorch's default for Linear/Conv weights and biases: U(-1/√fanIn, 1/√fanIn). */
export function fanInUniform(shape: number[], fanIn: number, rng: Rng = defaultRng()): tf.Tensor {
  return uniformInit(shape, 1 / Math.sqrt(Math.max(1, fanIn)), rng);
}

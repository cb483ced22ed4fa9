// Change an optimiser's learning rate between steps, so a page can take a new rate while training
// (as TensorFlow Playground does). Weft's fused Adam and SGD read their public `learningRate` at
// every update; tfjs's SGD family caches it and is told through `setLearningRate`; tfjs's Adam,
// RMSProp and Adagrad read `learningRate` at every update.
import type * as tf from '@tensorflow/tfjs-core';

/** Set `optimizer`'s learning rate for the next steps (its moment estimates are kept). */
export function setLearningRate(optimizer: tf.Optimizer, lr: number): void {
  if (!(lr > 0 && Number.isFinite(lr))) throw new Error(`setLearningRate: lr=${lr} must be a finite number > 0`);
  const o = optimizer as unknown as { learningRate: number; setLearningRate?: (lr: number) => void };
  if (typeof o.setLearningRate === 'function') o.setLearningRate(lr);
  else o.learningRate = lr;
}

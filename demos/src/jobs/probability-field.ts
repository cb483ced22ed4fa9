// A classifier's class probabilities over the plotted plane, for <weft-decision-boundary>: one
// batched forward pass over a grid and one `await data()` (no per-step readback, no dataSync).
import * as tf from '@tensorflow/tfjs-core';
import { ForwardContext, type Module } from '@weft/core';
import { gridPoints, type Extent, type ProbabilityField } from '../plane.js';

/** Softmax of `model`'s logits on a `resolution²` grid over `extent` (evaluation mode). */
export async function probabilityField(model: Module<tf.Tensor, tf.Tensor>, extent: Extent, resolution = 72): Promise<ProbabilityField> {
  const probs = tf.tidy(() => {
    const grid = tf.tensor2d(gridPoints(extent, resolution), [resolution * resolution, 2]); // (R*R, 2)
    const logits = model.forward(grid, new ForwardContext({ training: false })); // (R*R, C)
    return tf.softmax(logits, -1);
  });
  try {
    return { probs: (await probs.data()) as Float32Array, resolution, numClasses: probs.shape[1]! };
  } finally {
    probs.dispose();
  }
}

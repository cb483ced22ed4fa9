// Sum a broadcast gradient back to the shape of the input it belongs to.
import * as tf from '@tensorflow/tfjs-core';

/** Sum `g` over the axes along which `shape` was broadcast to `g.shape`, and reshape to `shape`. */
export function reduceTo(g: tf.Tensor, shape: number[]): tf.Tensor {
  if (tf.util.arraysEqual(g.shape, shape)) return g;
  const axes = tf.backend_util.getReductionAxes(shape, g.shape);
  const summed = axes.length ? tf.sum(g, axes, true) : g;
  return tf.reshape(summed, shape);
}

// tfjs 4.22's Cumsum gradient transposes its result when the axis is not the last one, giving the
// wrong shape. The gradient of a cumulative sum is the cumulative sum of dy in the other direction.
import * as tf from '@tensorflow/tfjs-core';

/** Gradient of Cumsum along any axis. */
export const cumsumGrad: tf.GradConfig = {
  kernelName: 'Cumsum',
  inputsToSave: ['x'],
  gradFunc: (dy, _saved, attrs) => {
    const { axis, exclusive, reverse } = attrs as unknown as { axis: number; exclusive: boolean; reverse: boolean };
    return { x: () => tf.cumsum(dy as tf.Tensor, axis, exclusive, !reverse) };
  },
};

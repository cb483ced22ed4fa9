// Flatten: keep the batch axis, merge the others, (B, ...) -> (B, prod(...)).
import * as tf from '@tensorflow/tfjs-core';
import type { ForwardContext } from '../context.js';
import { Module } from '../module.js';

/** Flattens every axis after the first. */
export class Flatten extends Module {
  forward(x: tf.Tensor, _ctx?: ForwardContext): tf.Tensor {
    if (x.rank < 1) throw new Error(`Flatten: x has shape [${x.shape}]; expected at least rank 1 (batch, ...)`);
    const features = x.shape.slice(1).reduce((a, b) => a * b, 1);
    return x.rank === 2 ? x : tf.reshape(x, [x.shape[0]!, features]); // (B, ...) -> (B, prod(...))
  }
}

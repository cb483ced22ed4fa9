// Attention's head split (B, T, h·D) -> (B, h, T, D) and merge (B, h, T, D) -> (B, T, h·D): one
// kernel each way on cpu and wasm (kernels/heads.ts), whose gradients are each other (nothing saved);
// reshape + transpose elsewhere (webgpu, webgl: a reshape is free there, a transpose one dispatch).
import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig } from '@tensorflow/tfjs-core';
import { HEADS, headsShapes, type HeadsAttrs } from '../kernels/heads.js';

const fused = (x: tf.Tensor) => x.dtype === 'float32' && tf.getKernel(HEADS, tf.getBackend()) !== undefined;

/** (B, T, heads·D) -> (B, heads, T, D). */
export function splitHeads(x: tf.Tensor, heads: number): tf.Tensor {
  const attrs: HeadsAttrs = { split: true, heads };
  if (fused(x)) return tf.engine().runKernel(HEADS, { x }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
  const { view } = headsShapes(x, attrs);
  return tf.tidy(() => tf.transpose(tf.reshape(x, view), [0, 2, 1, 3])); // (B, T, h·D) -> (B, T, h, D) -> (B, h, T, D)
}

/** (B, heads, T, D) -> (B, T, heads·D). */
export function mergeHeads(x: tf.Tensor): tf.Tensor {
  const attrs: HeadsAttrs = { split: false, heads: x.shape[1] ?? 0 };
  if (fused(x)) return tf.engine().runKernel(HEADS, { x }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
  const { out } = headsShapes(x, attrs);
  return tf.tidy(() => tf.reshape(tf.transpose(x, [0, 2, 1, 3]), out)); // (B, h, T, D) -> (B, T, h, D) -> (B, T, h·D)
}

/** The gradient of WeftHeads: the opposite direction. Registered with Weft's gradient fixes. */
export const headsGrad: GradConfig = {
  kernelName: HEADS,
  gradFunc: (dy, _saved, attrs) => {
    const { split, heads } = attrs as unknown as HeadsAttrs;
    return { x: () => (split ? mergeHeads(dy as tf.Tensor) : splitHeads(dy as tf.Tensor, heads)) };
  },
};

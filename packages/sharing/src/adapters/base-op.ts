// The frozen base operation an adapter attaches to: a Weft Linear or Embedding, a tfjs Dense or a
// tfjs Conv2D, seen uniformly as a weight variable in tfjs layout (linear [in, out]; conv
// [kh, kw, in, out]; embedding [numEmbeddings, dim], a lookup = one-hot(ids) · W done as a gather),
// an optional bias, and the op that applies a weight of that shape to an input.
import * as tf from '@tensorflow/tfjs-core';

/** Convolution settings of a conv2d base (NHWC, as tfjs). */
export interface ConvSpec {
  /** Kernel size [kh, kw]. */
  kernel: [number, number];
  /** Strides [sh, sw]. */
  strides: [number, number];
  /** tfjs padding: 'same', 'valid' or explicit [[0, 0], [top, bottom], [left, right], [0, 0]] (a Weft Conv2d's zeros). */
  padding: 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];
  /** Dilations [dh, dw]. */
  dilations: [number, number];
}

/** A base layer as adapters see it. */
export interface BaseOp {
  /** 'linear' (x W over the last axis), 'conv2d' (NHWC convolution) or 'embedding' (rows of W by int32 ids). */
  kind: 'linear' | 'conv2d' | 'embedding';
  /** The weight variable: linear [in, out]; conv2d [kh, kw, in, out]; embedding [numEmbeddings, dim]. Adapters never train it. */
  weight: tf.Variable;
  /** The bias variable [out], or null. */
  bias: tf.Variable | null;
  /** Input features (linear), input channels (conv2d) or table rows (embedding). */
  inFeatures: number;
  /** Output features / channels. */
  outFeatures: number;
  /** Conv settings (conv2d only). */
  conv?: ConvSpec;
}

/** Rows of the weight flattened to a matrix: in (linear) or kh·kw·in (conv2d). */
export function fanIn(base: BaseOp): number {
  return base.conv ? base.conv.kernel[0] * base.conv.kernel[1] * base.inFeatures : base.inFeatures;
}

/** Apply a weight shaped like `base.weight` (no bias). Linear: x (N, in) → (N, out); conv: NHWC; embedding: ids (...) → (..., out). */
export function applyWeight(base: BaseOp, x: tf.Tensor, w: tf.Tensor): tf.Tensor {
  if (base.kind === 'linear') return tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D);
  if (base.kind === 'embedding') return tf.gather(w, x); // one-hot(ids) · W
  const c = base.conv!;
  return tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.strides, c.padding, 'NHWC', c.dilations);
}

/** Apply a flat [fanIn, r] matrix as a weight of `r` outputs (a conv kernel [kh, kw, in, r] for conv bases). */
export function applyFlat(base: BaseOp, x: tf.Tensor, a: tf.Tensor): tf.Tensor {
  if (base.kind === 'linear') return tf.matMul(x as tf.Tensor2D, a as tf.Tensor2D);
  if (base.kind === 'embedding') return tf.gather(a, x); // (...) -> (..., r)
  const c = base.conv!;
  const r = a.shape[1]!;
  const k = tf.reshape(a, [c.kernel[0], c.kernel[1], base.inFeatures, r]); // (kh·kw·in, r) -> (kh, kw, in, r)
  return tf.conv2d(x as tf.Tensor4D, k as tf.Tensor4D, c.strides, c.padding, 'NHWC', c.dilations);
}

/** Matrix-multiply the channel (last) axis by m [k, n]: linear (N, k) → (N, n); NHWC (B, H, W, k) → (B, H, W, n). */
export function channelMatMul(h: tf.Tensor, m: tf.Tensor): tf.Tensor {
  if (h.rank === 2) return tf.matMul(h as tf.Tensor2D, m as tf.Tensor2D);
  const lead = h.shape.slice(0, -1);
  const h2 = tf.reshape(h, [-1, h.shape[h.rank - 1]!]); // (B, H, W, k) -> (B·H·W, k)
  return tf.reshape(tf.matMul(h2 as tf.Tensor2D, m as tf.Tensor2D), [...lead, m.shape[1]!]); // -> (B, H, W, n)
}

/** Reshape a flat [fanIn, out] matrix to the base weight's shape. */
export function toWeightShape(base: BaseOp, flat: tf.Tensor): tf.Tensor {
  return base.kind !== 'conv2d' ? flat : tf.reshape(flat, base.weight.shape); // (kh·kw·in, out) -> (kh, kw, in, out)
}

/** The base weight as a flat [fanIn, out] matrix. */
export function flatWeight(base: BaseOp, w: tf.Tensor = base.weight): tf.Tensor2D {
  return (base.kind !== 'conv2d' ? w : tf.reshape(w, [fanIn(base), base.outFeatures])) as tf.Tensor2D; // (kh, kw, in, out) -> (kh·kw·in, out)
}

/** A value that blocks gradients (tfjs has no stopGradient): identity forward, zero backward. */
const detachGrad = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
  save([]);
  return { value: tf.clone(x), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) };
}) as unknown as Parameters<typeof tf.customGrad>[0]);
export const detach = (x: tf.Tensor): tf.Tensor => detachGrad(x);

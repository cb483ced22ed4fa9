// Training-time regularisers shared by LoHa and LoKr (PEFT's LycorisLayer): module dropout skips the
// whole adapter with probability p; rank dropout zeroes output columns of ΔW (PyTorch rows) with
// probability p, optionally rescaled by the kept fraction.
import * as tf from '@tensorflow/tfjs-core';
import type { ForwardContext } from '@weft/core';

/** Whether module dropout skips the adapter on this forward pass. */
export function moduleDropped(rate: number, ctx: ForwardContext): boolean {
  return ctx.training && rate > 0 && ctx.rng.next() < rate;
}

/** Apply rank dropout to a flat ΔW [in, out] in training. */
export function rankDropout(delta: tf.Tensor2D, rate: number, rescale: boolean, ctx: ForwardContext): tf.Tensor2D {
  if (!ctx.training || rate === 0) return delta;
  const out = delta.shape[1];
  const keep = new Float32Array(out);
  let kept = 0;
  for (let j = 0; j < out; j++) {
    keep[j] = ctx.rng.next() > rate ? 1 : 0;
    kept += keep[j]!;
  }
  if (rescale && kept > 0) for (let j = 0; j < out; j++) keep[j]! /= kept / out;
  return tf.mul(delta, tf.tensor1d(keep));
}

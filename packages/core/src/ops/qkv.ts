// qkvHeads(x, q, k, v): attention's three projections of x (B, T, C) split into heads — q (B, H, T, D),
// k and v (B, Hkv, T, D) — as one fused kernel forward and one backward on cpu and wasm
// (kernels/qkv.ts); linear + splitHeads per projection elsewhere.
import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig } from '@tensorflow/tfjs-core';
import { QKV, QKV_GRAD, type QkvAttrs } from '../kernels/qkv.js';
import { splitHeads } from './heads.js';
import { frozen, linear } from './linear.js';

/** One projection: weight (C, h·D) and bias (h·D) or null. */
export interface Projection {
  weight: tf.Tensor;
  bias: tf.Tensor | null;
}

/** q, k, v of x (B, T, C): q with `heads` heads, k and v with `kvHeads`; each (B, h, T, D). */
export function qkvHeads(x: tf.Tensor, q: Projection, k: Projection, v: Projection, heads: number, kvHeads: number): [tf.Tensor, tf.Tensor, tf.Tensor] {
  const backend = tf.getBackend();
  const biases = [q.bias, k.bias, v.bias];
  const allOrNone = biases.every((b) => b !== null) || biases.every((b) => b === null);
  if (x.dtype !== 'float32' || !allOrNone || !tf.getKernel(QKV, backend) || !tf.getKernel(QKV_GRAD, backend)) {
    const one = (p: Projection, h: number) => tf.tidy(() => splitHeads(linear(x, p.weight, p.bias), h)); // (B, T, h·D) freed
    return [one(q, heads), one(k, kvHeads), one(v, kvHeads)];
  }
  const attrs: QkvAttrs & { frozen: boolean } = { heads, kvHeads, frozen: [q, k, v].every((p) => frozen(p.weight) && (!p.bias || frozen(p.bias))) };
  const inputs: tf.NamedTensorMap = { x, wq: q.weight, wk: k.weight, wv: v.weight, ...(q.bias ? { bq: q.bias, bk: k.bias!, bv: v.bias! } : {}) };
  return tf.engine().runKernel(QKV, inputs, attrs as unknown as tf.NamedAttrMap) as unknown as [tf.Tensor, tf.Tensor, tf.Tensor];
}

/**
 * The gradient of WeftQkv: one WeftQkvGrad call (an output outside the backward pass counts as a zero
 * gradient); with frozen weights a dx-only call. Registered with Weft's gradient fixes.
 */
export const qkvGrad: GradConfig = {
  kernelName: QKV,
  inputsToSave: ['x', 'wq', 'wk', 'wv'],
  gradFunc: (dys, saved, attrs) => {
    const [x, wq, wk, wv] = saved as tf.Tensor[];
    const { heads, kvHeads } = attrs as unknown as QkvAttrs;
    const [B, T] = x!.shape as [number, number];
    const shapeOf = (w: tf.Tensor, h: number) => [B, h, T, w.shape[1]! / h]; // (B, h, T, D)
    const dy = (dys as (tf.Tensor | null)[]).map((d, i) => d ?? tf.zeros(shapeOf([wq!, wk!, wv!][i]!, i === 0 ? heads : kvHeads)));
    const run = (params: boolean) => tf.engine().runKernel(QKV_GRAD, { x: x!, wq: wq!, wk: wk!, wv: wv!, dq: dy[0]!, dk: dy[1]!, dv: dy[2]! }, { ...(attrs as object), params } as tf.NamedAttrMap) as unknown as tf.Tensor[];
    // frozen weights (an adapter's base, Module.freeze): dx alone, the parameters' gradients only if asked for
    const all = (attrs as { frozen?: boolean }).frozen ? null : run(true);
    const pick = (i: number) => () => (all ?? run(true))[i]!; // a thunk's tidy frees what it does not return
    return { x: () => (all ? all[0]! : run(false)[0]!), wq: pick(1), wk: pick(2), wv: pick(3), bq: pick(4), bk: pick(5), bv: pick(6) };
  },
};

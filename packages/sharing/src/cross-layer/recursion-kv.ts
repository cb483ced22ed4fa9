// Key/value handling of "Mixture-of-Recursions" (Bae et al., arXiv:2507.10524) for a shared
// TransformerBlock: the block's pre-norm attention split into "project K/V" and "attend to given
// K/V", so that a recursion can attend to keys and values other than its own queries' —
// recursion-wise KV sharing (every recursion reads the K/V computed at the first one) and the
// per-recursion caches of incremental decoding (MoRKVCache). The block's own forward is not used
// for these; the arithmetic is the same as TransformerBlock.forward (norm1, attention, residual,
// norm2, feed-forward, residual), checked against it in the tests.
import * as tf from '@tensorflow/tfjs-core';
import { dropout, type ForwardContext, TransformerBlock } from '@weft/core';
import { noGrad } from './no-grad.js';

/** Keys and values of a block's attention: (B, numKVHeads, Tk, headDim) each. */
export interface BlockKV {
  /** (B, Hkv, Tk, d). */
  k: tf.Tensor;
  /** (B, Hkv, Tk, d). */
  v: tf.Tensor;
}

/** The block as a TransformerBlock, or an error naming `who` and the option that needs it. */
export function kvBlock(who: string, option: string, block: unknown): TransformerBlock {
  if (!(block instanceof TransformerBlock)) throw new Error(`${who}: ${option} needs the shared block to be a TransformerBlock (its attention's keys and values are read); got ${(block as object)?.constructor?.name ?? typeof block}`);
  return block;
}

/** The keys and values the block's attention computes from `x` (B, T, D): k/v of norm1(x), split into heads. */
export function projectKV(block: TransformerBlock, x: tf.Tensor, ctx: ForwardContext): BlockKV {
  const [B, T] = x.shape as [number, number, number];
  const a = block.attn;
  const n = block.norm1.forward(x, ctx);
  const heads = (t: tf.Tensor) => tf.transpose(tf.reshape(t, [B, T, a.numKVHeads, a.headDim]), [0, 2, 1, 3]); // (B, T, Hkv·d) -> (B, Hkv, T, d)
  return { k: heads(a.k.forward(n, ctx)), v: heads(a.v.forward(n, ctx)) };
}

/**
 * The block applied to queries `x` (B, Tq, D) whose attention reads the given keys and values
 * (B, Hkv, Tk, d) instead of its own: x + attn, then + ffn, as TransformerBlock.forward.
 * `allowed` (B, Tq, Tk) 0/1 says which key each query may see (null: every key); it must be off the
 * gradient tape (built from masks and positions). A query that may see no key gets a uniform average.
 */
export function blockAttendingKV(block: TransformerBlock, x: tf.Tensor, kv: BlockKV, allowed: tf.Tensor | null, ctx: ForwardContext): tf.Tensor {
  const [B, Tq, C] = x.shape as [number, number, number];
  const a = block.attn;
  const [H, Hkv, d] = [a.numHeads, a.numKVHeads, a.headDim];
  const Tk = kv.k.shape[2]!;
  const rate = a.config.dropout ?? 0;
  const q = tf.transpose(tf.reshape(a.q.forward(block.norm1.forward(x, ctx), ctx), [B, Tq, H, d]), [0, 2, 1, 3]); // (B, Tq, H·d) -> (B, H, Tq, d)
  // Grouped-query heads read key/value head ⌊h / (H/Hkv)⌋; tiled at rank 3 (tfjs has no Tile gradient above rank 4).
  const repeat = (t: tf.Tensor) => (Hkv === H ? t : tf.reshape(tf.tile(tf.reshape(t, [B * Hkv, 1, Tk * d]), [1, H / Hkv, 1]), [B, H, Tk, d])); // (B, Hkv, Tk, d) -> (B·Hkv, g, Tk·d) -> (B, H, Tk, d)
  let scores = tf.mul(tf.matMul(q, repeat(kv.k), false, true), 1 / Math.sqrt(d)); // (B, H, Tq, Tk)
  if (allowed) scores = tf.add(scores, tf.expandDims(tf.mul(tf.sub(1, allowed), -1e9), 1)); // (B, Tq, Tk) -> (B, 1, Tq, Tk)
  const weights = dropout(tf.softmax(scores, -1), rate, ctx);
  const y = tf.reshape(tf.transpose(tf.matMul(weights, repeat(kv.v)), [0, 2, 1, 3]), [B, Tq, C]); // (B, H, Tq, d) -> (B, Tq, H, d) -> (B, Tq, C)
  const h = tf.add(x, dropout(a.o.forward(y, ctx), rate, ctx));
  return tf.add(h, block.ffn.forward(block.norm2.forward(h, ctx), ctx));
}

/**
 * Which keys each query may see, (B, Tq, Tk) 0/1, off the tape: key j is allowed when `keyMask`
 * (B, Tk) is 1 there and, if `causal`, j ≤ the query's position `positions` (B, Tq) int32.
 */
export function allowedKeys(keyMask: tf.Tensor, positions: tf.Tensor, causal: boolean): tf.Tensor {
  return noGrad([keyMask, positions], (m, p) => {
    const [B, Tk] = m.shape as [number, number];
    const keys = tf.reshape(tf.cast(m, 'float32'), [B, 1, Tk]); // (B, Tk) -> (B, 1, Tk)
    if (!causal) return tf.tile(keys, [1, p.shape[1]!, 1]);
    const seen = tf.cast(tf.lessEqual(tf.reshape(tf.range(0, Tk, 1, 'int32'), [1, 1, Tk]), tf.expandDims(p, -1)), 'float32'); // (1, 1, Tk) vs (B, Tq, 1) -> (B, Tq, Tk)
    return tf.mul(seen, keys);
  });
}

// Run a shared block on the active tokens only — how per-token adaptive depth (ACT halting in
// "Universal Transformers", arXiv:1807.03819; token-choice routing in "Mixture-of-Recursions",
// arXiv:2507.10524) really skips the compute of halted or unselected tokens: each sequence's active
// positions are gathered in their original order into a (B, k) batch (k = the most active tokens of
// any sequence; shorter sequences are padded with masked rows), the block runs on that batch with the
// active tokens attending only to each other, and its output is scattered back to (B, T).
// The active mask is read back synchronously (B·T numbers per call), so shapes follow the data; webgpu
// cannot read back synchronously and is refused (the masked dense form computes the same there).
import * as tf from '@tensorflow/tfjs-core';
import { ForwardContext, Module, type SequenceInput } from '@weft/core';
import { gatherRows, scatterRows } from './no-grad.js';

/** The block's output on the active tokens, scattered back, and how many token rows it processed. */
export interface ActiveBlockOutput {
  /** (B, T, D): the block's output at active positions, zeros elsewhere. */
  y: tf.Tensor;
  /** Token rows the block processed, padding included (B·k). */
  rows: number;
}

/**
 * What runs on the gathered rows: a block (given `{ x, attentionMask: keep }`), or a function of the
 * gathered tokens (B, k, D), their 0/1 padding mask `keep` (B, k) and their positions in the original
 * sequence (B, k) int32 (for attention to keys outside the batch, e.g. shared KV).
 */
export type ActiveRowsBlock = Module<SequenceInput, tf.Tensor> | ((x: tf.Tensor, keep: tf.Tensor, positions: tf.Tensor) => tf.Tensor);

/**
 * `block` applied to the tokens of `x` (B, T, D) where `active` (B, T) is 1, gathered per sequence.
 * Returns null when no token is active (the block is not run at all). `who` names the caller in errors.
 */
export function runOnActiveRows(who: string, block: ActiveRowsBlock, x: tf.Tensor, active: tf.Tensor, ctx: ForwardContext): ActiveBlockOutput | null {
  if (tf.getBackend() === 'webgpu') {
    throw new Error(`${who}: gathering the active tokens reads their mask back synchronously, which the webgpu backend cannot do; use the masked dense form there (it computes the same)`);
  }
  const [B, T, D] = x.shape as [number, number, number];
  const a = active.dataSync(); // (B, T) 0/1, data-dependent shapes need it on the host
  const lists: number[][] = [];
  for (let b = 0; b < B; b++) {
    const l: number[] = [];
    for (let t = 0; t < T; t++) if (a[b * T + t]! > 0.5) l.push(b * T + t);
    lists.push(l);
  }
  const k = Math.max(...lists.map((l) => l.length));
  if (k === 0) return null;
  const rowIdx = new Int32Array(B * k);
  const pad = new Float32Array(B * k);
  lists.forEach((l, b) => {
    for (let j = 0; j < k; j++) {
      rowIdx[b * k + j] = j < l.length ? l[j]! : b * T; // padding repeats the sequence's first row, masked out below
      pad[b * k + j] = j < l.length ? 1 : 0;
    }
  });
  const rows = tf.tensor1d(rowIdx, 'int32');
  const keep = tf.tensor2d(pad, [B, k]);
  const xSel = tf.reshape(gatherRows(tf.reshape(x, [B * T, D]), rows), [B, k, D]); // (B·T, D) -> (B·k, D) -> (B, k, D)
  const ySel = block instanceof Module
    ? block.forward({ x: xSel, attentionMask: keep }, ctx) // (B, k, D)
    : block(xSel, keep, tf.tensor2d(rowIdx.map((r, i) => r - Math.floor(i / k) * T), [B, k], 'int32')); // positions: flat row − sequence start
  const yPad = tf.reshape(tf.mul(ySel, tf.expandDims(keep, -1)), [B * k, D]); // padding rows zeroed: (B, k, D) -> (B·k, D)
  const y = tf.reshape(scatterRows(yPad, rows, B * T), [B, T, D]); // (B·T, D) -> (B, T, D)
  return { y, rows: B * k };
}

// Run a shared block on the active tokens only — how per-token adaptive depth (ACT halting in
// "Universal Transformers", arXiv:1807.03819; token-choice routing in "Mixture-of-Recursions",
// arXiv:2507.10524) really skips the compute of halted or unselected tokens. Each sequence's active
// positions are gathered in their original order, the block runs on them with the active tokens
// attending only to each other (and to earlier ones when causal), and its output is scattered back.
// - A TransformerBlock gets the sequences' active tokens packed into rows of at most T (first-fit
//   decreasing; a row holds several short sequences, attention stays within each one by a
//   block-diagonal mask), so the rows processed fall with the active tokens.
// - Any other block (or a function of the tokens) gets one row per sequence, padded to the busiest
//   sequence's count (masked rows): the block's key mask cannot keep packed sequences apart.
// The active mask is read back synchronously (B·T numbers per call), so shapes follow the data. A
// backend that cannot read back synchronously (webgpu) cannot do this inside a taped forward:
// {@link canGatherRows} says so, and the callers run their masked dense form there (the same result).
// No device-side alternative is used for these counts: without a readback the gathered shape must be
// fixed in advance, and the only fixed capacity that stays exact for every halting pattern is all T
// tokens of every sequence, which is the masked form's compute. Expert-choice MoR differs: it keeps a
// fixed k_r per recursion, so it gathers with top-k indices on the device, on every backend
// (mixture-of-recursions.ts), and never comes here.
import * as tf from '@tensorflow/tfjs-core';
import { ForwardContext, Module, TransformerBlock, type SequenceInput } from '@weft/core';
import { gatherRows, scatterRows } from './no-grad.js';
import { blockAttendingKV, projectKV } from './recursion-kv.js';

/** The block's output on the active tokens, scattered back, and how many token rows it processed. */
export interface ActiveBlockOutput {
  /** (B, T, D): the block's output at active positions, zeros elsewhere. */
  y: tf.Tensor;
  /** Token rows the block processed, padding included. */
  rows: number;
}

/**
 * What runs on the gathered rows: a block (given `{ x, attentionMask: keep }`), or a function of the
 * gathered tokens (B, k, D), their 0/1 padding mask `keep` (B, k) and their positions in the original
 * sequence (B, k) int32 (for attention to keys outside the batch, e.g. shared KV).
 */
export type ActiveRowsBlock = Module<SequenceInput, tf.Tensor> | ((x: tf.Tensor, keep: tf.Tensor, positions: tf.Tensor) => tf.Tensor);

/** Whether the current backend can gather the active rows (it reads the mask back synchronously; webgpu cannot). */
export function canGatherRows(): boolean {
  return tf.getBackend() !== 'webgpu';
}

/**
 * `block` applied to the tokens of `x` (B, T, D) where `active` (B, T) is 1. Returns null when no
 * token is active (the block is not run at all). `who` names the caller in errors.
 */
export function runOnActiveRows(who: string, block: ActiveRowsBlock, x: tf.Tensor, active: tf.Tensor, ctx: ForwardContext): ActiveBlockOutput | null {
  if (!canGatherRows()) {
    throw new Error(`${who}: gathering the active tokens reads their mask back synchronously, which the ${tf.getBackend()} backend cannot do; use the masked dense form there (it computes the same)`);
  }
  const [B, T, D] = x.shape as [number, number, number];
  const a = active.dataSync(); // (B, T) 0/1, data-dependent shapes need it on the host
  const lists: number[][] = [];
  for (let b = 0; b < B; b++) {
    const l: number[] = [];
    for (let t = 0; t < T; t++) if (a[b * T + t]! > 0.5) l.push(b * T + t);
    lists.push(l);
  }
  if (lists.every((l) => l.length === 0)) return null;
  const packed = block instanceof TransformerBlock;
  // Rows of the gathered batch: each a list of segments (one sequence's active rows, in order).
  const rowsOf: number[][][] = [];
  if (packed) {
    const fill: number[] = [];
    for (const s of [...lists.keys()].sort((p, q) => lists[q]!.length - lists[p]!.length)) {
      const n = lists[s]!.length;
      if (n === 0) continue;
      let r = fill.findIndex((f) => f + n <= T);
      if (r < 0) {
        r = fill.length;
        fill.push(0);
        rowsOf.push([]);
      }
      fill[r] += n;
      rowsOf[r]!.push(lists[s]!);
    }
  } else lists.forEach((l) => rowsOf.push([l]));
  const R = rowsOf.length;
  const k = Math.max(...rowsOf.map((segs) => segs.reduce((s, l) => s + l.length, 0)));
  const rowIdx = new Int32Array(R * k);
  const seg = new Int32Array(R * k).fill(-1); // segment of each slot within its row; -1 = padding
  rowsOf.forEach((segs, r) => {
    let j = 0;
    segs.forEach((l, s) => {
      for (const flat of l) {
        rowIdx[r * k + j] = flat;
        seg[r * k + j++] = s;
      }
    });
    for (; j < k; j++) rowIdx[r * k + j] = segs[0]![0] ?? r * T; // padding repeats a row (unpacked: row r is sequence r), masked out below
  });
  const rows = tf.tensor1d(rowIdx, 'int32');
  const keep = tf.tensor2d(seg.map((s) => (s >= 0 ? 1 : 0)), [R, k], 'float32');
  const xSel = tf.reshape(gatherRows(tf.reshape(x, [B * T, D]), rows), [R, k, D]); // (B·T, D) -> (R·k, D) -> (R, k, D)
  let ySel: tf.Tensor; // (R, k, D)
  if (block instanceof TransformerBlock) {
    // Query i sees key j of its own segment (and j ≤ i when causal: segments keep their tokens' order).
    const causal = block.attn.causal;
    const allowed = new Float32Array(R * k * k);
    for (let r = 0; r < R; r++) {
      for (let i = 0; i < k; i++) {
        const si = seg[r * k + i]!;
        if (si < 0) continue;
        for (let j = 0; j < (causal ? i + 1 : k); j++) if (seg[r * k + j] === si) allowed[(r * k + i) * k + j] = 1;
      }
    }
    ySel = blockAttendingKV(block, xSel, projectKV(block, xSel, ctx), tf.tensor3d(allowed, [R, k, k]), ctx);
  } else if (block instanceof Module) {
    ySel = block.forward({ x: xSel, attentionMask: keep }, ctx);
  } else {
    ySel = block(xSel, keep, tf.tensor2d(rowIdx.map((flat, i) => flat - Math.floor(i / k) * T), [R, k], 'int32')); // positions: flat row − sequence start (one sequence per row here)
  }
  const yPad = tf.reshape(tf.mul(ySel, tf.expandDims(keep, -1)), [R * k, D]); // padding rows zeroed: (R, k, D) -> (R·k, D)
  const y = tf.reshape(scatterRows(yPad, rows, B * T), [B, T, D]); // (B·T, D) -> (B, T, D)
  return { y, rows: R * k };
}

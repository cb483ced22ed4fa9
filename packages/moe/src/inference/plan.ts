// A Survey on Inference Optimization Techniques for Mixture of Experts Models (Liu et al., arXiv:2412.14219).
// The expert plan: a host-side copy of a trained MoE layer's routed experts that the survey's
// model-level optimisations (prune.ts, merge.ts, quantise.ts, dynamic top-k) edit, and the forward
// that runs the layer's own router over the edited experts. Departs from the layers it copies: the
// plan's forward re-gates as softmax over the kept top-k router logits (the 'topk'/'mixtral' form)
// and runs dropless; only 'ffn' experts (w1, b1, w2, b2) are supported.
import * as tf from '@tensorflow/tfjs-core';
import { ForwardContext, gelu, type Linear } from '@weft/core';
import { checkNumber } from '@weft/core/internal';
import type { MoE } from '../moe.js';

/** Routed experts of one MoE layer as plain arrays, with the edits the survey's optimisations make. */
export interface ExpertPlan {
  /** Router width E (experts the trained router scores). */
  numExperts: number;
  /** Stored slot of each router expert (E,), or -1 for a pruned expert (never chosen). */
  slot: Int32Array;
  /** Stored experts E' (slots). */
  stored: number;
  /** Model width d. */
  dim: number;
  /** Expert hidden width h. */
  hidden: number;
  /** Experts per token k. */
  topK: number;
  /** Dynamic top-k: when the top gate is ≥ this, only the top expert runs; null = always k. */
  threshold: number | null;
  /** Bits per stored matrix weight (32 = float32; 8/4 = symmetric per-row integer codes + one float32 scale per row). */
  bits: number;
  /** First matrices (E', d, h), as used in the forward (dequantised when `bits` < 32). */
  w1: Float32Array;
  /** First biases (E', h). */
  b1: Float32Array;
  /** Second matrices (E', h, d), as used in the forward (dequantised when `bits` < 32). */
  w2: Float32Array;
  /** Second biases (E', d). */
  b2: Float32Array;
}

/** Stored bytes of a plan's experts: matrices at `bits` (+ a float32 scale per row when quantised), biases float32. */
export function planBytes(p: ExpertPlan): number {
  const matrices = p.w1.length + p.w2.length;
  const rows = p.stored * (p.dim + p.hidden); // rows of w1 (d per expert) and w2 (h per expert)
  const scales = p.bits < 32 ? 4 * rows : 0;
  return Math.ceil((matrices * p.bits) / 8) + scales + 4 * (p.b1.length + p.b2.length);
}

/** Forward FLOPs of one expert on one token (two matmuls, 2 FLOPs per multiply-add). */
export function expertFlops(p: ExpertPlan): number {
  return 4 * p.dim * p.hidden;
}

/** Check that `moe` can be planned: 'ffn' experts and a router with logits (checked in the forward). */
function checkLayer(who: string, moe: MoE): void {
  if (moe.experts.kind !== 'ffn') throw new Error(`${who}: experts of kind '${moe.experts.kind}' are not supported; only 'ffn' experts (w1, b1, w2, b2)`);
}

/** The expert plan of a trained MoE layer, unedited (its forward equals the layer's, dropless). */
export async function expertPlan(moe: MoE): Promise<ExpertPlan> {
  checkLayer('expertPlan', moe);
  const named = new Map(moe.experts.namedParameters());
  const read = async (n: string) => new Float32Array(await named.get(n)!.data());
  const e = moe.cfg.numExperts;
  return {
    numExperts: e, slot: Int32Array.from({ length: e }, (_, i) => i), stored: e, dim: moe.cfg.dim, hidden: moe.cfg.hidden,
    topK: moe.cfg.topK, threshold: null, bits: 32,
    w1: await read('w1'), b1: await read('b1'), w2: await read('w2'), b2: await read('b2'),
  };
}

/** The plan with dynamic top-k: a token whose top gate is ≥ `threshold` runs its top expert only (gate 1). */
export function withThreshold(p: ExpertPlan, threshold: number | null): ExpertPlan {
  if (threshold !== null) checkNumber('withThreshold', 'threshold', threshold, 0, 1);
  return { ...p, threshold };
}

/** Router logits (N, E) of `moe` in eval mode; throws for routers without logits. */
export function routerLogits(moe: MoE, x: tf.Tensor2D): tf.Tensor2D {
  const r = moe.router.forward(x, new ForwardContext({ training: false }));
  if (!r.logits) throw new Error(`expert plan: the router '${moe.cfg.router}' has no logits; plans need a logit router ('topk', 'mixtral')`);
  return r.logits;
}

/**
 * Each token's chosen router experts and gates under plan `p`: indices (N, k), gates (N, k) — softmax
 * over the kept top-k logits of the non-pruned experts, with dynamic top-k zeroing the rest of a row
 * whose top gate is ≥ the threshold (and renormalising it).
 */
export function planRouting(moe: MoE, p: ExpertPlan, x: tf.Tensor2D): { indices: tf.Tensor2D; gates: tf.Tensor2D } {
  return tf.tidy(() => {
    const pruned = tf.tensor1d(Array.from(p.slot, (s) => (s < 0 ? -1e9 : 0)));
    const logits = tf.add(routerLogits(moe, x), pruned) as tf.Tensor2D; // (N, E)
    const { values, indices } = tf.topk(logits, p.topK);
    let gates = tf.softmax(values) as tf.Tensor2D; // (N, k)
    if (p.threshold !== null && p.topK > 1) {
      const top = tf.slice(gates, [0, 0], [-1, 1]); // (N, 1)
      const skip = tf.cast(tf.greaterEqual(top, p.threshold), 'float32'); // (N, 1)
      const firstCol = tf.concat([tf.ones([1, 1]), tf.zeros([1, p.topK - 1])], 1); // (1, k)
      const mask = tf.add(tf.mul(tf.sub(1, skip), tf.onesLike(gates)), tf.mul(skip, firstCol)); // (N, k)
      gates = tf.mul(gates, mask);
      gates = tf.div(gates, tf.sum(gates, 1, true));
    }
    return { indices: indices as tf.Tensor2D, gates };
  });
}

/**
 * The layer under plan `p`: x (N, d) -> y (N, d), with the mean number of experts a token runs. The
 * stored experts run densely on every token (a toy-scale reference; compute is reported by count).
 */
export function planForward(moe: MoE, p: ExpertPlan, x: tf.Tensor2D): { y: tf.Tensor2D; expertsPerToken: tf.Scalar } {
  checkLayer('planForward', moe);
  if (x.rank !== 2 || x.shape[1] !== p.dim) throw new Error(`planForward: x has shape [${x.shape}]; expected (N, ${p.dim})`);
  return tf.tidy(() => {
    const [n, d] = x.shape;
    const { stored: s, hidden: h } = p;
    const { indices, gates } = planRouting(moe, p, x);
    const slots = tf.gather(tf.tensor1d(p.slot, 'int32'), indices); // (N, k) stored slot of each choice
    const combine = tf.sum(tf.mul(tf.oneHot(slots, s), tf.expandDims(gates, 2)), 1); // (N, k, S) -> (N, S)
    const buf = tf.tile(tf.expandDims(x, 0), [s, 1, 1]) as tf.Tensor3D; // (N, d) -> (S, N, d)
    const hid = gelu(tf.add(tf.matMul(buf, tf.tensor3d(p.w1, [s, d, h])), tf.reshape(tf.tensor2d(p.b1, [s, h]), [s, 1, h]))); // (S, N, h)
    const out = tf.add(tf.matMul(hid as tf.Tensor3D, tf.tensor3d(p.w2, [s, h, d])), tf.reshape(tf.tensor2d(p.b2, [s, d]), [s, 1, d])); // (S, N, d)
    let y = tf.sum(tf.mul(out, tf.expandDims(tf.transpose(combine), 2)), 0) as tf.Tensor2D; // (S, N, d) · (S, N, 1) -> (N, d)
    if (moe.shared) {
      const sh = moe.shared.forward(x, new ForwardContext({ training: false }));
      y = tf.add(y, moe.sharedGate ? tf.mul(tf.sigmoid((moe.sharedGate as Linear).forward(x, new ForwardContext({ training: false }))), sh) : sh) as tf.Tensor2D;
    }
    const expertsPerToken = tf.div(tf.sum(tf.cast(tf.greater(gates, 0), 'float32')), n) as tf.Scalar;
    return { y, expertsPerToken };
  });
}

/** Per router expert on calibration tokens: share of the top-k picks, and gate mass (sum of its gates / N). */
export interface ExpertUsage {
  /** Share of the chosen (token, expert) pairs per expert (E,), summing to 1. */
  frequency: Float64Array;
  /** Gate mass per expert (E,): its gates summed over tokens / N (sums to 1 over experts). */
  gateMass: Float64Array;
}

/** Routing statistics of the unedited layer on calibration tokens x (N, d). */
export async function expertUsage(moe: MoE, x: tf.Tensor2D): Promise<ExpertUsage> {
  const e = moe.cfg.numExperts;
  const p = { numExperts: e, slot: Int32Array.from({ length: e }, (_, i) => i), topK: moe.cfg.topK, threshold: null } as ExpertPlan;
  const { indices, gates } = planRouting(moe, p, x);
  const [idx, g] = await Promise.all([indices.data(), gates.data()]);
  tf.dispose([indices, gates]);
  const frequency = new Float64Array(e);
  const gateMass = new Float64Array(e);
  for (let i = 0; i < idx.length; i++) {
    frequency[idx[i]!]! += 1 / idx.length;
    gateMass[idx[i]!]! += g[i]! / x.shape[0];
  }
  return { frequency, gateMass };
}

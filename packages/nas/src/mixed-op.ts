// The DARTS mixed operation (DARTS, arXiv 1806.09055, eq. 2): ō(x) = Σ_o w_o · o(x) with
// w = softmax(α) over the candidate ops of one edge. The caller passes the weights, so the same
// module serves DARTS (softmax), GDAS (a hard Gumbel sample: one active op), DropNAS (a mask of
// active ops) and SPOS (one op, weight 1). `none` is a zero op and is never computed. With
// `partialChannels` K > 1 it is PC-DARTS' partial-channel mixed op (arXiv 1907.05737): only the
// first C/K channels go through the ops, the rest bypass (max-pooled at stride 2), then a
// channel shuffle. Vector candidates with a stacked form are stored stacked (vector-ops.ts), the
// others run as their own modules. Its stored parameters are the sum of its candidates' (checked
// via the ledger).
import * as tf from '@tensorflow/tfjs-core';
import { Module, ModuleList, checkKnownKeys, configKeys, type ForwardContext, type Rng } from '@weft/core';
import { checkPositiveInt } from '@weft/core/internal';
import { createOp, checkOps, opEntry, NONE, type OpEntry, type OpSpace } from './ops.js';
import { StackedVectorOps } from './vector-ops.js';

/** Config of {@link MixedOp}. */
export interface MixedOpConfig {
  /** Candidate op names (of `space`), in α order. */
  ops: string[];
  /** Op space. */
  space: OpSpace;
  /** Channels (features) in and out. */
  channels: number;
  /** Stride (conv space: 1 or 2). Default 1. */
  stride?: number;
  /** PC-DARTS: 1/K of the channels go through the ops. Default 1 (all). */
  partialChannels?: number;
}

const MIXED_OP_KEYS = configKeys<MixedOpConfig>({ ops: true, space: true, channels: true, stride: true, partialChannels: true });

/** One edge of a supernet cell: all candidate ops, mixed by weights the caller gives. */
export class MixedOp extends Module {
  /** The candidates run as their own modules (every conv op; vector ops without a stacked form), in α order among themselves. */
  readonly candidates: ModuleList | null;
  /** The vector candidates with a stacked form, stored stacked, in α order among themselves. */
  readonly stacked: StackedVectorOps | null;
  readonly ops: string[];
  readonly stride: number;
  readonly k: number;
  /** Per op: its index in `stacked` or in `candidates`. */
  private readonly place: Array<{ stacked: boolean; at: number }>;

  constructor(readonly config: MixedOpConfig, rng: Rng) {
    super();
    checkKnownKeys('MixedOp', config, MIXED_OP_KEYS);
    checkOps('MixedOp', config.ops, config.space);
    this.ops = [...config.ops];
    this.stride = config.stride ?? 1;
    if (this.stride !== 1 && !(this.stride === 2 && config.space === 'conv')) {
      throw new Error(`MixedOp: stride=${this.stride}; allowed: 1, or 2 in the conv space`);
    }
    checkPositiveInt('MixedOp', 'channels', config.channels);
    this.k = config.partialChannels ?? 1;
    if (!Number.isInteger(this.k) || this.k < 1 || config.channels % this.k !== 0) {
      throw new Error(`MixedOp: partialChannels=${this.k} must be a positive integer dividing channels=${config.channels}`);
    }
    const c = config.channels / this.k;
    const entries = this.ops.map((o) => opEntry(o, config.space, 'MixedOp'));
    const isStacked = (e: OpEntry) => config.space === 'vector' && e.stacked !== undefined;
    const stacked = entries.filter(isStacked);
    const own = entries.filter((e) => !isStacked(e));
    let ns = 0;
    let no = 0;
    this.place = entries.map((e) => (isStacked(e) ? { stacked: true, at: ns++ } : { stacked: false, at: no++ }));
    this.stacked = stacked.length ? this.addModule('stacked', new StackedVectorOps(stacked.map((e) => e.stacked!), c, rng)) : null;
    this.candidates = own.length ? this.addModule('ops', new ModuleList(own.map((e) => createOp(e.name, config.space, c, this.stride, rng)))) : null;
  }

  /**
   * Σ_{i ∈ active} weights[i] · op_i(x). `weights` is (numOps,); `active` lists the op indices to
   * compute (default all; `none` is skipped since it contributes zeros).
   */
  forward(x: tf.Tensor, ctx: ForwardContext, weights?: tf.Tensor, active?: readonly number[]): tf.Tensor {
    const n = this.ops.length;
    const w = weights ?? tf.fill([n], 1 / n);
    if (w.rank !== 1 || w.shape[0] !== n) throw new Error(`MixedOp: weights has shape [${w.shape}]; expected [${n}] (one per op)`);
    const C = x.shape[x.rank - 1]!;
    const part = C / this.k;
    const xin = this.k === 1 ? x : tf.slice(x, new Array(x.rank).fill(0), [...x.shape.slice(0, -1), part]);
    const idx = active ?? this.ops.map((_, i) => i);
    for (const i of idx) {
      if (i < 0 || i >= n || !Number.isInteger(i)) throw new Error(`MixedOp: active op index ${i} is out of range [0, ${n})`);
    }
    const run = idx.filter((i) => this.ops[i] !== NONE);
    const terms: tf.Tensor[] = [];
    const inStack = run.filter((i) => this.place[i]!.stacked);
    if (inStack.length > 0) {
      // (M, N, C) outputs · (M,) weights, summed over M.
      const lead = xin.shape.slice(0, -1);
      const x2 = xin.rank === 2 ? xin : tf.reshape(xin, [-1, xin.shape[xin.rank - 1]!]); // (..., C) -> (N, C)
      const outs = this.stacked!.forwardOps(x2, inStack.map((i) => this.place[i]!.at), ctx);
      const wr = inStack.length === n && inStack.every((i, k) => i === k) ? w : tf.gather(w, tf.tensor1d(inStack, 'int32'));
      const y = tf.sum(tf.mul(outs, tf.reshape(wr, [inStack.length, 1, 1])), 0); // (M, N, C) -> (N, C)
      terms.push(xin.rank === 2 ? y : tf.reshape(y, [...lead, y.shape[1]!])); // (N, C) -> (..., C)
    }
    for (const i of run) {
      if (!this.place[i]!.stacked) terms.push(tf.mul(this.candidates!.at(this.place[i]!.at).forward(xin, ctx), tf.reshape(tf.slice(w, [i], [1]), [])));
    }
    // No op computed (every active op is none): zeros, tied to the weights by a zero factor, so a
    // step in which every edge sampled none (GDAS) still has a path, with zero gradient, to α.
    const none = () => tf.mul(this.stride === 1 ? tf.zerosLike(xin) : zerosStrided(xin, this.stride), tf.mul(tf.sum(w), 0));
    const out = terms.length === 0 ? none() : terms.length === 1 ? terms[0]! : tf.addN(terms);
    if (this.k === 1) return out;
    // PC-DARTS: the bypassed channels join the op output, then the channels are shuffled.
    let rest = tf.slice(x, [...new Array(x.rank - 1).fill(0), part], [...x.shape.slice(0, -1), C - part]);
    if (this.stride === 2) rest = tf.maxPool(rest as tf.Tensor4D, 2, 2, 'valid');
    return channelShuffle(tf.concat([out, rest], -1), this.k);
  }
}

function zerosStrided(x: tf.Tensor, stride: number): tf.Tensor {
  const [B, H, W, C] = x.shape as [number, number, number, number];
  return tf.zeros([B, Math.ceil(H / stride), Math.ceil(W / stride), C]);
}

/** PC-DARTS' channel shuffle over the last axis with `groups` groups: (…, g·c) -> (…, c·g). */
export function channelShuffle(x: tf.Tensor, groups: number): tf.Tensor {
  const C = x.shape[x.rank - 1]!;
  const lead = x.shape.slice(0, -1);
  const t = tf.reshape(x, [...lead, groups, C / groups]); // (..., C) -> (..., g, C/g)
  const perm = [...lead.map((_, i) => i), lead.length + 1, lead.length];
  return tf.reshape(tf.transpose(t, perm), [...lead, C]); // (..., C/g, g) -> (..., C)
}

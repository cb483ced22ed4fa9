// Multi-head self-attention ("Attention Is All You Need", arXiv:1706.03762) with a causal mask,
// an optional key-padding mask and optional grouped-query attention (GQA, arXiv:2305.13245:
// numKVHeads < numHeads key/value heads, each shared by numHeads/numKVHeads query heads).
// The projections are separate Linears named q, k, v, o so adapters (LoRA on q,v) can target them.
import * as tf from '@tensorflow/tfjs-core';
import { ForwardContext } from '../context.js';
import { Module } from '../module.js';
import { defaultRng, type Rng } from '../random.js';
import { checkPositiveInt, checkRank } from '../check.js';
import { checkDropoutRate, dropout } from './dropout.js';
import { Linear } from './linear.js';
import { checkKnownKeys, configKeys } from '../config.js';
import { maskedSoftmax } from '../ops/masked-softmax.js';
import { mergeHeads, splitHeads } from '../ops/heads.js';
import { qkvHeads } from '../ops/qkv.js';
import { attentionCore, attentionCoreFused } from '../ops/attention-core.js';

/**
 * Input of sequence modules: a (B, T, C) tensor, or the tensor with an attention mask
 * (B, T) holding 1 for real tokens and 0 for padding (Hugging Face's `attention_mask`; note
 * PyTorch's `key_padding_mask` is the opposite). Padded keys get no attention weight.
 */
export type SequenceInput = tf.Tensor | { x: tf.Tensor; attentionMask?: tf.Tensor | null };

/** Split a {@link SequenceInput} into its tensor and its mask (null when absent). */
export function splitSequenceInput(input: SequenceInput): { x: tf.Tensor; attentionMask: tf.Tensor | null } {
  if (input instanceof tf.Tensor) return { x: input, attentionMask: null };
  return { x: input.x, attentionMask: input.attentionMask ?? null };
}

/** Added to masked attention scores: large enough to zero the weight, finite so fully masked rows stay NaN-free. */
export const MASKED_SCORE = -1e9;

/** Config of {@link CausalSelfAttention}. */
export interface CausalSelfAttentionConfig {
  /** Model width C (input and output). */
  dim: number;
  /** Query heads; must divide dim. */
  numHeads: number;
  /** Key/value heads (grouped-query attention); must divide numHeads. Default: numHeads (plain multi-head). */
  numKVHeads?: number;
  /** Mask future positions (position t attends to ≤ t). Default: true; false gives bidirectional attention (encoders). */
  causal?: boolean;
  /** Biases in the q, k, v, o Linears. Default: true (GPT-2; LLaMA uses false). */
  bias?: boolean;
  /** Dropout on the attention weights and on the output in training. Default: 0. */
  dropout?: number;
}

/** Every key of {@link CausalSelfAttentionConfig}, for the unknown-key check. */
const CAUSAL_SELF_ATTENTION_KEYS = configKeys<CausalSelfAttentionConfig>({ dim: true, numHeads: true, numKVHeads: true, causal: true, bias: true, dropout: true });

/** Multi-head (optionally grouped-query) self-attention over (B, T, C). */
export class CausalSelfAttention extends Module<SequenceInput, tf.Tensor> {
  /** Query projection [C → C]. */
  readonly q: Linear;
  /** Key projection [C → numKVHeads·headDim]. */
  readonly k: Linear;
  /** Value projection [C → numKVHeads·headDim]. */
  readonly v: Linear;
  /** Output projection [C → C]. */
  readonly o: Linear;
  /** Query heads. */
  readonly numHeads: number;
  /** Key/value heads. */
  readonly numKVHeads: number;
  /** Width of one head, C / numHeads. */
  readonly headDim: number;
  /** Whether the causal mask is applied. */
  readonly causal: boolean;
  private readonly rate: number;

  constructor(readonly config: CausalSelfAttentionConfig, rng: Rng = defaultRng()) {
    super();
    checkKnownKeys('CausalSelfAttention', config, CAUSAL_SELF_ATTENTION_KEYS);
    const { dim, numHeads } = config;
    checkPositiveInt('CausalSelfAttention', 'dim', dim);
    checkPositiveInt('CausalSelfAttention', 'numHeads', numHeads);
    if (dim % numHeads !== 0) {
      throw new Error(`CausalSelfAttention: numHeads=${numHeads} must divide dim=${dim}`);
    }
    const numKVHeads = config.numKVHeads ?? numHeads;
    checkPositiveInt('CausalSelfAttention', 'numKVHeads', numKVHeads);
    if (numHeads % numKVHeads !== 0) {
      throw new Error(`CausalSelfAttention: numKVHeads=${numKVHeads} must divide numHeads=${numHeads}`);
    }
    this.rate = config.dropout ?? 0;
    checkDropoutRate('CausalSelfAttention', 'dropout', this.rate);
    this.numHeads = numHeads;
    this.numKVHeads = numKVHeads;
    this.headDim = dim / numHeads;
    this.causal = config.causal ?? true;
    const bias = config.bias ?? true;
    const kvDim = numKVHeads * this.headDim;
    this.q = this.addModule('q', new Linear({ inFeatures: dim, outFeatures: dim, bias }, rng));
    this.k = this.addModule('k', new Linear({ inFeatures: dim, outFeatures: kvDim, bias }, rng));
    this.v = this.addModule('v', new Linear({ inFeatures: dim, outFeatures: kvDim, bias }, rng));
    this.o = this.addModule('o', new Linear({ inFeatures: dim, outFeatures: dim, bias }, rng));
  }

  /** (B, T, C) [+ attentionMask (B, T)] -> (B, T, C). */
  forward(input: SequenceInput, ctx: ForwardContext = new ForwardContext({ training: this.training })): tf.Tensor {
    const { x, attentionMask } = splitSequenceInput(input);
    const C = this.config.dim;
    checkRank('CausalSelfAttention', 'x', x, 3, '(batch, time, dim)');
    const [B, T, Cx] = x.shape as [number, number, number];
    if (Cx !== C) throw new Error(`CausalSelfAttention: x has shape [${x.shape}]; its last dimension must equal dim=${C}`);
    if (attentionMask && (attentionMask.rank !== 2 || attentionMask.shape[0] !== B || attentionMask.shape[1] !== T)) {
      throw new Error(`CausalSelfAttention: attentionMask has shape [${attentionMask.shape}]; expected [${B}, ${T}] (batch, time)`);
    }
    const H = this.numHeads;
    const Hkv = this.numKVHeads;
    // (B, T, C) -> q (B, H, T, D), k and v (B, Hkv, T, D): one kernel each way on cpu and wasm
    // (ops/qkv.ts) while q, k, v are plain Linears (an adapter wraps them: then each runs its own forward)
    const plain = [this.q, this.k, this.v].every((l) => l.constructor === Linear);
    const [q, k, v] = plain
      ? qkvHeads(x, this.q, this.k, this.v, H, Hkv)
      : [splitHeads(this.q.forward(x, ctx), H), splitHeads(this.k.forward(x, ctx), Hkv), splitHeads(this.v.forward(x, ctx), Hkv)];
    const y = attend(q, k, v, { causal: this.causal, attentionMask, dropout: this.rate, ctx }); // (B, H, T, D)
    return dropout(this.o.forward(mergeHeads(y), ctx), this.rate, ctx); // (B, H, T, D) -> (B, T, C)
  }
}

/** The additive causal mask (T, T): 0 on and below the diagonal, {@link MASKED_SCORE} above. */
export function causalMask(T: number): tf.Tensor {
  return positionMask(T, T, 0, null);
}

/**
 * The additive mask (Tq, Tk) of queries at positions offset … offset+Tq−1 over keys at 0 … Tk−1:
 * query i sees key j when j ≤ offset + i and, with a sliding window w, offset + i − j < w
 * (transformers' sliding-window mask); {@link MASKED_SCORE} elsewhere.
 */
export function positionMask(Tq: number, Tk: number, offset: number, window: number | null): tf.Tensor2D {
  const m = new Float32Array(Tq * Tk);
  for (let i = 0; i < Tq; i++) {
    const p = offset + i;
    for (let j = 0; j < Tk; j++) if (j > p || (window !== null && p - j >= window)) m[i * Tk + j] = MASKED_SCORE;
  }
  return tf.tensor2d(m, [Tq, Tk]);
}

/** Options of {@link attend}. */
export interface AttendOptions {
  /** Mask keys after each query's position. Default: true. */
  causal?: boolean;
  /** (B, Tk): 1 for real keys, 0 for padding. Default: none. */
  attentionMask?: tf.Tensor | null;
  /** Multiplies q·k. Default: 1/√D. */
  scale?: number;
  /** Each query sees at most this many keys, its own included (causal only). Default: null (all). */
  slidingWindow?: number | null;
  /** Position of the first query among the keys (Tk − Tq when earlier keys come from a KV cache). Default: Tk − Tq. */
  queryOffset?: number;
  /** Dropout on the attention weights in training. Default: 0. */
  dropout?: number;
  /** Forward context (training flag and randomness for dropout). */
  ctx?: ForwardContext;
}

/**
 * Scaled dot-product attention with grouped-query heads: q (B, H, Tq, D), k (B, Hkv, Tk, D),
 * v (B, Hkv, Tk, Dv) -> (B, H, Tq, Dv); query head h reads key/value head ⌊h / (H/Hkv)⌋ (LLaMA's repeat_kv).
 */
export function attend(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, options: AttendOptions = {}): tf.Tensor {
  const [B, H, Tq, D] = q.shape as [number, number, number, number];
  const [, Hkv, Tk] = k.shape as [number, number, number, number];
  const Dv = v.shape[3]!;
  if (H % Hkv !== 0) throw new Error(`attend: ${Hkv} key/value heads must divide ${H} query heads`);
  if (Hkv !== H) {
    const g = H / Hkv;
    // Tiled at rank 3: tfjs has no Tile gradient above rank 4.
    const repeat = (t: tf.Tensor, d: number) =>
      tf.reshape(tf.tile(tf.reshape(t, [B * Hkv, 1, Tk * d]), [1, g, 1]), [B, H, Tk, d]); // (B, Hkv, Tk, d) -> (B·Hkv, 1, Tk·d) -> (B·Hkv, g, Tk·d) -> (B, H, Tk, d)
    k = repeat(k, D);
    v = repeat(v, Dv);
  }
  const window = options.slidingWindow ?? null;
  const position = options.causal ?? true ? positionMask(Tq, Tk, options.queryOffset ?? Tk - Tq, window) : null; // (Tq, Tk)
  const mask = options.attentionMask;
  if (mask && (mask.rank !== 2 || mask.shape[0] !== B || mask.shape[1] !== Tk)) {
    throw new Error(`attend: attentionMask has shape [${mask.shape}]; expected [${B}, ${Tk}] (batch, keys)`);
  }
  const keys = mask ? tf.mul(tf.sub(1, tf.cast(mask, 'float32')), MASKED_SCORE) : null; // (B, Tk): 0 or MASKED_SCORE
  const ctx = options.ctx ?? new ForwardContext({ training: false });
  const scale = options.scale ?? 1 / Math.sqrt(D);
  // Without dropout on the weights, the whole core is one kernel each way on cpu and wasm (ops/attention-core.ts)
  if ((!ctx.training || (options.dropout ?? 0) === 0) && attentionCoreFused(q)) return attentionCore(q, k, v, scale, position, keys); // (B, H, Tq, Dv)
  const scores = tf.matMul(q, k, false, true); // (B, H, Tq, Tk), scaled inside the softmax
  // softmax(scale·scores + position + keys): one kernel each way on cpu and wasm (ops/masked-softmax.ts)
  const weights = dropout(maskedSoftmax(scores, scale, position, keys), options.dropout ?? 0, ctx); // (B, H, Tq, Tk)
  return tf.matMul(weights, v); // (B, H, Tq, Dv)
}

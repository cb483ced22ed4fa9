// Puzzle: Distillation-Based NAS for Inference-Optimized LLMs, arXiv 2411.19146, §3.1: the
// per-subblock alternatives of a parent transformer block — attention kept, replaced by one
// Linear (initialised as W_v·W_o: attention where each token sees only itself), or removed; the FFN
// kept, narrowed to a share of its hidden units (the units of largest channel contribution kept), or
// removed. Departure: no grouped-query variants (toy width), and plain (not gated) FFNs only.
import * as tf from '@tensorflow/tfjs-core';
import { CausalSelfAttention, ForwardContext, LayerNorm, Linear, MLP, Module, RMSNorm, TransformerBlock, activationFn, defaultRng, describeValue, type Rng } from '@weft/core';

/** A subblock kind: the attention or the feed-forward half of a block. */
export type SubblockKind = 'attention' | 'ffn';

/**
 * A variant name: attention `full` | `linear` | `none`; FFN `full` | `none` | `ffn-<share>` (e.g.
 * `ffn-0.5`: half of the parent's hidden units).
 */
export type VariantName = string;

/**
 * One residual branch of a child block: (B, T, D) -> (B, T, D), added to the stream by the caller.
 * `norm` and `body` are null for a removed subblock (the branch is zero).
 */
export class Subblock extends Module<tf.Tensor, tf.Tensor> {
  readonly norm: LayerNorm | RMSNorm | null;
  readonly body: Module<tf.Tensor, tf.Tensor> | CausalSelfAttention | null;

  constructor(readonly kind: SubblockKind, readonly variant: VariantName, norm: LayerNorm | RMSNorm | null, body: Module<tf.Tensor, tf.Tensor> | CausalSelfAttention | null) {
    super();
    this.norm = norm ? this.addModule('norm', norm) : null;
    this.body = body ? this.addModule('body', body as Module<tf.Tensor, tf.Tensor>) : null;
  }

  /** Whether the branch is removed (contributes zero). */
  get removed(): boolean {
    return this.body === null;
  }

  /** (B, T, D) -> (B, T, D): the branch's output (zeros when removed). */
  forward(x: tf.Tensor, ctx: ForwardContext = new ForwardContext({ training: this.training })): tf.Tensor {
    if (!this.body) return tf.zerosLike(x);
    const h = this.norm!.forward(x, ctx);
    return this.body instanceof CausalSelfAttention ? this.body.forward({ x: h, attentionMask: null }, ctx) : this.body.forward(h, ctx);
  }

  /** Multiply-accumulates per token at sequence length T (attention: projections plus scores and weighted sum). */
  macsPerToken(T: number): number {
    if (!this.body) return 0;
    if (this.body instanceof CausalSelfAttention) {
      const a = this.body;
      const D = a.config.dim;
      const kv = a.numKVHeads * a.headDim;
      return D * D * 2 + D * kv * 2 + 2 * T * D;
    }
    let n = 0;
    for (const v of this.body.parameters()) if (v.rank === 2) n += v.shape[0]! * v.shape[1]!;
    return n;
  }
}

/** A trainable copy of a norm (same config and values). */
function copyNorm(norm: LayerNorm | RMSNorm): LayerNorm | RMSNorm {
  const c = norm instanceof LayerNorm ? new LayerNorm(norm.config) : new RMSNorm(norm.config);
  const src = new Map(norm.namedParameters());
  for (const [n, v] of c.namedParameters()) v.assign(src.get(n)!);
  return c;
}

/** The attention of `block` as one Linear, W = W_v·W_o, b = b_v·W_o + b_o (exact for a sequence of one token). */
export function linearFromAttention(attn: CausalSelfAttention, rng: Rng = defaultRng()): Linear {
  const D = attn.config.dim;
  if (attn.numKVHeads !== attn.numHeads) throw new Error(`linearFromAttention: numKVHeads=${attn.numKVHeads} must equal numHeads=${attn.numHeads} (no grouped-query attention)`);
  const lin = new Linear({ inFeatures: D, outFeatures: D, bias: attn.o.bias !== null }, rng);
  tf.tidy(() => {
    lin.weight.assign(tf.matMul(attn.v.weight, attn.o.weight)); // (D, D)·(D, D)
    if (lin.bias) {
      const bv = attn.v.bias ? tf.matMul(tf.reshape(attn.v.bias, [1, D]), attn.o.weight) : tf.zeros([1, D]); // (1, D)·(D, D)
      lin.bias.assign(tf.add(tf.reshape(bv, [D]), attn.o.bias ?? tf.zeros([D])));
    }
  });
  return lin;
}

/**
 * Channel contribution of each hidden unit j of a plain MLP on inputs `x` (N, D), already normed:
 * mean over the rows of |act(x·W1 + b1)_j| · ‖W2[j, :]‖ — how much unit j moves the output. (H).
 */
export function channelContribution(mlp: MLP, x: tf.Tensor2D): tf.Tensor1D {
  if (!mlp.fc1 || !mlp.fc2) throw new Error('channelContribution: the MLP must be plain (fc1/fc2), not gated');
  return tf.tidy(() => {
    const a = tf.abs(activationFn(mlp.config.activation ?? 'gelu')(mlp.fc1!.forward(x))); // (N, H)
    return tf.mul(tf.mean(a, 0), tf.norm(mlp.fc2!.weight, 'euclidean', 1)) as tf.Tensor1D; // (H) · (H)
  });
}

/** A narrowed MLP keeping the `hidden` units of largest contribution (in their original order). */
export function narrowedMlp(mlp: MLP, hidden: number, contribution: Float32Array, rng: Rng = defaultRng()): MLP {
  const H = mlp.hidden;
  if (!Number.isInteger(hidden) || hidden < 1 || hidden > H) throw new Error(`narrowedMlp: hidden=${describeValue(hidden)} must be an integer in [1, ${H}]`);
  const keep = [...contribution.keys()].sort((a, b) => contribution[b]! - contribution[a]! || a - b).slice(0, hidden).sort((a, b) => a - b);
  const D = mlp.config.dim;
  const m = new MLP({ dim: D, hidden, activation: mlp.config.activation, bias: mlp.fc1!.bias !== null }, rng);
  tf.tidy(() => {
    const idx = tf.tensor1d(keep, 'int32');
    m.fc1!.weight.assign(tf.gather(mlp.fc1!.weight, idx, 1)); // (D, H) -> (D, hidden)
    if (m.fc1!.bias) m.fc1!.bias.assign(tf.gather(mlp.fc1!.bias!, idx));
    m.fc2!.weight.assign(tf.gather(mlp.fc2!.weight, idx, 0)); // (H, D) -> (hidden, D)
    if (m.fc2!.bias) m.fc2!.bias.assign(mlp.fc2!.bias!);
  });
  return m;
}

/** The parent's own subblock (its modules shared, not copied). */
export function parentSubblock(block: TransformerBlock, kind: SubblockKind): Subblock {
  return kind === 'attention' ? new Subblock('attention', 'full', block.norm1, block.attn) : new Subblock('ffn', 'full', block.norm2, block.ffn);
}

/** Parse `ffn-<share>` into its share, or null. */
export function ffnShare(variant: VariantName): number | null {
  const m = /^ffn-(0?\.\d+|1(\.0+)?)$/.exec(variant);
  return m ? Number(m[1]) : null;
}

/**
 * Build a variant of `block`'s `kind` subblock, initialised from the parent. `contribution` (the
 * FFN's channel contributions) is needed for `ffn-<share>`.
 */
export function makeVariant(block: TransformerBlock, kind: SubblockKind, variant: VariantName, contribution: Float32Array | null, rng: Rng = defaultRng()): Subblock {
  if (variant === 'full') return parentSubblock(block, kind);
  if (variant === 'none') return new Subblock(kind, 'none', null, null);
  if (kind === 'attention') {
    if (variant === 'linear') return new Subblock(kind, variant, copyNorm(block.norm1), linearFromAttention(block.attn, rng));
    throw new Error(`makeVariant: attention variant=${describeValue(variant)} must be one of full, linear, none`);
  }
  const share = ffnShare(variant);
  if (share === null || !(block.ffn instanceof MLP) || !contribution) {
    throw new Error(`makeVariant: ffn variant=${describeValue(variant)} must be full, none or ffn-<share in (0, 1]> of a plain MLP (with its channel contributions)`);
  }
  const hidden = Math.max(1, Math.round(share * block.ffn.hidden));
  return new Subblock(kind, variant, copyNorm(block.norm2), narrowedMlp(block.ffn, hidden, contribution, rng));
}

// TokenFormer (arXiv:2410.23168): a pre-norm Transformer block whose every projection is a
// Pattention layer — query, key, value and output of the token–token attention, and the whole
// feed-forward part as one Pattention (the paper's FFN) — and `growTokenFormer`, which appends
// zero-key parameter tokens to every Pattention of a model (its function unchanged).
// Departures: the norms are core's LayerNorm with learned scale/bias (the paper uses non-parametric
// LayerNorm); positions come from the surrounding model (TinyTransformer's learned table).
import * as tf from '@tensorflow/tfjs-core';
import { ForwardContext, LayerNorm, Module, attend, defaultRng, resolveConfig, splitSequenceInput, type Rng, type SequenceInput } from '@weft/core';
import { checkBool, checkInt, checkPositiveInt } from '@weft/core/internal';
import { Pattention } from './pattention.js';

/** Config of {@link TokenFormerBlock}. */
export interface TokenFormerBlockConfig {
  /** Model width. Default: 0 (must be given). */
  dim: number;
  /** Attention heads; must divide dim. Default: 4. */
  numHeads: number;
  /** Parameter tokens of each of the q, k, v, o Pattentions. Default: dim. */
  attnTokens: number | null;
  /** Parameter tokens of the feed-forward Pattention. Default: 4·dim. */
  ffnTokens: number | null;
  /** Causal attention. Default: true. */
  causal: boolean;
}

/** The documented defaults of {@link TokenFormerBlockConfig}. */
export const TOKENFORMER_BLOCK_DEFAULTS: TokenFormerBlockConfig = { dim: 0, numHeads: 4, attnTokens: null, ffnTokens: null, causal: true };

/** (B, T, dim) [+ mask] -> (B, T, dim): x + o(attn(q(n), k(n), v(n))), then h + ffn(norm(h)), every projection a Pattention. */
export class TokenFormerBlock extends Module<SequenceInput, tf.Tensor> {
  readonly norm1: LayerNorm;
  readonly q: Pattention;
  readonly k: Pattention;
  readonly v: Pattention;
  readonly o: Pattention;
  readonly norm2: LayerNorm;
  readonly ffn: Pattention;
  /** The resolved config. */
  readonly cfg: TokenFormerBlockConfig;

  constructor(config: Partial<TokenFormerBlockConfig> & Pick<TokenFormerBlockConfig, 'dim'>, rng: Rng = defaultRng()) {
    super();
    const W = 'TokenFormerBlock';
    const c = (this.cfg = resolveConfig(W, TOKENFORMER_BLOCK_DEFAULTS, config));
    const d = checkPositiveInt(W, 'dim', c.dim);
    checkPositiveInt(W, 'numHeads', c.numHeads);
    if (d % c.numHeads !== 0) throw new Error(`${W}: numHeads=${c.numHeads} must divide dim=${d}`);
    checkBool(W, 'causal', c.causal);
    const attnTokens = c.attnTokens === null ? d : checkPositiveInt(W, 'attnTokens', c.attnTokens);
    const ffnTokens = c.ffnTokens === null ? 4 * d : checkPositiveInt(W, 'ffnTokens', c.ffnTokens);
    const p = (tokens: number) => new Pattention({ inFeatures: d, outFeatures: d, tokens }, rng);
    this.norm1 = this.addModule('norm1', new LayerNorm({ dim: d }));
    this.q = this.addModule('q', p(attnTokens));
    this.k = this.addModule('k', p(attnTokens));
    this.v = this.addModule('v', p(attnTokens));
    this.o = this.addModule('o', p(attnTokens));
    this.norm2 = this.addModule('norm2', new LayerNorm({ dim: d }));
    this.ffn = this.addModule('ffn', p(ffnTokens));
  }

  forward(input: SequenceInput, ctx: ForwardContext = new ForwardContext({ training: this.training })): tf.Tensor {
    const { x, attentionMask } = splitSequenceInput(input);
    const [B, T, C] = x.shape as [number, number, number];
    if (C !== this.cfg.dim) throw new Error(`TokenFormerBlock: x has shape [${x.shape}]; expected [batch, time, ${this.cfg.dim}]`);
    const H = this.cfg.numHeads;
    const heads = (t: tf.Tensor) => tf.transpose(tf.reshape(t, [B, T, H, C / H]), [0, 2, 1, 3]); // (B, T, C) -> (B, H, T, C/H)
    const n = this.norm1.forward(x, ctx);
    const y = attend(heads(this.q.forward(n, ctx)), heads(this.k.forward(n, ctx)), heads(this.v.forward(n, ctx)), { causal: this.cfg.causal, attentionMask, ctx });
    const merged = tf.reshape(tf.transpose(y, [0, 2, 1, 3]), [B, T, C]); // (B, H, T, C/H) -> (B, T, H, C/H) -> (B, T, C)
    const h = tf.add(x, this.o.forward(merged, ctx));
    return tf.add(h, this.ffn.forward(this.norm2.forward(h, ctx), ctx));
  }
}

/**
 * Grow every Pattention in `model` by `extra` parameter tokens (or `extra(layer)` tokens for each):
 * new keys are zero, so the model computes the same function. Returns the number of parameters
 * added. The grown layers hold new variables: build the optimizer anew (or hand it the new list).
 */
export function growTokenFormer(model: Module<any, any>, extra: number | ((layer: Pattention) => number)): number {
  const layers = model.modules().filter((m): m is Pattention => m instanceof Pattention);
  if (layers.length === 0) throw new Error('growTokenFormer: the model holds no Pattention layer');
  let added = 0;
  for (const l of layers) {
    const e = checkInt('growTokenFormer', 'extra', typeof extra === 'function' ? extra(l) : extra, 1);
    l.grow(e);
    added += e * (l.cfg.inFeatures + l.cfg.outFeatures);
  }
  return added;
}

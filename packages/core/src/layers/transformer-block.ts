// Pre-norm transformer block (GPT-2 / LLaMA layout): x + attn(norm1(x)), then h + ffn(norm2(h)).
// The feed-forward part is pluggable: pass `ffn` (a module or a factory) to replace the MLP, e.g.
// with a mixture-of-experts layer; it must map (B, T, dim) to (B, T, dim).
import * as tf from '@tensorflow/tfjs-core';
import { ForwardContext } from '../context.js';
import { Module } from '../module.js';
import { defaultRng, type Rng } from '../random.js';
import type { ActivationName } from './activations.js';
import { CausalSelfAttention, splitSequenceInput, type SequenceInput } from './attention.js';
import { checkOneOf, checkPositiveInt } from '../check.js';
import { LayerNorm } from './layer-norm.js';
import { MLP } from './mlp.js';
import { RMSNorm } from './rms-norm.js';
import { checkKnownKeys, configKeys, describeValue } from '../config.js';

/** Normalisation layers a block can use. */
export const NORMS = ['layernorm', 'rmsnorm'] as const;
/** A normalisation name: 'layernorm' (eps 1e-5, affine with bias) or 'rmsnorm' (eps 1e-6, LLaMA). */
export type NormName = (typeof NORMS)[number];

/** Builds the feed-forward module of a block of width `dim` (called once per block). */
export type FfnFactory = (dim: number, rng: Rng) => Module<tf.Tensor, tf.Tensor>;

/** Config of {@link TransformerBlock}. */
export interface TransformerBlockConfig {
  /** Model width. */
  dim: number;
  /** Attention heads; must divide dim. */
  numHeads: number;
  /** Key/value heads (grouped-query attention). Default: numHeads. */
  numKVHeads?: number;
  /** Causal attention. Default: true. */
  causal?: boolean;
  /** Normalisation. Default: 'layernorm'. */
  norm?: NormName;
  /** Epsilon of the norms. Default: 1e-5 (layernorm), 1e-6 (rmsnorm). */
  normEps?: number;
  /** Biases in the attention and MLP Linears. Default: true (plain MLP); false when `gated` (LLaMA). */
  bias?: boolean;
  /** Hidden width of the default MLP. Default: MLP's default (4·dim plain, ⌈8·dim/3⌉ gated). */
  mlpHidden?: number;
  /** Default MLP is gated (SwiGLU). Default: false (Linear–GELU–Linear). */
  gated?: boolean;
  /** Activation of the default MLP. Default: 'gelu' (plain), 'silu' (gated). */
  activation?: ActivationName;
  /** Dropout (attention weights, attention output, MLP output) in training. Default: 0. */
  dropout?: number;
  /**
   * Replaces the default MLP: a module mapping (B, T, dim) -> (B, T, dim), or a factory called
   * with (dim, rng). The one field that is not plain JSON. Default: an {@link MLP} from the fields above.
   */
  ffn?: Module<tf.Tensor, tf.Tensor> | FfnFactory;
}

/** Every key of {@link TransformerBlockConfig}, for the unknown-key check. */
const TRANSFORMER_BLOCK_KEYS = configKeys<TransformerBlockConfig>({ dim: true, numHeads: true, numKVHeads: true, causal: true, norm: true, normEps: true, bias: true, mlpHidden: true, gated: true, activation: true, dropout: true, ffn: true });

/** Build the norm named `norm` for width `dim`. */
export function makeNorm(norm: NormName, dim: number, eps?: number): LayerNorm | RMSNorm {
  checkOneOf('TransformerBlock', 'norm', norm, NORMS);
  return norm === 'rmsnorm' ? new RMSNorm({ dim, eps }) : new LayerNorm({ dim, eps });
}

/** A pre-norm transformer block: self-attention then feed-forward, each residual. */
export class TransformerBlock extends Module<SequenceInput, tf.Tensor> {
  /** Norm before attention. */
  readonly norm1: LayerNorm | RMSNorm;
  /** Self-attention (children q, k, v, o). */
  readonly attn: CausalSelfAttention;
  /** Norm before the feed-forward part. */
  readonly norm2: LayerNorm | RMSNorm;
  /** The feed-forward part (an MLP unless replaced). */
  readonly ffn: Module<tf.Tensor, tf.Tensor>;

  constructor(readonly config: TransformerBlockConfig, rng: Rng = defaultRng()) {
    super();
    checkKnownKeys('TransformerBlock', config, TRANSFORMER_BLOCK_KEYS);
    const { dim } = config;
    checkPositiveInt('TransformerBlock', 'dim', dim);
    const norm = config.norm ?? 'layernorm';
    const gated = config.gated ?? false;
    const bias = config.bias ?? !gated;
    this.norm1 = this.addModule('norm1', makeNorm(norm, dim, config.normEps));
    this.attn = this.addModule(
      'attn',
      new CausalSelfAttention(
        { dim, numHeads: config.numHeads, numKVHeads: config.numKVHeads, causal: config.causal, bias, dropout: config.dropout },
        rng,
      ),
    );
    this.norm2 = this.addModule('norm2', makeNorm(norm, dim, config.normEps));
    let ffn: Module<tf.Tensor, tf.Tensor>;
    if (config.ffn === undefined) {
      ffn = new MLP(
        { dim, hidden: config.mlpHidden, gated, activation: config.activation, bias, dropout: config.dropout },
        rng,
      );
    } else if (config.ffn instanceof Module) {
      ffn = config.ffn;
    } else if (typeof config.ffn === 'function') {
      ffn = config.ffn(dim, rng);
      if (!(ffn instanceof Module)) throw new Error('TransformerBlock: the ffn factory must return a Module');
    } else {
      throw new Error(`TransformerBlock: ffn=${describeValue(config.ffn)} must be a Module or a factory (dim, rng) => Module`);
    }
    this.ffn = this.addModule('ffn', ffn);
  }

  /** (B, T, dim) [+ attentionMask (B, T)] -> (B, T, dim). */
  forward(input: SequenceInput, ctx: ForwardContext = new ForwardContext({ training: this.training })): tf.Tensor {
    const { x, attentionMask } = splitSequenceInput(input);
    const h = tf.add(x, this.attn.forward({ x: this.norm1.forward(x, ctx), attentionMask }, ctx));
    return tf.add(h, this.ffn.forward(this.norm2.forward(h, ctx), ctx));
  }
}

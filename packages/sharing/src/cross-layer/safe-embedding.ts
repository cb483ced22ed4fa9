// Subformer: Exploring Weight Sharing for Parameter Efficiency in Generative Transformers
// (arXiv:2101.00234), SAFE — self-attentive embedding factorisation: a V × E table, one small
// self-attention layer in the E-wide space, then an E × H projection, so the embedding costs
// V·E + 4·(E² + E) + E·H instead of V·H. Departs from the paper: the attention sits in a pre-norm
// residual branch (e + attn(norm(e))), as core's blocks do; ALBERT's linear form is FactorizedEmbedding.
import * as tf from '@tensorflow/tfjs-core';
import { CausalSelfAttention, Embedding, LayerNorm, Linear, Module, defaultRng, resolveConfig, type ForwardContext, type Rng } from '@weft/core';
import { checkBool, checkPositive, checkPositiveInt } from '@weft/core/internal';

/** Config of {@link SafeEmbedding}. */
export interface SafeEmbeddingConfig {
  /** Vocabulary size V. Default: 0 (must be given). */
  vocabSize: number;
  /** Embedding width E, the width of the small attention. Default: 0 (must be given). */
  embeddingDim: number;
  /** Hidden width H of the model. Default: 0 (must be given). */
  hidden: number;
  /** Heads of the small attention; must divide E. Default: 1. */
  numHeads: number;
  /** Causal attention (a generative model's decoder input). Default: true. */
  causal: boolean;
  /** Bias in the attention and the E × H projection. Default: true. */
  bias: boolean;
  /** Std of the V × E table. Default: 0.02. */
  initStd: number;
}

/** The documented defaults of {@link SafeEmbeddingConfig} (the sizes must be given). */
export const SAFE_EMBEDDING_DEFAULTS: SafeEmbeddingConfig = { vocabSize: 0, embeddingDim: 0, hidden: 0, numHeads: 1, causal: true, bias: true, initStd: 0.02 };

/** ids (B, T) -> (B, T, hidden): table lookup (E), + self-attention over the sequence in E dims, then E -> H. */
export class SafeEmbedding extends Module<tf.Tensor, tf.Tensor> {
  /** The V × E table. */
  readonly table: Embedding;
  /** Norm before the attention. */
  readonly norm: LayerNorm;
  /** The small self-attention over E. */
  readonly attn: CausalSelfAttention;
  /** The E × H projection. */
  readonly project: Linear;
  /** The resolved config. */
  readonly cfg: SafeEmbeddingConfig;

  constructor(config: Partial<SafeEmbeddingConfig> & Pick<SafeEmbeddingConfig, 'vocabSize' | 'embeddingDim' | 'hidden'>, rng: Rng = defaultRng()) {
    super();
    const W = 'SafeEmbedding';
    const c = (this.cfg = resolveConfig(W, SAFE_EMBEDDING_DEFAULTS, config));
    for (const k of ['vocabSize', 'embeddingDim', 'hidden', 'numHeads'] as const) checkPositiveInt(W, k, c[k]);
    if (c.embeddingDim % c.numHeads !== 0) throw new Error(`${W}: numHeads=${c.numHeads} must divide embeddingDim=${c.embeddingDim}`);
    checkBool(W, 'causal', c.causal);
    checkBool(W, 'bias', c.bias);
    checkPositive(W, 'initStd', c.initStd);
    this.table = this.addModule('table', new Embedding({ numEmbeddings: c.vocabSize, embeddingDim: c.embeddingDim, initStd: c.initStd }, rng));
    this.norm = this.addModule('norm', new LayerNorm({ dim: c.embeddingDim }));
    this.attn = this.addModule('attn', new CausalSelfAttention({ dim: c.embeddingDim, numHeads: c.numHeads, causal: c.causal, bias: c.bias }, rng));
    this.project = this.addModule('project', new Linear({ inFeatures: c.embeddingDim, outFeatures: c.hidden, bias: c.bias }, rng));
  }

  forward(ids: tf.Tensor, ctx?: ForwardContext): tf.Tensor {
    if (ids.rank !== 2) throw new Error(`SafeEmbedding: ids has shape [${ids.shape}]; expected (batch, time) token ids`);
    const e = this.table.forward(ids, ctx); // (B, T) -> (B, T, E)
    const h = tf.add(e, this.attn.forward({ x: this.norm.forward(e, ctx) }, ctx)); // (B, T, E)
    return this.project.forward(h, ctx); // (B, T, E) -> (B, T, H)
  }
}

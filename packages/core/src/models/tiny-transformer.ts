// TinyTransformer: token + learned position embeddings, N pre-norm blocks (a ModuleList named
// `blocks`, so a sharing plan can put one block object in several slots), a final norm and a head:
// 'lm' (per-position vocabulary logits, optionally tied to the token embedding, as GPT-2) or
// 'classifier' (mean-pool over real tokens, or the first (CLS) position, then a Linear).
import * as tf from '@tensorflow/tfjs-core';
import { ForwardContext } from '../context.js';
import { Module, ModuleList } from '../module.js';
import { defaultRng, type Rng } from '../random.js';
import type { ActivationName } from '../layers/activations.js';
import type { SequenceInput } from '../layers/attention.js';
import { checkOneOf, checkPositive, checkPositiveInt, checkRank } from '../check.js';
import { checkDropoutRate, dropout } from '../layers/dropout.js';
import { Embedding } from '../layers/embedding.js';
import { LayerNorm } from '../layers/layer-norm.js';
import { Linear } from '../layers/linear.js';
import { RMSNorm } from '../layers/rms-norm.js';
import { makeNorm, TransformerBlock, type FfnFactory, type NormName } from '../layers/transformer-block.js';
import { checkKnownKeys, configKeys } from '../config.js';

/** Config of {@link TinyTransformer}. */
export interface TinyTransformerConfig {
  /** Vocabulary size (token ids lie in [0, vocabSize)). */
  vocabSize: number;
  /** Longest sequence (size of the position table). */
  maxLen: number;
  /** Model width. Default: 32. */
  dim?: number;
  /** Number of blocks. Default: 2. */
  depth?: number;
  /** Attention heads. Default: 4. */
  numHeads?: number;
  /** Key/value heads (grouped-query attention). Default: numHeads. */
  numKVHeads?: number;
  /** 'lm' (logits per position) or 'classifier' (logits per sequence). Default: 'lm'. */
  head?: 'lm' | 'classifier';
  /** Classes of the 'classifier' head (required for it). */
  numClasses?: number;
  /** Pooling of the 'classifier' head: 'mean' over real tokens, or 'cls' (position 0). Default: 'mean'. */
  pool?: 'mean' | 'cls';
  /** 'lm' head: reuse the token embedding as the output matrix (no head parameters). Default: false. */
  tieEmbeddings?: boolean;
  /** Causal attention. Default: true for 'lm', false for 'classifier'. */
  causal?: boolean;
  /** Normalisation in the blocks and at the end. Default: 'layernorm'. */
  norm?: NormName;
  /** Epsilon of the norms. Default: the norm's own (1e-5 layernorm, 1e-6 rmsnorm). */
  normEps?: number;
  /** Gated (SwiGLU) MLPs. Default: false (Linear–GELU–Linear). */
  gated?: boolean;
  /** Hidden width of the MLPs. Default: the MLP's (4·dim plain, ⌈8·dim/3⌉ gated). */
  mlpHidden?: number;
  /** MLP activation. Default: 'gelu' (plain), 'silu' (gated). */
  activation?: ActivationName;
  /** Biases in the blocks' Linears. Default: true (plain), false (gated). */
  bias?: boolean;
  /** Dropout (embeddings, attention, MLP) in training. Default: 0. */
  dropout?: number;
  /** Standard deviation of the token and position embeddings. Default: 0.02 (GPT-2). */
  embedInitStd?: number;
  /** Builds each block's feed-forward part instead of the MLP (e.g. an MoE layer). Not plain JSON. */
  ffn?: FfnFactory;
}

/** Every key of {@link TinyTransformerConfig}, for the unknown-key check. */
const TINY_TRANSFORMER_KEYS = configKeys<TinyTransformerConfig>({ vocabSize: true, maxLen: true, dim: true, depth: true, numHeads: true, numKVHeads: true, head: true, numClasses: true, pool: true, tieEmbeddings: true, causal: true, norm: true, normEps: true, gated: true, mlpHidden: true, activation: true, bias: true, dropout: true, embedInitStd: true, ffn: true });

/** Parts a caller can supply instead of the ones built from the config (sharing plans use this). */
export interface TinyTransformerParts<E extends Module<tf.Tensor, tf.Tensor> = Embedding> {
  /** The blocks, in order (the same object may appear in several slots: that is sharing). Their count is the depth. */
  blocks?: Iterable<Module<SequenceInput, tf.Tensor>>;
  /** The token embedding, ids (B, T) -> (B, T, dim), instead of a [vocabSize, dim] table (e.g. ALBERT's or Subformer's factorised one). Not with tieEmbeddings. */
  tokens?: E;
}

/** Input of {@link TinyTransformer}: token ids (B, T) int32, or ids with an attention mask (B, T), 1 = real token. */
export type TokenInput = tf.Tensor | { ids: tf.Tensor; attentionMask?: tf.Tensor | null };

/** A small transformer language model or sequence classifier. */
export class TinyTransformer<E extends Module<tf.Tensor, tf.Tensor> = Embedding> extends Module<TokenInput, tf.Tensor> {
  /** Token embedding: a [vocabSize, dim] table, or the one given in `parts.tokens`. */
  readonly tokens: E;
  /** Learned position embedding [maxLen, dim]. */
  readonly positions: Embedding;
  /** The blocks, children "blocks.0", "blocks.1", …. */
  readonly blocks: ModuleList<Module<SequenceInput, tf.Tensor>>;
  /** Final norm. */
  readonly norm: LayerNorm | RMSNorm;
  /** Output Linear (null for an 'lm' head with tied embeddings). */
  readonly head: Linear | null;
  /** Model width in use. */
  readonly dim: number;
  private readonly rate: number;

  constructor(readonly config: TinyTransformerConfig, rng: Rng = defaultRng(), parts: TinyTransformerParts<E> = {}) {
    super();
    checkKnownKeys('TinyTransformer', config, TINY_TRANSFORMER_KEYS);
    const L = 'TinyTransformer';
    checkPositiveInt(L, 'vocabSize', config.vocabSize);
    checkPositiveInt(L, 'maxLen', config.maxLen);
    const dim = config.dim ?? 32;
    this.dim = dim;
    checkPositiveInt(L, 'dim', dim);
    const depth = config.depth ?? 2;
    checkPositiveInt(L, 'depth', depth);
    const head = config.head ?? 'lm';
    checkOneOf(L, 'head', head, ['lm', 'classifier'] as const);
    checkOneOf(L, 'pool', config.pool ?? 'mean', ['mean', 'cls'] as const);
    if (head === 'classifier') checkPositiveInt(L, 'numClasses', config.numClasses);
    if (head === 'classifier' && config.tieEmbeddings) {
      throw new Error(`${L}: tieEmbeddings=true needs head='lm' (got head='classifier')`);
    }
    const std = config.embedInitStd ?? 0.02;
    checkPositive(L, 'embedInitStd', std);
    this.rate = config.dropout ?? 0;
    checkDropoutRate(L, 'dropout', this.rate);

    if (parts.tokens !== undefined && !(parts.tokens instanceof Module)) throw new Error(`${L}: parts.tokens must be a Module mapping ids (B, T) to (B, T, dim)`);
    if (parts.tokens && config.tieEmbeddings) throw new Error(`${L}: tieEmbeddings=true needs the model's own token table; parts.tokens was given`);
    this.tokens = this.addModule('tokens', parts.tokens ?? (new Embedding({ numEmbeddings: config.vocabSize, embeddingDim: dim, initStd: std }, rng) as Module as E));
    this.positions = this.addModule('positions', new Embedding({ numEmbeddings: config.maxLen, embeddingDim: dim, initStd: std }, rng));
    let blocks: Module<SequenceInput, tf.Tensor>[];
    if (parts.blocks) {
      blocks = [...parts.blocks];
      if (blocks.length === 0) throw new Error(`${L}: parts.blocks is empty; give at least one block`);
    } else {
      blocks = [];
      for (let i = 0; i < depth; i++) {
        blocks.push(
          new TransformerBlock(
            {
              dim,
              numHeads: config.numHeads ?? 4,
              numKVHeads: config.numKVHeads,
              causal: config.causal ?? head === 'lm',
              norm: config.norm,
              normEps: config.normEps,
              gated: config.gated,
              mlpHidden: config.mlpHidden,
              activation: config.activation,
              bias: config.bias,
              dropout: config.dropout,
              ffn: config.ffn,
            },
            rng,
          ),
        );
      }
    }
    this.blocks = this.addModule('blocks', new ModuleList(blocks));
    this.norm = this.addModule('norm', makeNorm(config.norm ?? 'layernorm', dim, config.normEps));
    if (head === 'lm') {
      this.head = config.tieEmbeddings ? null : this.addModule('head', new Linear({ inFeatures: dim, outFeatures: config.vocabSize, bias: false }, rng));
    } else {
      this.head = this.addModule('head', new Linear({ inFeatures: dim, outFeatures: config.numClasses!, bias: true }, rng));
    }
  }

  /** 'lm': (B, T) ids -> (B, T, vocabSize) logits; 'classifier': (B, T) ids -> (B, numClasses) logits. */
  forward(input: TokenInput, ctx: ForwardContext = new ForwardContext({ training: this.training })): tf.Tensor {
    const { ids, attentionMask } = input instanceof tf.Tensor ? { ids: input, attentionMask: null } : { ids: input.ids, attentionMask: input.attentionMask ?? null };
    checkRank('TinyTransformer', 'ids', ids, 2, '(batch, time) int32 token ids');
    const [B, T] = ids.shape as [number, number];
    if (T > this.config.maxLen) {
      throw new Error(`TinyTransformer: sequence length ${T} (ids shape [${ids.shape}]) must be ≤ maxLen=${this.config.maxLen}`);
    }
    if (attentionMask && (attentionMask.rank !== 2 || attentionMask.shape[0] !== B || attentionMask.shape[1] !== T)) {
      throw new Error(`TinyTransformer: attentionMask has shape [${attentionMask.shape}]; expected [${B}, ${T}] like ids`);
    }
    const D = this.dim;
    const pos = tf.slice(this.positions.weight, [0, 0], [T, D]); // (maxLen, D) -> (T, D); a slice, so its gradient needs no scatter
    let h = dropout(tf.add(this.tokens.forward(ids, ctx), pos), this.rate, ctx); // (B, T, D)
    for (const block of this.blocks.items) h = block.forward({ x: h, attentionMask }, ctx);
    h = this.norm.forward(h, ctx);
    if ((this.config.head ?? 'lm') === 'lm') {
      if (this.head) return this.head.forward(h, ctx); // (B, T, vocab)
      const logits = tf.matMul(tf.reshape(h, [B * T, D]), (this.tokens as Module as Embedding).weight, false, true); // (B·T, D) · (V, D)ᵀ -> (B·T, V)
      return tf.reshape(logits, [B, T, this.config.vocabSize]); // (B·T, V) -> (B, T, V)
    }
    let pooled: tf.Tensor;
    if ((this.config.pool ?? 'mean') === 'cls') {
      pooled = tf.reshape(tf.slice(h, [0, 0, 0], [B, 1, D]), [B, D]); // (B, T, D) -> (B, 1, D) -> (B, D)
    } else if (attentionMask) {
      const m = tf.reshape(tf.cast(attentionMask, 'float32'), [B, T, 1]); // (B, T) -> (B, T, 1)
      const count = tf.maximum(tf.sum(m, 1), 1); // (B, 1); an all-padding row pools to zeros
      pooled = tf.div(tf.sum(tf.mul(h, m), 1), count); // (B, D)
    } else {
      pooled = tf.mean(h, 1); // (B, T, D) -> (B, D)
    }
    return this.head!.forward(pooled, ctx);
  }
}

// A TinyTransformer whose L block slots follow a sharing plan (ALBERT arXiv:1909.11942 all-shared
// and groups, Subformer arXiv:2101.00234 sandwich, MobileLLM arXiv:2402.14905 block-wise repeat,
// Takase & Kiyono arXiv:2104.06022 cycle): K TransformerBlocks built once and placed in the slots
// through the core model's `{blocks}` option. Embeddings, final norm and head stay unshared.
// Sub-module plans — MobiLlama (arXiv:2402.16840): `ffnPlan` places K feed-forward MLPs into the
// L blocks' FFN slots while each block keeps its own attention and norms ('all-shared' = one FFN
// for every block, as MobiLlama). A sub-module plan needs the block plan 'none'. `embedding` factorises
// the token embedding: ALBERT's linear V·E + E·H (FactorizedEmbedding) or Subformer's SAFE (SafeEmbedding).
import type * as tf from '@tensorflow/tfjs-core';
import { Module, MLP, TinyTransformer, TransformerBlock, checkKnownKeys, configKeys, defaultRng, type Rng, type TinyTransformerConfig, describeValue } from '@weft/core';
import { buildShared } from './apply.js';
import { planSlots, type SharingPlan } from './plans.js';
import { FactorizedEmbedding } from './factorized-embedding.js';
import { SafeEmbedding } from './safe-embedding.js';

/** A factorised token embedding: ALBERT's linear one or Subformer's self-attentive one (SAFE). */
export interface EmbeddingFactorization {
  /** 'albert' (table V × E, then Linear E → H) or 'safe' (table, a small self-attention in E, then E → H). */
  method: 'albert' | 'safe';
  /** The embedding width E. */
  embeddingDim: number;
  /** Heads of SAFE's attention (must divide E). Default: 1. */
  numHeads?: number;
}

/** Config of {@link sharedTransformer}: the TinyTransformer config (depth = number of slots) and a plan. */
export interface SharedTransformerConfig extends TinyTransformerConfig {
  /** The sharing plan over whole blocks. Default: 'all-shared', or 'none' when `ffnPlan` is given. */
  plan?: SharingPlan;
  /**
   * A plan over the blocks' feed-forward MLPs only (MobiLlama: 'all-shared'); attention and norms
   * stay per block. Needs `plan` 'none' (or left out). Default: none (each block its own FFN).
   */
  ffnPlan?: SharingPlan;
  /** Factorise the token embedding (not with tieEmbeddings). Default: none (a V × dim table). */
  embedding?: EmbeddingFactorization;
}

const KEYS = configKeys<SharedTransformerConfig>({
  vocabSize: true, maxLen: true, dim: true, depth: true, numHeads: true, numKVHeads: true, head: true, numClasses: true, pool: true, tieEmbeddings: true,
  causal: true, norm: true, normEps: true, gated: true, mlpHidden: true, activation: true, bias: true, dropout: true, embedInitStd: true, ffn: true, plan: true,
  ffnPlan: true, embedding: true,
});
const EMB_KEYS = configKeys<EmbeddingFactorization>({ method: true, embeddingDim: true, numHeads: true });

/** Build a TinyTransformer with `depth` slots filled by the plan's unique blocks (or, with `ffnPlan`, per-block attention around plan-shared FFNs). */
export function sharedTransformer(config: SharedTransformerConfig & { embedding?: undefined }, rng?: Rng): TinyTransformer;
/** With a factorised `embedding`, the model's `tokens` is a FactorizedEmbedding or a SafeEmbedding. */
export function sharedTransformer(config: SharedTransformerConfig, rng?: Rng): TinyTransformer<Module<tf.Tensor, tf.Tensor>>;
export function sharedTransformer(config: SharedTransformerConfig, rng: Rng = defaultRng()): TinyTransformer<Module<tf.Tensor, tf.Tensor>> {
  checkKnownKeys('sharedTransformer', config, KEYS);
  const { plan = config.ffnPlan === undefined ? 'all-shared' : 'none', ffnPlan, embedding, ...model } = config;
  const depth = model.depth ?? 2;
  if (!Number.isInteger(depth) || depth < 1) throw new Error(`sharedTransformer: depth=${describeValue(depth)} must be an integer ≥ 1`);
  const head = model.head ?? 'lm';
  const dim = model.dim ?? 32;
  let ffns: MLP[] | null = null;
  if (ffnPlan !== undefined) {
    if (new Set(planSlots(plan, depth)).size !== depth) {
      throw new Error(`sharedTransformer: plan=${describeValue(plan)} with ffnPlan=${describeValue(ffnPlan)}; a sub-module plan needs the block plan 'none' (each block its own attention)`);
    }
    if (model.ffn !== undefined) throw new Error('sharedTransformer: give ffn or ffnPlan, not both (ffnPlan shares the blocks\' MLPs)');
    const gated = model.gated ?? false;
    const mlp = { dim, hidden: model.mlpHidden, gated, activation: model.activation, bias: model.bias ?? !gated, dropout: model.dropout };
    ffns = buildShared(ffnPlan, depth, () => new MLP(mlp, rng));
  }
  const blocks = buildShared(plan, depth, (_b, slot) =>
    new TransformerBlock(
      {
        dim,
        numHeads: model.numHeads ?? 4,
        numKVHeads: model.numKVHeads,
        causal: model.causal ?? head === 'lm',
        norm: model.norm,
        normEps: model.normEps,
        gated: model.gated,
        mlpHidden: model.mlpHidden,
        activation: model.activation,
        bias: model.bias,
        dropout: model.dropout,
        ffn: ffns ? ffns[slot] : model.ffn,
      },
      rng,
    ),
  );
  return new TinyTransformer<Module<tf.Tensor, tf.Tensor>>(model, rng, { blocks, ...(embedding === undefined ? {} : { tokens: factorizedTokens(embedding, model.vocabSize, dim, rng) }) });
}

function factorizedTokens(e: EmbeddingFactorization, vocabSize: number, hidden: number, rng: Rng): Module<tf.Tensor, tf.Tensor> {
  const W = 'sharedTransformer.embedding';
  if (e === null || typeof e !== 'object') throw new Error(`${W}: embedding=${describeValue(e)} must be { method: 'albert' | 'safe', embeddingDim, numHeads? }`);
  checkKnownKeys(W, e, EMB_KEYS);
  if (e.method === 'albert') {
    if (e.numHeads !== undefined) throw new Error(`${W}: numHeads=${describeValue(e.numHeads)} is an option of method 'safe' only`);
    return new FactorizedEmbedding({ vocabSize, embeddingDim: e.embeddingDim, hidden }, rng);
  }
  if (e.method === 'safe') return new SafeEmbedding({ vocabSize, embeddingDim: e.embeddingDim, hidden, ...(e.numHeads === undefined ? {} : { numHeads: e.numHeads }) }, rng);
  throw new Error(`${W}: method=${describeValue(e.method)} must be 'albert' or 'safe'`);
}

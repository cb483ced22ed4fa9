// A TinyTransformer whose L block slots follow a sharing plan (ALBERT arXiv:1909.11942 all-shared
// and groups, Subformer arXiv:2101.00234 sandwich, MobileLLM arXiv:2402.14905 block-wise repeat,
// Takase & Kiyono arXiv:2104.06022 cycle): K TransformerBlocks built once and placed in the slots
// through the core model's `{blocks}` option. Embeddings, final norm and head stay unshared.
import { TinyTransformer, TransformerBlock, checkKnownKeys, configKeys, defaultRng, type Rng, type TinyTransformerConfig, describeValue } from '@weft/core';
import { buildShared } from './apply.js';
import type { SharingPlan } from './plans.js';

/** Config of {@link sharedTransformer}: the TinyTransformer config (depth = number of slots) and a plan. */
export interface SharedTransformerConfig extends TinyTransformerConfig {
  /** The sharing plan. Default: 'all-shared'. */
  plan?: SharingPlan;
}

const KEYS = configKeys<SharedTransformerConfig>({
  vocabSize: true, maxLen: true, dim: true, depth: true, numHeads: true, numKVHeads: true, head: true, numClasses: true, pool: true, tieEmbeddings: true,
  causal: true, norm: true, normEps: true, gated: true, mlpHidden: true, activation: true, bias: true, dropout: true, embedInitStd: true, ffn: true, plan: true,
});

/** Build a TinyTransformer with `depth` slots filled by the plan's unique blocks. */
export function sharedTransformer(config: SharedTransformerConfig, rng: Rng = defaultRng()): TinyTransformer {
  checkKnownKeys('sharedTransformer', config, KEYS);
  const { plan = 'all-shared', ...model } = config;
  const depth = model.depth ?? 2;
  if (!Number.isInteger(depth) || depth < 1) throw new Error(`sharedTransformer: depth=${describeValue(depth)} must be an integer ≥ 1`);
  const head = model.head ?? 'lm';
  const blocks = buildShared(plan, depth, () =>
    new TransformerBlock(
      {
        dim: model.dim ?? 32,
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
        ffn: model.ffn,
      },
      rng,
    ),
  );
  return new TinyTransformer(model, rng, { blocks });
}

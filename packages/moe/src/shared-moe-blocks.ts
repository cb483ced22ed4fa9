// Parameter-efficient Conformers via Sharing Sparsely-Gated Experts — Bai et al., arXiv:2209.08326.
// Blocks come in groups (a core sharing plan over the depth, default block-repeat 3); the blocks of
// a group share their attention and their MoE experts, and each block keeps its own norms and its
// own MoE router, so a shared block can still treat each depth differently. The experts are shared
// through crossLayerMoE (Megrez2's bank-with-per-layer-routers: one mechanism for experts shared
// across layers); the attention is the same module object in each block of the group.
// Departs from the paper: transformer blocks (pre-norm attention + MoE FFN), not conformer blocks
// (no convolution module, no macaron FFN); no knowledge distillation.
import * as tf from '@tensorflow/tfjs-core';
import {
  CausalSelfAttention, checkKnownKeys, configKeys, defaultRng, ForwardContext, makeNorm, Module, planSlots, splitSequenceInput, TinyTransformer,
  type LayerNorm, type RMSNorm, type Rng, type SequenceInput, type SharingPlan, type TinyTransformerConfig,
} from '@weft/core';
import { crossLayerMoE, MEGREZ2_PLAN } from './cross-layer-experts.js';
import type { MoE, MoEConfig } from './moe.js';

/** A pre-norm block whose attention and MoE may be shared with other blocks; its norms are its own. */
export class SharedMoEBlock extends Module<SequenceInput, tf.Tensor> {
  /** This block's norms (never shared). */
  readonly norm1: LayerNorm | RMSNorm;
  readonly norm2: LayerNorm | RMSNorm;
  constructor(readonly attn: CausalSelfAttention, readonly ffn: MoE, norm: 'layernorm' | 'rmsnorm', dim: number) {
    super();
    this.norm1 = this.addModule('norm1', makeNorm(norm, dim));
    this.addModule('attn', attn);
    this.norm2 = this.addModule('norm2', makeNorm(norm, dim));
    this.addModule('ffn', ffn);
  }
  /** (B, T, dim) [+ attentionMask] -> (B, T, dim). */
  forward(input: SequenceInput, ctx: ForwardContext = new ForwardContext({ training: this.training })): tf.Tensor {
    const { x, attentionMask } = splitSequenceInput(input);
    const h = tf.add(x, this.attn.forward({ x: this.norm1.forward(x, ctx), attentionMask }, ctx));
    return tf.add(h, this.ffn.forward(this.norm2.forward(h, ctx), ctx));
  }
}

/** Config of {@link sharedMoETransformer}. */
export interface SharedMoETransformerConfig extends Omit<TinyTransformerConfig, 'ffn'> {
  /** The MoE settings of every block (`dim` is the model's). */
  moe: Omit<MoEConfig, 'dim'>;
  /** Which blocks share attention and experts (a core sharing plan over the depth). Default: block-repeat 3. */
  plan?: SharingPlan;
  /**
   * Give each block of a group its own router and norms (the paper's design). false shares them as
   * well: every block of a group is one block applied again (plain cross-layer sharing, the paper's
   * baseline). Default: true.
   */
  ownRoutersAndNorms?: boolean;
}

const KEYS = configKeys<SharedMoETransformerConfig>({
  vocabSize: true, maxLen: true, dim: true, depth: true, numHeads: true, numKVHeads: true, head: true, numClasses: true, pool: true, tieEmbeddings: true,
  causal: true, norm: true, normEps: true, gated: true, mlpHidden: true, activation: true, bias: true, dropout: true, embedInitStd: true, moe: true, plan: true,
  ownRoutersAndNorms: true,
});

/**
 * A TinyTransformer whose blocks share attention and MoE experts within groups, each block keeping
 * its own router and norms (Parameter-efficient Conformers), or sharing everything when
 * `ownRoutersAndNorms` is false.
 */
export function sharedMoETransformer(config: SharedMoETransformerConfig, rng: Rng = defaultRng()): TinyTransformer {
  checkKnownKeys('sharedMoETransformer', config, KEYS);
  const { moe, plan = MEGREZ2_PLAN, ownRoutersAndNorms = true, ...model } = config;
  const dim = model.dim ?? 32;
  const depth = model.depth ?? 2;
  const head = model.head ?? 'lm';
  const norm = model.norm ?? 'layernorm';
  const slots = planSlots(plan, depth);
  const attention = new Map<number, CausalSelfAttention>();
  const attnOf = (slot: number) => {
    if (!attention.has(slot)) attention.set(slot, new CausalSelfAttention({ dim, numHeads: model.numHeads ?? 4, numKVHeads: model.numKVHeads, causal: model.causal ?? head === 'lm', bias: model.bias ?? !(model.gated ?? false), dropout: model.dropout }, rng));
    return attention.get(slot)!;
  };
  let blocks: SharedMoEBlock[];
  if (ownRoutersAndNorms) {
    const layers = crossLayerMoE({ moe: { ...moe, dim }, depth, plan }, rng);
    blocks = layers.map((ffn, i) => new SharedMoEBlock(attnOf(slots[i]!), ffn, norm, dim));
  } else {
    const bySlot = new Map<number, SharedMoEBlock>();
    const one = crossLayerMoE({ moe: { ...moe, dim }, depth: new Set(slots).size, plan: { name: 'none' } }, rng);
    [...new Set(slots)].forEach((s, j) => bySlot.set(s, new SharedMoEBlock(attnOf(s), one[j]!, norm, dim)));
    blocks = slots.map((s) => bySlot.get(s)!);
  }
  return new TinyTransformer(model, rng, { blocks });
}

// UMoE: Unifying Attention and FFN with Shared Experts — Yang, Wang, Li, arXiv:2505.07260.
// A pre-norm Transformer block whose attention is UMoE's pre-mixing attention MoE and whose
// feed-forward part is an MoE layer, both routing into one set of stacked experts (each with its own
// router, as the paper's separate FFN router): x + attn(norm1(x)), then h + ffn(norm2(h)). Use it
// as TinyTransformer's blocks (`parts.blocks`). With `shareExperts: false` each layer has its own
// experts (the unshared baseline).
import * as tf from '@tensorflow/tfjs-core';
import { ForwardContext, makeNorm, Module, defaultRng, splitSequenceInput, type LayerNorm, type NormName, type RMSNorm, type Rng, type SequenceInput } from '@weft/core';
import { MoE, type MoEConfig } from './moe.js';
import { PreMixingAttention, type PreMixingAttentionConfig } from './premix-attention.js';

/** Config of {@link UMoEBlock} (plain JSON). */
export interface UMoEBlockConfig {
  /** Model width. */
  dim: number;
  /** Routed experts E, shared by both layers. Default: 8. */
  numExperts?: number;
  /** Hidden width of each expert. Default: 4·dim. */
  hidden?: number;
  /** The attention MoE's own settings (k, query sizes, router, aux weights, …). Default: {}. */
  attention?: Omit<PreMixingAttentionConfig, 'dim' | 'numExperts' | 'hidden'>;
  /** The FFN MoE's own settings (k, router, capacity, aux weights, …). Default: {}. */
  ffn?: Omit<MoEConfig, 'dim' | 'numExperts' | 'hidden' | 'expert'>;
  /** One set of experts for both layers (UMoE) or one each. Default: true. */
  shareExperts?: boolean;
  /** Normalisation. Default: 'rmsnorm'. */
  norm?: NormName;
}

/** UMoE's block: pre-mixing attention MoE and FFN MoE over shared experts. */
export class UMoEBlock extends Module<SequenceInput, tf.Tensor> {
  readonly norm1: LayerNorm | RMSNorm;
  readonly attn: PreMixingAttention;
  readonly norm2: LayerNorm | RMSNorm;
  readonly ffn: MoE;

  constructor(readonly config: UMoEBlockConfig, rng: Rng = defaultRng()) {
    super();
    const { dim } = config;
    const shape = { dim, numExperts: config.numExperts ?? 8, hidden: config.hidden ?? 4 * dim };
    const norm = config.norm ?? 'rmsnorm';
    const share = config.shareExperts ?? true;
    if (typeof share !== 'boolean') throw new Error(`UMoEBlock: shareExperts=${String(share)} must be true or false`);
    this.norm1 = this.addModule('norm1', makeNorm(norm, dim));
    this.attn = this.addModule('attn', new PreMixingAttention({ ...config.attention, ...shape }, rng));
    this.norm2 = this.addModule('norm2', makeNorm(norm, dim));
    const expert = this.attn.cfg.expert;
    this.ffn = this.addModule('ffn', new MoE({ ...config.ffn, ...shape, expert }, rng, share ? { experts: this.attn.experts } : {}));
    if (share) {
      // A token reaches at most k_attn + k_ffn distinct experts through the two layers (an upper bound: choices may coincide).
      this.attn.experts.routedShare = Math.min(1, (this.attn.cfg.topK + this.ffn.cfg.topK) / shape.numExperts);
    }
  }

  /** (B, T, dim) [+ attentionMask (B, T)] -> (B, T, dim). */
  forward(input: SequenceInput, ctx: ForwardContext = new ForwardContext({ training: this.training })): tf.Tensor {
    const { x, attentionMask } = splitSequenceInput(input);
    const h = tf.add(x, this.attn.forward({ x: this.norm1.forward(x, ctx), attentionMask }, ctx));
    return tf.add(h, this.ffn.forward(this.norm2.forward(h, ctx), ctx));
  }
}

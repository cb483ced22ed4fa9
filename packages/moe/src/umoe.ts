// UMoE: Unifying Attention and FFN with Shared Experts — Yang, Wang, Li, arXiv:2505.07260.
// A pre-norm Transformer block whose attention is UMoE's pre-mixing attention MoE and whose
// feed-forward part is an MoE layer, both routing into one set of stacked experts (each with its own
// router, as the paper's separate FFN router): x + attn(norm1(x)), then h + ffn(norm2(h)). Use it
// as TinyTransformer's blocks (`parts.blocks`). With `shareExperts: false` each layer has its own
// experts (the unshared baseline).
import * as tf from '@tensorflow/tfjs-core';
import { checkKnownKeys, configKeys, ForwardContext, makeNorm, Module, defaultRng, splitSequenceInput, type LayerNorm, type NormName, type RMSNorm, type Rng, type SequenceInput } from '@weft/core';
import { checkBool } from '@weft/core/internal';
import { MoE, MOE_CONFIG_KEYS, type MoEConfig } from './moe.js';
import { PreMixingAttention, PREMIX_ATTENTION_CONFIG_KEYS, type PreMixingAttentionConfig } from './premix-attention.js';

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

/** Every key of {@link UMoEBlockConfig}, for the unknown-key check. */
const UMOE_BLOCK_KEYS = configKeys<UMoEBlockConfig>({ dim: true, numExperts: true, hidden: true, attention: true, ffn: true, shareExperts: true, norm: true });
/** The block sets these of both layers itself. */
const BLOCK_SET = ['dim', 'numExperts', 'hidden'];

/** UMoE's block: pre-mixing attention MoE and FFN MoE over shared experts. */
export class UMoEBlock extends Module<SequenceInput, tf.Tensor> {
  readonly norm1: LayerNorm | RMSNorm;
  readonly attn: PreMixingAttention;
  readonly norm2: LayerNorm | RMSNorm;
  readonly ffn: MoE;

  constructor(readonly config: UMoEBlockConfig, rng: Rng = defaultRng()) {
    super();
    checkKnownKeys('UMoEBlock', config, UMOE_BLOCK_KEYS);
    checkKnownKeys('UMoEBlock.attention', config.attention, PREMIX_ATTENTION_CONFIG_KEYS.filter((k) => !BLOCK_SET.includes(k)));
    checkKnownKeys('UMoEBlock.ffn', config.ffn, MOE_CONFIG_KEYS.filter((k) => !BLOCK_SET.includes(k) && k !== 'expert'));
    const { dim } = config;
    const shape = { dim, numExperts: config.numExperts ?? 8, hidden: config.hidden ?? 4 * dim };
    const norm = config.norm ?? 'rmsnorm';
    const share = checkBool('UMoEBlock', 'shareExperts', config.shareExperts ?? true);
    this.norm1 = this.addModule('norm1', makeNorm(norm, dim));
    this.attn = this.addModule('attn', new PreMixingAttention({ ...config.attention, ...shape }, rng));
    this.norm2 = this.addModule('norm2', makeNorm(norm, dim));
    const expert = this.attn.cfg.expert;
    // Shared, a token reaches the attention's k and the FFN's k experts: at most k_attn + k_ffn
    // distinct ones (an upper bound: choices may coincide), which the FFN layer reports.
    const options = share ? { experts: this.attn.experts, expertsShareElsewhere: this.attn.expertShare } : {};
    this.ffn = this.addModule('ffn', new MoE({ ...config.ffn, ...shape, expert }, rng, options));
  }

  /** (B, T, dim) [+ attentionMask (B, T)] -> (B, T, dim). */
  forward(input: SequenceInput, ctx: ForwardContext = new ForwardContext({ training: this.training })): tf.Tensor {
    const { x, attentionMask } = splitSequenceInput(input);
    const h = tf.add(x, this.attn.forward({ x: this.norm1.forward(x, ctx), attentionMask }, ctx));
    return tf.add(h, this.ffn.forward(this.norm2.forward(h, ctx), ctx));
  }
}

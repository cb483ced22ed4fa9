// DeepSeek-V3's router — DeepSeek-AI, "DeepSeek-V3 Technical Report", arXiv:2412.19437 (§2.1.2),
// as transformers' `DeepseekV3TopkRouter` computes it: s = σ(x·W) per expert; selection on s + b,
// b a per-expert bias that only selects (never weights); group-limited top-k (experts in n_group
// groups, a group scored by the sum of its two best s + b, only the topk_group best groups eligible,
// the others masked to 0 as transformers does); gates = s of the chosen, normalised among them
// (norm_topk_prob) and times routed_scaling_factor. Auxiliary-loss-free balancing: after each
// training forward, b_e += γ·sign(mean load − load_e) from that batch's choices, on the device.
// The sequence-wise balance loss is the MoE layer's `loadBalance: 'sequence'` (losses.ts); `probs`
// is s normalised per token, the s' of that loss. Departs from the paper: b updates once per
// training forward (per step with one forward per step), not after the whole step.
import * as tf from '@tensorflow/tfjs-core';
import { Linear, resolveConfig, type ForwardContext, type Rng, pickColumns } from '@weft/core';
import { checkBool, checkInt, checkNumber, checkPositiveInt } from '@weft/core/internal';
import { registerRouter, topKShare } from './registry.js';
import { checkRouterInput, Router, tokenChoicePairs, topkIndices, untaped, type Routing, type RouterShape } from './router.js';

/** Config of {@link DeepSeekV3Router}. */
export interface DeepSeekV3Config {
  /** Expert groups (n_group); numExperts must divide by it. Default: 1. */
  nGroup: number;
  /** Groups a token may pick its experts from (topk_group). Default: 1. */
  topkGroup: number;
  /** Renormalise the chosen sigmoid scores to sum to 1 (norm_topk_prob). Default: true. */
  normTopkProb: boolean;
  /** Multiplier of the gates (routed_scaling_factor; DeepSeek-V3 uses 2.5). Default: 1. */
  routedScalingFactor: number;
  /** Bias update speed γ of auxiliary-loss-free balancing (0: the bias stays as loaded). Default: 0.001. */
  biasUpdateSpeed: number;
}

/** Defaults of {@link DeepSeekV3Config}. */
export const DEEPSEEK_V3_DEFAULTS: DeepSeekV3Config = { nGroup: 1, topkGroup: 1, normTopkProb: true, routedScalingFactor: 1, biasUpdateSpeed: 0.001 };

/** DeepSeek-V3's sigmoid router with group-limited top-k and a selection-only balancing bias. */
export class DeepSeekV3Router extends Router {
  /** Router projection [d, E], no bias (transformers' `weight`, transposed). */
  readonly gate: Linear;
  /** Selection bias b [E] (transformers' `e_score_correction_bias`), not trained by gradients. */
  readonly bias: tf.Variable;
  /** The resolved config. */
  readonly config: DeepSeekV3Config;

  constructor(config: Partial<DeepSeekV3Config>, shape: RouterShape, rng: Rng) {
    super(shape);
    const who = 'DeepSeekV3Router';
    const c = (this.config = resolveConfig(who, DEEPSEEK_V3_DEFAULTS, config));
    const e = shape.numExperts;
    checkPositiveInt(who, 'nGroup', c.nGroup);
    if (e % c.nGroup !== 0) throw new Error(`${who}: numExperts=${e} must be divisible by nGroup=${c.nGroup}`);
    checkInt(who, 'topkGroup', c.topkGroup, 1, c.nGroup);
    const eligible = (c.topkGroup * e) / c.nGroup;
    if (shape.topK > eligible) throw new Error(`${who}: topK=${shape.topK} must be ≤ topkGroup·numExperts/nGroup=${eligible} (the experts of the eligible groups)`);
    checkBool(who, 'normTopkProb', c.normTopkProb);
    checkNumber(who, 'routedScalingFactor', c.routedScalingFactor, 0);
    checkNumber(who, 'biasUpdateSpeed', c.biasUpdateSpeed, 0);
    this.gate = this.addModule('gate', new Linear({ inFeatures: shape.dim, outFeatures: e, bias: false }, rng));
    this.bias = this.addParameter('bias', tf.zeros([e]), false);
  }

  /** The experts eligible per token (N, E) as 1/0: those of its topkGroup best groups (all when nGroup = 1). */
  private groupMask(choice: tf.Tensor2D): tf.Tensor2D {
    const { nGroup: g, topkGroup } = this.config;
    const [n, e] = choice.shape;
    const per = e / g;
    const grouped = tf.reshape(choice, [n, g, per]); // (N, E) -> (N, G, E/G)
    const groupScore = tf.sum(tf.topk(grouped, Math.min(2, per)).values, 2); // (N, G): sum of the two best
    const best = tf.topk(groupScore, topkGroup).indices; // (N, topkGroup)
    const mask = tf.sum(tf.oneHot(best, g, 1, 0, 'float32'), 1); // (N, G)
    return tf.reshape(tf.tile(tf.reshape(mask, [n, g, 1]), [1, 1, per]), [n, e]); // (N, G, 1) -> (N, G, E/G) -> (N, E)
  }

  forward(x: tf.Tensor2D, ctx: ForwardContext): Routing {
    checkRouterInput('DeepSeekV3Router', x, this.shape.dim);
    const c = this.config;
    const logits = this.gate.forward(x, ctx) as tf.Tensor2D; // (N, E)
    const scores = tf.sigmoid(logits) as tf.Tensor2D;
    const idx = untaped(() => {
      let choice = tf.add(scores, this.bias) as tf.Tensor2D; // selection only: the bias never reaches a gate
      if (c.nGroup > 1) choice = tf.mul(choice, this.groupMask(choice)); // ineligible experts score 0 (transformers' masked_fill)
      return topkIndices(choice, this.shape.topK);
    });
    let gates = pickColumns(scores, idx); // (N, k)
    if (c.normTopkProb) gates = tf.div(gates, tf.add(tf.sum(gates, 1, true), 1e-20));
    if (c.routedScalingFactor !== 1) gates = tf.mul(gates, c.routedScalingFactor);
    if (ctx.training && c.biasUpdateSpeed > 0) this.updateBias(idx);
    const probs = tf.div(scores, tf.sum(scores, 1, true)) as tf.Tensor2D; // s' = s / Σ s (the sequence-wise loss's)
    return { logits: null, probs, ...tokenChoicePairs(idx, gates) };
  }

  /** b_e += γ·sign(mean load − load_e) from the choices `idx` (N, k) of one training batch (on the device). */
  private updateBias(idx: tf.Tensor2D): void {
    tf.tidy(() => {
      const load = tf.sum(tf.reshape(tf.oneHot(idx, this.shape.numExperts, 1, 0, 'float32'), [-1, this.shape.numExperts]), 0); // (N·k, E) -> (E,)
      this.bias.assign(tf.add(this.bias, tf.mul(tf.sign(tf.sub(tf.mean(load), load)), this.config.biasUpdateSpeed)));
    });
  }
}

registerRouter('deepseek-v3', {
  description: 'Sigmoid scores, group-limited top-k, a selection-only bias for loss-free balancing (DeepSeek-V3)',
  kind: 'token-choice',
  modularity: { computation: 'function', routing: 'learned-hard', aggregation: 'representation' },
  defaults: DEEPSEEK_V3_DEFAULTS,
  activeShare: topKShare,
  factory: (c, s, r) => new DeepSeekV3Router(c, s, r),
});

// Softmax → top-k → renormalise — Jiang et al., "Mixtral of Experts", arXiv:2401.04088 (the
// transformers Mixtral block): probabilities over all experts, keep the k largest, divide by their
// sum. `normalize: false` keeps the raw probabilities (Qwen-MoE/DeepSeek style).
import * as tf from '@tensorflow/tfjs-core';
import { Linear, resolveConfig, type ForwardContext, type Rng, pickColumns } from '@weft/core';
import { registerRouter, topKShare } from './registry.js';
import { checkRouterInput, Router, tokenChoicePairs, topkIndices, type Routing, type RouterShape } from './router.js';

/** Config of {@link MixtralRouter}. */
export interface MixtralConfig {
  /** Renormalise the k kept probabilities to sum to 1. Default: true. */
  normalize: boolean;
}

/** Defaults of {@link MixtralConfig}. */
export const MIXTRAL_DEFAULTS: MixtralConfig = { normalize: true };

/** Mixtral's softmax-top-k router. */
export class MixtralRouter extends Router {
  /** Router projection [d, E], no bias. */
  readonly gate: Linear;

  /** The resolved config. */
  readonly config: MixtralConfig;

  constructor(config: Partial<MixtralConfig>, shape: RouterShape, rng: Rng) {
    super(shape);
    this.config = resolveConfig('MixtralRouter', MIXTRAL_DEFAULTS, config);
    this.gate = this.addModule('gate', new Linear({ inFeatures: shape.dim, outFeatures: shape.numExperts, bias: false }, rng));
  }

  forward(x: tf.Tensor2D, ctx: ForwardContext): Routing {
    checkRouterInput('MixtralRouter', x, this.shape.dim);
    const logits = this.gate.forward(x, ctx) as tf.Tensor2D;
    const probs = tf.softmax(logits) as tf.Tensor2D;
    const idx = topkIndices(logits, this.shape.topK);
    const gates = pickColumns(probs, idx, this.config.normalize); // (N, k), renormalised per token when normalize
    return { logits, probs, ...tokenChoicePairs(idx, gates), softmaxOfLogits: true };
  }
}

registerRouter('mixtral', {
  description: 'Softmax → top-k → renormalise (Mixtral)',
  kind: 'token-choice',
  modularity: { computation: 'function', routing: 'learned-hard', aggregation: 'representation' },
  defaults: MIXTRAL_DEFAULTS,
  activeShare: topKShare,
  factory: (c, s, r) => new MixtralRouter(c, s, r),
});

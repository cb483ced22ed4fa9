// Noisy top-k gating — Shazeer et al., "Outrageously Large Neural Networks: The Sparsely-Gated
// Mixture-of-Experts Layer", arXiv:1701.06538. H = x·W_g + ε·softplus(x·W_noise) with ε ~ N(0, 1)
// in training (noise drawn from the context's seeded stream); gates = softmax over the k largest H.
// Departs from the paper: the paper's smooth "load" estimator is not used (balance comes from the
// layer's aux losses); `probs` for those losses is softmax(H) over all experts.
import * as tf from '@tensorflow/tfjs-core';
import { Linear, resolveConfig, type ForwardContext, type Rng, pickColumns } from '@weft/core';
import { registerRouter, topKShare } from './registry.js';
import { checkRouterInput, Router, tokenChoicePairs, topkIndices, type Routing, type RouterShape } from './router.js';

/** Config of {@link NoisyTopKRouter}. */
export interface NoisyTopKConfig {
  /** Add the learned Gaussian noise in training. Default: true. */
  noisy: boolean;
}

/** Defaults of {@link NoisyTopKConfig}. */
export const NOISY_TOPK_DEFAULTS: NoisyTopKConfig = { noisy: true };

/** Shazeer's noisy top-k softmax gate. */
export class NoisyTopKRouter extends Router {
  /** Gate projection [d, E]. */
  readonly gate: Linear;
  /** Noise-scale projection [d, E] (present even when `noisy` is false, so checkpoints match). */
  readonly noise: Linear;

  /** The resolved config. */
  readonly config: NoisyTopKConfig;

  constructor(config: Partial<NoisyTopKConfig>, shape: RouterShape, rng: Rng) {
    super(shape);
    this.config = resolveConfig('NoisyTopKRouter', NOISY_TOPK_DEFAULTS, config);
    this.gate = this.addModule('gate', new Linear({ inFeatures: shape.dim, outFeatures: shape.numExperts, bias: false }, rng));
    this.noise = this.addModule('noise', new Linear({ inFeatures: shape.dim, outFeatures: shape.numExperts, bias: false }, rng));
  }

  forward(x: tf.Tensor2D, ctx: ForwardContext): Routing {
    checkRouterInput('NoisyTopKRouter', x, this.shape.dim);
    const [n] = x.shape;
    const e = this.shape.numExperts;
    let h = this.gate.forward(x, ctx) as tf.Tensor2D; // (N, E)
    if (ctx.training && this.config.noisy) {
      const eps = tf.tensor2d(ctx.rng.normalArray(n * e), [n, e]);
      h = tf.add(h, tf.mul(eps, tf.softplus(this.noise.forward(x, ctx))));
    }
    const idx = topkIndices(h, this.shape.topK);
    const gates = tf.softmax(pickColumns(h, idx)) as tf.Tensor2D; // softmax over the k kept logits
    return { logits: h, probs: tf.softmax(h) as tf.Tensor2D, ...tokenChoicePairs(idx, gates), softmaxOfLogits: true };
  }
}

registerRouter('topk', {
  description: 'Noisy top-k softmax (Shazeer et al. 2017)',
  kind: 'token-choice',
  modularity: { computation: 'function', routing: 'learned-hard', aggregation: 'representation' },
  defaults: NOISY_TOPK_DEFAULTS,
  activeShare: topKShare,
  factory: (c, s, r) => new NoisyTopKRouter(c, s, r),
});

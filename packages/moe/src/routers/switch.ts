// Switch routing — Fedus et al., "Switch Transformers: Scaling to Trillion Parameter Models with
// Simple and Efficient Sparsity", arXiv:2101.03961. Top-1: each token goes to its argmax expert,
// scaled by that expert's softmax probability (not renormalised). In training the router input is
// jittered multiplicatively by U(1−ε, 1+ε) (drawn from the context's seeded stream), as in the
// paper's and transformers' `router_jitter_noise`.
import * as tf from '@tensorflow/tfjs-core';
import { Linear, resolveConfig, type ForwardContext, type Rng, pickColumns } from '@weft/core';
import { checkNumber } from '@weft/core/internal';
import { registerRouter, topKShare } from './registry.js';
import { checkRouterInput, Router, tokenChoicePairs, topkIndices, type Routing, type RouterShape } from './router.js';

/** Config of {@link SwitchRouter}. */
export interface SwitchConfig {
  /** Multiplicative input jitter ε in training (0 = none). Default: 0.01. */
  jitter: number;
}

/** Defaults of {@link SwitchConfig}. */
export const SWITCH_DEFAULTS: SwitchConfig = { jitter: 0.01 };

/** Switch top-1 router. */
export class SwitchRouter extends Router {
  /** Router projection [d, E], no bias (as Switch/transformers). */
  readonly classifier: Linear;

  /** The resolved config. */
  readonly config: SwitchConfig;

  constructor(config: Partial<SwitchConfig>, shape: RouterShape, rng: Rng) {
    super(shape);
    this.config = resolveConfig('SwitchRouter', SWITCH_DEFAULTS, config);
    if (shape.topK !== 1) throw new Error(`SwitchRouter: topK=${shape.topK} must be 1 (Switch routes each token to one expert)`);
    checkNumber('SwitchRouter', 'jitter', this.config.jitter, 0);
    this.classifier = this.addModule('classifier', new Linear({ inFeatures: shape.dim, outFeatures: shape.numExperts, bias: false }, rng));
  }

  forward(x: tf.Tensor2D, ctx: ForwardContext): Routing {
    checkRouterInput('SwitchRouter', x, this.shape.dim);
    let input: tf.Tensor2D = x;
    if (ctx.training && this.config.jitter > 0) {
      const j = this.config.jitter;
      input = tf.mul(x, tf.tensor2d(ctx.rng.uniformArray(x.size, 1 - j, 1 + j), x.shape));
    }
    const logits = this.classifier.forward(input, ctx) as tf.Tensor2D; // (N, E)
    const probs = tf.softmax(logits) as tf.Tensor2D;
    const idx = topkIndices(logits, 1); // (N, 1)
    return { logits, probs, ...tokenChoicePairs(idx, pickColumns(probs, idx)) };
  }
}

registerRouter('switch', {
  description: 'Switch top-1 with input jitter (Fedus et al. 2021)',
  kind: 'token-choice',
  modularity: { computation: 'function', routing: 'learned-hard', aggregation: 'representation' },
  defaults: SWITCH_DEFAULTS,
  activeShare: topKShare,
  fixedTopK: 1,
  factory: (c, s, r) => new SwitchRouter(c, s, r),
});

// Hash routing — Roller et al., "Hash Layers For Large Sparse Models", arXiv:2106.04426. A fixed,
// parameter-free assignment: no router is learned. Departs from the paper, which hashes token ids:
// an MoE layer inside a block sees hidden states only, so this hashes the hidden state with a fixed
// random projection (locality-sensitive: similar states share experts) and takes its top-k
// coordinates; gates are 1/k. The projection is a stored non-trainable parameter so checkpoints
// route the same way.
import * as tf from '@tensorflow/tfjs-core';
import { normalInit, resolveConfig, type ForwardContext, type Rng } from '@weft/core';
import { registerRouter, topKShare } from './registry.js';
import { checkRouterInput, Router, tokenChoicePairs, topkIndices, type Routing, type RouterShape } from './router.js';

/** Config of {@link HashRouter} (none). */
export type HashConfig = Record<string, never>;

/** Defaults of {@link HashConfig}. */
export const HASH_DEFAULTS: HashConfig = {};

/** Fixed random-projection hash router. */
export class HashRouter extends Router {
  /** The fixed projection [d, E] (not trainable). */
  readonly projection: tf.Variable;

  /** The resolved config. */
  readonly config: HashConfig;

  constructor(config: Partial<HashConfig>, shape: RouterShape, rng: Rng) {
    super(shape);
    this.config = resolveConfig('HashRouter', HASH_DEFAULTS, config);
    this.projection = this.addParameter('projection', normalInit([shape.dim, shape.numExperts], 1, rng), false);
  }

  forward(x: tf.Tensor2D, _ctx: ForwardContext): Routing {
    checkRouterInput('HashRouter', x, this.shape.dim);
    const [n] = x.shape;
    const { topK: k, numExperts: e } = this.shape;
    const idx = topkIndices(tf.matMul(x, this.projection), k); // (N, k)
    const gates = tf.fill([n, k], 1 / k) as tf.Tensor2D;
    const probs = tf.div(tf.sum(tf.oneHot(idx, e, 1, 0, 'float32'), 1), k) as tf.Tensor2D; // (N, k, E) -> (N, E): the assignment
    return { logits: null, probs, ...tokenChoicePairs(idx, gates) };
  }
}

registerRouter('hash', {
  description: 'Fixed random-projection hash, nothing learned (after Roller et al. 2021)',
  kind: 'token-choice',
  modularity: { computation: 'function', routing: 'fixed', aggregation: 'representation' },
  defaults: HASH_DEFAULTS,
  activeShare: topKShare,
  factory: (c, s, r) => new HashRouter(c, s, r),
});

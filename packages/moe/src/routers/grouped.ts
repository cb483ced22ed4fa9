// Mixture of Grouped Experts — Tang et al., "Pangu Pro MoE: Mixture of Grouped Experts for
// Efficient Sparsity", arXiv:2505.21411. The E experts form G equal groups (one per device in the
// paper); softmax over all experts, then top-(k/G) inside every group, so each group serves exactly
// k/G experts per token and the groups' loads are equal by construction. Gates are the softmax
// scores (renormalised over the k kept when `normalize`).
import * as tf from '@tensorflow/tfjs-core';
import { Linear, resolveConfig, type ForwardContext, type Rng, pickColumns } from '@weft/core';
import { checkInt } from '@weft/core/internal';
import { registerRouter, topKShare } from './registry.js';
import { checkRouterInput, Router, untaped, tokenChoicePairs, type Routing, type RouterShape } from './router.js';

/** Config of {@link GroupedRouter}. */
export interface GroupedConfig {
  /** Number of groups G; must divide E and k. Default: 2. */
  numGroups: number;
  /** Renormalise the kept scores to sum to 1. Default: false. */
  normalize: boolean;
}

/** Defaults of {@link GroupedConfig}. */
export const GROUPED_DEFAULTS: GroupedConfig = { numGroups: 2, normalize: false };

/** Pangu's grouped top-k router. */
export class GroupedRouter extends Router {
  /** Router projection [d, E], no bias. */
  readonly gate: Linear;

  /** The resolved config. */
  readonly config: GroupedConfig;

  constructor(config: Partial<GroupedConfig>, shape: RouterShape, rng: Rng) {
    super(shape);
    this.config = resolveConfig('GroupedRouter', GROUPED_DEFAULTS, config);
    const g = checkInt('GroupedRouter', 'numGroups', this.config.numGroups, 1, shape.numExperts);
    if (shape.numExperts % g !== 0) throw new Error(`GroupedRouter: numGroups=${g} must divide numExperts=${shape.numExperts}`);
    if (shape.topK % g !== 0) throw new Error(`GroupedRouter: numGroups=${g} must divide topK=${shape.topK} (each group serves topK/numGroups experts)`);
    this.gate = this.addModule('gate', new Linear({ inFeatures: shape.dim, outFeatures: shape.numExperts, bias: false }, rng));
  }

  forward(x: tf.Tensor2D, ctx: ForwardContext): Routing {
    checkRouterInput('GroupedRouter', x, this.shape.dim);
    const [n] = x.shape;
    const { numExperts: e, topK: k } = this.shape;
    const g = this.config.numGroups;
    const per = e / g;
    const logits = this.gate.forward(x, ctx) as tf.Tensor2D;
    const probs = tf.softmax(logits) as tf.Tensor2D;
    const local = untaped(() => tf.topk(tf.reshape(probs, [n, g, per]), k / g).indices); // (N, E) -> (N, G, E/G) -> (N, G, k/G)
    const offsets = tf.reshape(tf.mul(tf.range(0, g, 1, 'int32'), tf.scalar(per, 'int32')), [1, g, 1]);
    const idx = tf.reshape(tf.add(local, offsets), [n, k]) as tf.Tensor2D; // expert ids, group-major
    const gates = pickColumns(probs, idx, this.config.normalize); // (N, k), renormalised per token when normalize
    return { logits, probs, ...tokenChoicePairs(idx, gates) };
  }
}

registerRouter('grouped', {
  description: 'Grouped experts: top-k/G inside each of G groups (Pangu MoGE)',
  kind: 'token-choice',
  modularity: { computation: 'function', routing: 'learned-hard', aggregation: 'representation' },
  defaults: GROUPED_DEFAULTS,
  activeShare: topKShare,
  factory: (c, s, r) => new GroupedRouter(c, s, r),
});

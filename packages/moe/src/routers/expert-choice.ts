// Expert-choice routing — Zhou et al., "Mixture-of-Experts with Expert Choice Routing",
// arXiv:2202.09368. Token–expert scores S = softmax(x·W_g) over experts; each expert takes its
// C = ⌈c · N · k / E⌉ highest-scoring tokens (c = the layer's capacity factor, 1 when dropless),
// gate = the score. A token may get 0..E experts; capacity holds by construction. Departs from
// the paper: no entropy-regularised linear program for a per-token cap. Tokens see the batch:
// not for causal decoding.
import * as tf from '@tensorflow/tfjs-core';
import { Linear, resolveConfig, type ForwardContext, type Rng } from '@weft/core';
import { registerRouter } from './registry.js';
import { checkRouterInput, Router, untaped, type Routing, type RouterShape } from './router.js';

/** Config of {@link ExpertChoiceRouter} (none beyond the layer's k and capacity factor). */
export type ExpertChoiceConfig = Record<string, never>;

/** Defaults of {@link ExpertChoiceConfig}. */
export const EXPERT_CHOICE_DEFAULTS: ExpertChoiceConfig = {};

/** Tokens each expert takes for N tokens. */
export function expertChoiceCapacity(n: number, shape: RouterShape): number {
  return Math.max(1, Math.min(n, Math.ceil(((shape.capacityFactor ?? 1) * n * shape.topK) / shape.numExperts)));
}

/** Expert-choice router: each expert picks its top-C tokens. */
export class ExpertChoiceRouter extends Router {
  /** Router projection [d, E], no bias. */
  readonly gate: Linear;

  /** The resolved config. */
  readonly config: ExpertChoiceConfig;

  constructor(config: Partial<ExpertChoiceConfig>, shape: RouterShape, rng: Rng) {
    super(shape);
    this.config = resolveConfig('ExpertChoiceRouter', EXPERT_CHOICE_DEFAULTS, config);
    this.gate = this.addModule('gate', new Linear({ inFeatures: shape.dim, outFeatures: shape.numExperts, bias: false }, rng));
  }

  forward(x: tf.Tensor2D, ctx: ForwardContext): Routing {
    checkRouterInput('ExpertChoiceRouter', x, this.shape.dim);
    const [n] = x.shape;
    const e = this.shape.numExperts;
    const c = expertChoiceCapacity(n, this.shape);
    const logits = this.gate.forward(x, ctx) as tf.Tensor2D;
    const probs = tf.softmax(logits) as tf.Tensor2D; // (N, E)
    const byExpert = tf.transpose(probs) as tf.Tensor2D; // (E, N)
    const token = untaped(() => tf.reshape(tf.topk(byExpert, c).indices, [e * c]) as tf.Tensor1D); // (E, C) -> (E·C,)
    const expert = tf.reshape(tf.tile(tf.reshape(tf.range(0, e, 1, 'int32'), [e, 1]), [1, c]), [e * c]) as tf.Tensor1D;
    const flatIdx = tf.add(tf.mul(token, tf.scalar(e, 'int32')), expert); // index into probs (N·E,)
    const gate = tf.gather(tf.reshape(probs, [n * e]), flatIdx) as tf.Tensor1D;
    return { logits, probs, expert, token, gate, choices: null, perExpert: c };
  }
}

registerRouter('expert-choice', {
  description: 'Each expert picks its top tokens (Zhou et al. 2022)',
  kind: 'expert-choice',
  defaults: EXPERT_CHOICE_DEFAULTS,
  // Each expert takes c·N·k/E of the N tokens: c·k/E of the experts per token on average.
  activeShare: (_c, s) => Math.min(1, ((s.capacityFactor ?? 1) * s.topK) / s.numExperts),
  factory: (c, s, r) => new ExpertChoiceRouter(c, s, r),
});

// Expert-choice routing — Zhou et al., "Mixture-of-Experts with Expert Choice Routing",
// arXiv:2202.09368. Token–expert scores S = softmax(x·W_g) over experts; each expert takes its
// C = ⌈c · N · k / E⌉ highest-scoring tokens (c = the layer's capacity factor, 1 when dropless),
// gate = the score. A token may get 0..E experts; capacity holds by construction. The capped
// variant (§3.3, `maxExpertsPerToken` b > 0) picks from A, the solution of the entropy-regularised
// linear program max ⟨S, A⟩ + λ·H(A) s.t. each expert's row sums to C, each token's column to ≤ b,
// 0 ≤ A ≤ 1, found by Dykstra's alternating KL projections (a fixed number of iterations on the
// device), each expert then taking its top-C tokens by A; gates stay the scores S. Where the LP
// has tied optima, A splits between them and those top-C picks can still give a token b + 1 experts. Tokens see the
// batch: not for causal decoding.
import * as tf from '@tensorflow/tfjs-core';
import { Linear, resolveConfig, type ForwardContext, type Rng } from '@weft/core';
import { checkInt, checkPositive, checkPositiveInt } from '@weft/core/internal';
import { registerRouter } from './registry.js';
import { checkRouterInput, Router, untaped, type Routing, type RouterShape } from './router.js';

/** Config of {@link ExpertChoiceRouter} (besides the layer's k and capacity factor). */
export interface ExpertChoiceConfig {
  /** Most experts one token may get, b (the paper's capped variant), or 0 for no cap. Default: 0. */
  maxExpertsPerToken: number;
  /** Entropy weight λ of the capped variant's linear program (smaller: closer to the exact LP). Default: 0.05. */
  entropy: number;
  /** Dykstra iterations of the capped variant. Default: 30. */
  iterations: number;
}

/** Defaults of {@link ExpertChoiceConfig}. */
export const EXPERT_CHOICE_DEFAULTS: ExpertChoiceConfig = { maxExpertsPerToken: 0, entropy: 0.05, iterations: 30 };

/**
 * The entropy-regularised LP of capped expert choice: scores S (E, N) -> A (E, N) with rows summing
 * to `c`, columns to ≤ `b`, entries in [0, 1], maximising ⟨S, A⟩ + λ·H(A). Dykstra's algorithm for
 * KL projections from A₀ = exp((S − max S)/λ): the row constraint is an affine set (no correction),
 * the column cap and the box keep multiplicative corrections. Runs off the gradient tape.
 */
export function cappedExpertChoiceLP(scores: tf.Tensor2D, c: number, b: number, entropy: number, iterations: number): tf.Tensor2D {
  // In log space (A = exp(L)), so a small λ does not underflow: each projection adds to L.
  return untaped(() =>
    tf.tidy(() => {
      const [logC, logB] = [Math.log(c), Math.log(b)];
      const rows = (l: tf.Tensor) => tf.sub(l, tf.sub(tf.logSumExp(l, 1, true), logC)); // Σ_n A = C
      let l: tf.Tensor = tf.div(scores, entropy); // (E, N)
      let qCol: tf.Tensor = tf.zerosLike(l); // log corrections
      let qBox: tf.Tensor = tf.zerosLike(l);
      for (let i = 0; i < iterations; i++) {
        l = rows(l);
        let y = tf.add(l, qCol);
        l = tf.add(y, tf.minimum(0, tf.sub(logB, tf.logSumExp(y, 0, true)))); // Σ_e A ≤ b
        qCol = tf.sub(y, l);
        y = tf.add(l, qBox);
        l = tf.minimum(y, 0); // A ≤ 1
        qBox = tf.sub(y, l);
      }
      return tf.exp(rows(l)) as tf.Tensor2D; // end on the rows
    }),
  );
}

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
    const c = (this.config = resolveConfig('ExpertChoiceRouter', EXPERT_CHOICE_DEFAULTS, config));
    checkInt('ExpertChoiceRouter', 'maxExpertsPerToken', c.maxExpertsPerToken, 0, shape.numExperts);
    checkPositive('ExpertChoiceRouter', 'entropy', c.entropy);
    checkPositiveInt('ExpertChoiceRouter', 'iterations', c.iterations);
    const f = shape.capacityFactor ?? 1;
    if (c.maxExpertsPerToken > 0 && c.maxExpertsPerToken < f * shape.topK) {
      throw new Error(`ExpertChoiceRouter: maxExpertsPerToken=${c.maxExpertsPerToken} must be ≥ capacityFactor·topK=${f * shape.topK} (the experts take that many per token on average), or 0 for no cap`);
    }
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
    const b = this.config.maxExpertsPerToken;
    const pickFrom = b > 0 ? cappedExpertChoiceLP(byExpert, c, b, this.config.entropy, this.config.iterations) : byExpert;
    const token = untaped(() => tf.reshape(tf.topk(pickFrom, c).indices, [e * c]) as tf.Tensor1D); // (E, C) -> (E·C,)
    const expert = tf.reshape(tf.tile(tf.reshape(tf.range(0, e, 1, 'int32'), [e, 1]), [1, c]), [e * c]) as tf.Tensor1D;
    const flatIdx = tf.add(tf.mul(token, tf.scalar(e, 'int32')), expert); // index into probs (N·E,)
    const gate = tf.gather(tf.reshape(probs, [n * e]), flatIdx) as tf.Tensor1D;
    return { logits, probs, expert, token, gate, choices: null, perExpert: c };
  }
}

registerRouter('expert-choice', {
  description: 'Each expert picks its top tokens (Zhou et al. 2022)',
  kind: 'expert-choice',
  modularity: { computation: 'function', routing: 'learned-hard', aggregation: 'representation' },
  defaults: EXPERT_CHOICE_DEFAULTS,
  // Each expert takes c·N·k/E of the N tokens: c·k/E of the experts per token on average.
  activeShare: (_c, s) => Math.min(1, ((s.capacityFactor ?? 1) * s.topK) / s.numExperts),
  factory: (c, s, r) => new ExpertChoiceRouter(c, s, r),
});

// DSelect-k — Hazimeh et al., "DSelect-k: Differentiable Selection in the Mixture of Experts with
// Applications to Multi-Task Learning", arXiv:2106.03760 (per-example gating). k selectors, each a
// binary code of m = log2 E smooth-step bits: r_i(e) = Π_j [S(z_ij) if bit j of e else 1 − S(z_ij)],
// with the cubic smooth step S of width γ; selector weights α = softmax(x·W_α); the gate of expert e
// is Σ_i α_i r_i(e). The paper's entropy regulariser on r_i is added as the aux loss "dselect.entropy".
// Departs from the paper for sparse dispatch: selector i sends the token to its most likely code
// (the bits S > ½) with gate α_i r_i(code); the mass r_i puts on other codes before the smooth steps
// saturate (the paper evaluates every expert) is dropped. E must be a power of two.
import * as tf from '@tensorflow/tfjs-core';
import { Linear, resolveConfig, type ForwardContext, type Rng, pickColumns } from '@weft/core';
import { checkNumber, checkPositive } from '@weft/core/internal';
import { registerRouter, topKShare } from './registry.js';
import { checkRouterInput, Router, untaped, tokenChoicePairs, type Routing, type RouterShape } from './router.js';

/** Config of {@link DSelectKRouter}. */
export interface DSelectKConfig {
  /** Width γ of the smooth step (S saturates outside ±γ/2). Default: 1. */
  gamma: number;
  /** Weight of the entropy regulariser on each selector's code distribution. Default: 1e-3. */
  entropyWeight: number;
}

/** Defaults of {@link DSelectKConfig}. */
export const DSELECT_DEFAULTS: DSelectKConfig = { gamma: 1, entropyWeight: 1e-3 };

/** Cubic smooth step of width γ: 0 below −γ/2, 1 above γ/2, C¹ in between. */
export function smoothStep(t: tf.Tensor, gamma: number): tf.Tensor {
  const c = tf.clipByValue(t, -gamma / 2, gamma / 2);
  return tf.add(tf.add(tf.mul(tf.pow(c, 3), -2 / gamma ** 3), tf.mul(c, 3 / (2 * gamma))), 0.5);
}

/** DSelect-k gate. */
export class DSelectKRouter extends Router {
  /** Code logits [d, k·m] (+ bias). */
  readonly codes: Linear;
  /** Selector weights [d, k] (+ bias). */
  readonly selectors: Linear;
  /** Bits of each expert's code (E, m), constant. */
  private readonly bits: number[][];
  readonly m: number;

  /** The resolved config. */
  readonly config: DSelectKConfig;

  constructor(config: Partial<DSelectKConfig>, shape: RouterShape, rng: Rng) {
    super(shape);
    this.config = resolveConfig('DSelectKRouter', DSELECT_DEFAULTS, config);
    const e = shape.numExperts;
    if (e < 2 || (e & (e - 1)) !== 0) throw new Error(`DSelectKRouter: numExperts=${e} must be a power of two ≥ 2 (binary expert codes)`);
    checkPositive('DSelectKRouter', 'gamma', this.config.gamma);
    checkNumber('DSelectKRouter', 'entropyWeight', this.config.entropyWeight, 0);
    this.m = Math.log2(e);
    this.bits = Array.from({ length: e }, (_, ex) => Array.from({ length: this.m }, (_, j) => (ex >> j) & 1));
    this.codes = this.addModule('codes', new Linear({ inFeatures: shape.dim, outFeatures: shape.topK * this.m }, rng));
    this.selectors = this.addModule('selectors', new Linear({ inFeatures: shape.dim, outFeatures: shape.topK }, rng));
  }

  forward(x: tf.Tensor2D, ctx: ForwardContext): Routing {
    checkRouterInput('DSelectKRouter', x, this.shape.dim);
    const [n] = x.shape;
    const { topK: k, numExperts: e } = this.shape;
    const m = this.m;
    const s = tf.reshape(smoothStep(this.codes.forward(x, ctx), this.config.gamma), [n, k, 1, m]); // (N, k·m) -> (N, k, 1, m)
    const bits = tf.tensor(this.bits.flat(), [1, 1, e, m]);
    // Per bit: S where the code bit is 1, 1 − S where it is 0; r = product over bits (an explicit loop: m is small).
    const terms = tf.add(tf.mul(bits, s), tf.mul(tf.sub(1, bits), tf.sub(1, s))); // (N, k, E, m)
    let r = tf.reshape(tf.slice(terms, [0, 0, 0, 0], [n, k, e, 1]), [n, k, e]);
    for (let j = 1; j < m; j++) r = tf.mul(r, tf.reshape(tf.slice(terms, [0, 0, 0, j], [n, k, e, 1]), [n, k, e]));
    const alpha = tf.softmax(this.selectors.forward(x, ctx)) as tf.Tensor2D; // (N, k)
    const probs = tf.reshape(tf.matMul(tf.reshape(alpha, [n, 1, k]), r), [n, e]) as tf.Tensor2D; // Σ_i α_i r_i: (N, E)
    if (ctx.training && this.config.entropyWeight > 0) {
      const ent = tf.neg(tf.mean(tf.sum(tf.mul(r, tf.log(tf.maximum(r, 1e-12))), 2)));
      ctx.addAuxLoss('dselect.entropy', ent as tf.Scalar, this.config.entropyWeight);
    }
    // Each selector's most likely code: bit j set where S > ½.
    const powers = tf.tensor(Array.from({ length: m }, (_, j) => 2 ** j), [1, 1, 1, m]);
    const code = untaped(() => tf.cast(tf.reshape(tf.sum(tf.mul(tf.cast(tf.greater(s, 0.5), 'float32'), powers), 3), [n, k]), 'int32') as tf.Tensor2D);
    const rFlat = tf.reshape(r, [n * k, e]) as tf.Tensor2D;
    const rPicked = tf.reshape(pickColumns(rFlat, tf.reshape(code, [n * k, 1]) as tf.Tensor2D), [n, k]); // r_i(code_i)
    const gates = tf.mul(alpha, rPicked) as tf.Tensor2D;
    return { logits: null, probs, ...tokenChoicePairs(code, gates) };
  }
}

registerRouter('dselect', {
  description: 'DSelect-k: differentiable binary-code selection (Hazimeh et al. 2021)',
  kind: 'token-choice',
  modularity: { computation: 'function', routing: 'learned-soft', aggregation: 'representation' },
  defaults: DSELECT_DEFAULTS,
  activeShare: topKShare, // k selectors, one expert each (at most k distinct)
  factory: (c, s, r) => new DSelectKRouter(c, s, r),
});

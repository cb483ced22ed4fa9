// σ-MoE gating — Csordás, Irie & Schmidhuber, "Approximating Two-Layer Feedforward Networks for
// Efficient Transformers", arXiv:2310.10837, as used by MoEUT (arXiv:2405.16039): scores
// s = σ(x·W_S) (no softmax), the k experts with the largest s, gates = those s unrenormalised.
// In training, expert dropout removes each (token, expert) pair from the choice with probability
// `expertDropout` (a removed expert that must still be picked, when fewer than k remain, gets gate
// 0), and the balancing regulariser Σ_e p̄_e·log p̄_e (the negative entropy of the batch-mean
// softmax of the selection logits, p̄ = mean over tokens of softmax(x·W_S)) is added to the
// context with weight `entropyWeight`. `norm` puts a LayerNorm before W_S (MoEUT's peri-layernorm:
// the selection is a sigmoid-gated part, so its input is normalised; the experts see raw x).
// `probs` (for the layer's own losses and stats) is softmax(x·W_S).
import * as tf from '@tensorflow/tfjs-core';
import { LayerNorm, Linear, resolveConfig, type ForwardContext, type Rng, pickColumns } from '@weft/core';
import { checkBool, checkNumber } from '@weft/core/internal';
import { registerRouter, topKShare } from './registry.js';
import { checkRouterInput, Router, tokenChoicePairs, topkIndices, untaped, type Routing, type RouterShape } from './router.js';

/** Config of {@link SigmaRouter}. */
export interface SigmaRouterConfig {
  /** Probability of removing a (token, expert) pair from the choice in training, in [0, 1). Default: 0. */
  expertDropout: number;
  /** Weight of the entropy balancing regulariser Σ p̄·log p̄ (0: off). Default: 0.01. */
  entropyWeight: number;
  /** LayerNorm on the selection input (MoEUT's peri-layernorm). Default: false. */
  norm: boolean;
  /** Name of the balancing aux loss. Default: the router's path in the model (then '.entropy'). */
  name: string | null;
}

/** Defaults of {@link SigmaRouterConfig}. */
export const SIGMA_ROUTER_DEFAULTS: SigmaRouterConfig = { expertDropout: 0, entropyWeight: 0.01, norm: false, name: null };

/** σ-MoE's sigmoid top-k gate with expert dropout and entropy balancing. */
export class SigmaRouter extends Router {
  /** Selection projection W_S [d, E], no bias. */
  readonly gate: Linear;
  /** The peri-layernorm on the selection input (null unless `norm`). */
  readonly norm: LayerNorm | null;
  /** The resolved config. */
  readonly config: SigmaRouterConfig;

  constructor(config: Partial<SigmaRouterConfig>, shape: RouterShape, rng: Rng) {
    super(shape);
    const W = 'SigmaRouter';
    const c = (this.config = resolveConfig(W, SIGMA_ROUTER_DEFAULTS, config));
    checkNumber(W, 'expertDropout', c.expertDropout, 0, 0.999);
    checkNumber(W, 'entropyWeight', c.entropyWeight, 0);
    checkBool(W, 'norm', c.norm);
    this.norm = c.norm ? this.addModule('norm', new LayerNorm({ dim: shape.dim })) : null;
    this.gate = this.addModule('gate', new Linear({ inFeatures: shape.dim, outFeatures: shape.numExperts, bias: false }, rng));
  }

  forward(x: tf.Tensor2D, ctx: ForwardContext): Routing {
    checkRouterInput('SigmaRouter', x, this.shape.dim);
    const [n] = x.shape;
    const e = this.shape.numExperts;
    const c = this.config;
    const logits = this.gate.forward(this.norm ? this.norm.forward(x, ctx) : x, ctx) as tf.Tensor2D; // (N, E)
    let scores = tf.sigmoid(logits) as tf.Tensor2D; // (N, E), in (0, 1)
    let pick = scores;
    if (ctx.training && c.expertDropout > 0) {
      const keep = tf.tensor2d(Float32Array.from(ctx.rng.uniformArray(n * e), (u) => (u < c.expertDropout ? 0 : 1)), [n, e]);
      scores = tf.mul(scores, keep);
      pick = untaped(() => tf.sub(scores, tf.mul(tf.sub(1, keep), 2)) as tf.Tensor2D); // dropped pairs sort last (score − 2 < 0)
    }
    const idx = topkIndices(pick, this.shape.topK);
    const gates = pickColumns(scores, idx); // (N, k), σ values, not renormalised
    const probs = tf.softmax(logits) as tf.Tensor2D;
    if (ctx.training && c.entropyWeight > 0) {
      const mean = tf.mean(probs, 0); // p̄ (E,)
      const negEntropy = tf.sum(tf.mul(mean, tf.log(tf.add(mean, 1e-12)))) as tf.Scalar;
      ctx.addAuxLoss(`${ctx.keyOf(this, 'sigma-router', c.name ?? undefined)}.entropy`, negEntropy, c.entropyWeight);
    }
    return { logits, probs, ...tokenChoicePairs(idx, gates) };
  }
}

registerRouter('sigma', {
  description: 'σ-MoE: sigmoid top-k, no renormalisation, expert dropout, entropy balancing (Csordás et al. 2023)',
  kind: 'token-choice',
  modularity: { computation: 'function', routing: 'learned-hard', aggregation: 'representation' },
  defaults: SIGMA_ROUTER_DEFAULTS,
  activeShare: topKShare,
  factory: (c, s, r) => new SigmaRouter(c, s, r),
});

// Layerwise recurrent router — Qiu et al., "Layerwise Recurrent Router for Mixture-of-Experts"
// (RMoE), arXiv:2408.06793. Each layer projects its hidden state to a small routing space,
// x_l·W_proj, and a GRU carries the routing state across consecutive layers:
// h_l = GRU(x_l·W_proj, h_{l−1}); logits = h_l·W_gate; then softmax → top-k → renormalise.
// Layers pass the state through the forward context: routers built with the same {@link RouterGRU}
// form one chain (the GRU is shared, as in the paper; each layer keeps its own projection and gate),
// and the first layer of a forward pass starts from h = 0. Routers with their own GRU are a chain of one.
import * as tf from '@tensorflow/tfjs-core';
import { Linear, Module, defaultRng, resolveConfig, type ForwardContext, type Rng, pickColumns } from '@weft/core';
import { checkInt } from '@weft/core/internal';
import { registerRouter, topKShare } from './registry.js';
import { checkRouterInput, Router, tokenChoicePairs, topkIndices, type Routing, type RouterShape } from './router.js';

/** A GRU cell over routing states (PyTorch's gate layout: reset, update, new). */
export class RouterGRU extends Module<{ x: tf.Tensor2D; h: tf.Tensor2D }, tf.Tensor2D> {
  /** Input projection [hidden, 3·hidden]. */
  readonly wx: Linear;
  /** Recurrent projection [hidden, 3·hidden]. */
  readonly wh: Linear;
  /** The state of the chain per forward pass (a forward context), read by the next layer. */
  private readonly states = new WeakMap<ForwardContext, tf.Tensor2D>();

  constructor(readonly hidden: number, rng: Rng = defaultRng()) {
    super();
    checkInt('RouterGRU', 'hidden', hidden, 1);
    this.wx = this.addModule('wx', new Linear({ inFeatures: hidden, outFeatures: 3 * hidden }, rng));
    this.wh = this.addModule('wh', new Linear({ inFeatures: hidden, outFeatures: 3 * hidden }, rng));
  }

  /** One GRU step: (N, hidden) input and state -> new state. */
  forward({ x, h }: { x: tf.Tensor2D; h: tf.Tensor2D }, ctx: ForwardContext): tf.Tensor2D {
    const r = this.hidden;
    const gx = this.wx.forward(x, ctx);
    const gh = this.wh.forward(h, ctx);
    const [xr, xz, xn] = tf.split(gx, [r, r, r], 1); // (N, 3r) -> 3 × (N, r)
    const [hr, hz, hn] = tf.split(gh, [r, r, r], 1);
    const reset = tf.sigmoid(tf.add(xr!, hr!));
    const update = tf.sigmoid(tf.add(xz!, hz!));
    const cand = tf.tanh(tf.add(xn!, tf.mul(reset, hn!)));
    return tf.add(tf.mul(tf.sub(1, update), cand), tf.mul(update, h)) as tf.Tensor2D;
  }

  /** The chain's state in this forward pass (null before its first layer). */
  stateIn(ctx: ForwardContext, n: number): tf.Tensor2D | null {
    const s = this.states.get(ctx);
    return s && s.shape[0] === n && !s.isDisposed ? s : null;
  }

  /** Store the chain's state for the next layer of this forward pass. */
  setState(ctx: ForwardContext, h: tf.Tensor2D): void {
    this.states.set(ctx, h);
  }
}

/** Config of {@link RecurrentRouter}. */
export interface RecurrentConfig {
  /** Width of the routing state (GRU hidden size). Default: 16. */
  hidden: number;
  /** Renormalise the kept probabilities. Default: true. */
  normalize: boolean;
}

/** Defaults of {@link RecurrentConfig}. */
export const RECURRENT_DEFAULTS: RecurrentConfig = { hidden: 16, normalize: true };

/** RMoE's GRU router. */
export class RecurrentRouter extends Router {
  /** Projection of the hidden state into the routing space [d, hidden]. */
  readonly proj: Linear;
  /** The GRU (shared by every layer of a chain). */
  readonly gru: RouterGRU;
  /** Gate [hidden, E]. */
  readonly gate: Linear;

  /** The resolved config. */
  readonly config: RecurrentConfig;

  constructor(config: Partial<RecurrentConfig>, shape: RouterShape, rng: Rng, gru?: RouterGRU) {
    super(shape);
    const c = (this.config = resolveConfig('RecurrentRouter', RECURRENT_DEFAULTS, config));
    checkInt('RecurrentRouter', 'hidden', c.hidden, 1);
    if (gru && gru.hidden !== c.hidden) throw new Error(`RecurrentRouter: the shared gru has hidden=${gru.hidden}; config hidden=${c.hidden}`);
    this.proj = this.addModule('proj', new Linear({ inFeatures: shape.dim, outFeatures: c.hidden }, rng));
    this.gru = this.addModule('gru', gru ?? new RouterGRU(c.hidden, rng));
    this.gate = this.addModule('gate', new Linear({ inFeatures: c.hidden, outFeatures: shape.numExperts, bias: false }, rng));
  }

  forward(x: tf.Tensor2D, ctx: ForwardContext): Routing {
    checkRouterInput('RecurrentRouter', x, this.shape.dim);
    const [n] = x.shape;
    const prev = this.gru.stateIn(ctx, n) ?? (tf.zeros([n, this.config.hidden]) as tf.Tensor2D);
    const h = this.gru.forward({ x: this.proj.forward(x, ctx) as tf.Tensor2D, h: prev }, ctx);
    this.gru.setState(ctx, h);
    const logits = this.gate.forward(h, ctx) as tf.Tensor2D;
    const probs = tf.softmax(logits) as tf.Tensor2D;
    const idx = topkIndices(logits, this.shape.topK);
    const gates = pickColumns(probs, idx, this.config.normalize); // (N, k), renormalised per token when normalize
    return { logits, probs, ...tokenChoicePairs(idx, gates) };
  }
}

registerRouter('recurrent', {
  description: 'GRU routing state across layers (RMoE, Qiu et al. 2024)',
  kind: 'token-choice',
  modularity: { computation: 'function', routing: 'learned-hard', aggregation: 'representation' },
  defaults: RECURRENT_DEFAULTS,
  activeShare: topKShare,
  factory: (c, s, r, x) => new RecurrentRouter(c, s, r, x.gru),
});

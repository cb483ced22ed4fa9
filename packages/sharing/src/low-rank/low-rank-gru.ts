// Low-rank passthrough neural networks (arXiv:1603.03116): a GRU whose state-to-state matrices
// (update, reset and candidate) are low-rank plus diagonal (LowRankLinear), decoupling the state
// size from the parameter count; `rank: null` gives the full-rank GRU baseline. The input-to-state
// matrices stay dense (the toy inputs are a few features wide).
import * as tf from '@tensorflow/tfjs-core';
import { ForwardContext, Linear, Module, defaultRng, resolveConfig, type Rng } from '@weft/core';
import { checkBool, checkPositiveInt } from '@weft/core/internal';
import { LowRankLinear } from './low-rank-linear.js';

/** Config of {@link LowRankGRU}. */
export interface LowRankGRUConfig {
  /** Input features per step. Default: 0 (must be given). */
  inFeatures: number;
  /** State size. Default: 0 (must be given). */
  hidden: number;
  /** Rank of the state matrices, or null for full rank (a plain GRU). Default: 4. */
  rank: number | null;
  /** Low-rank plus diagonal (true) or plain low-rank (false). Default: true. */
  diagonal: boolean;
}

/** The documented defaults of {@link LowRankGRUConfig}. */
export const LOW_RANK_GRU_DEFAULTS: LowRankGRUConfig = { inFeatures: 0, hidden: 0, rank: 4, diagonal: true };

/**
 * (B, T, in) -> (B, T, hidden), the states h₁..h_T from h₀ = 0:
 * z = σ(x·Wz + h·Uz), r = σ(x·Wr + h·Ur), h̃ = tanh(x·Wh + (r ⊙ h)·Uh), h' = (1 − z) ⊙ h + z ⊙ h̃
 * (input biases in W; each U is diag(d) + U·V, or dense when rank is null).
 */
export class LowRankGRU extends Module<tf.Tensor, tf.Tensor> {
  /** The resolved config. */
  readonly cfg: LowRankGRUConfig;
  /** Input to the z, r and h̃ pre-activations: in -> 3·hidden. */
  readonly input: Linear;
  /** State matrices Uz, Ur, Uh. */
  readonly uz: Module<tf.Tensor, tf.Tensor>;
  readonly ur: Module<tf.Tensor, tf.Tensor>;
  readonly uh: Module<tf.Tensor, tf.Tensor>;

  constructor(config: Partial<LowRankGRUConfig> & Pick<LowRankGRUConfig, 'inFeatures' | 'hidden'>, rng: Rng = defaultRng()) {
    super();
    const W = 'LowRankGRU';
    const c = (this.cfg = resolveConfig(W, LOW_RANK_GRU_DEFAULTS, config, { anyType: ['rank'] }));
    checkPositiveInt(W, 'inFeatures', c.inFeatures);
    const h = checkPositiveInt(W, 'hidden', c.hidden);
    checkBool(W, 'diagonal', c.diagonal);
    if (c.rank !== null) checkPositiveInt(W, 'rank', c.rank);
    this.input = this.addModule('input', new Linear({ inFeatures: c.inFeatures, outFeatures: 3 * h }, rng));
    const state = () =>
      c.rank === null
        ? new Linear({ inFeatures: h, outFeatures: h, bias: false }, rng)
        : new LowRankLinear({ inFeatures: h, outFeatures: h, rank: c.rank, diagonal: c.diagonal, bias: false }, rng);
    this.uz = this.addModule('uz', state());
    this.ur = this.addModule('ur', state());
    this.uh = this.addModule('uh', state());
  }

  forward(x: tf.Tensor, ctx: ForwardContext = new ForwardContext({ training: this.training })): tf.Tensor {
    if (x.rank !== 3 || x.shape[2] !== this.cfg.inFeatures) throw new Error(`LowRankGRU: x has shape [${x.shape}]; expected [batch, time, ${this.cfg.inFeatures}]`);
    const [B, T] = x.shape as [number, number, number];
    const H = this.cfg.hidden;
    const pre = this.input.forward(x, ctx); // (B, T, in) -> (B, T, 3H)
    let h: tf.Tensor = tf.zeros([B, H]);
    const states: tf.Tensor[] = [];
    for (let t = 0; t < T; t++) {
      const p = tf.reshape(tf.slice(pre, [0, t, 0], [B, 1, 3 * H]), [B, 3 * H]); // (B, 1, 3H) -> (B, 3H)
      const [pz, pr, ph] = tf.split(p, 3, 1) as [tf.Tensor, tf.Tensor, tf.Tensor];
      const z = tf.sigmoid(tf.add(pz, this.uz.forward(h, ctx)));
      const r = tf.sigmoid(tf.add(pr, this.ur.forward(h, ctx)));
      const cand = tf.tanh(tf.add(ph, this.uh.forward(tf.mul(r, h), ctx)));
      h = tf.add(tf.mul(tf.sub(1, z), h), tf.mul(z, cand));
      states.push(h);
    }
    return tf.stack(states, 1); // T × (B, H) -> (B, T, H)
  }
}

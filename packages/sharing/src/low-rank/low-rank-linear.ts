// Low-rank passthrough neural networks (arXiv:1603.03116): a state matrix parametrised as low-rank
// plus diagonal, W = diag(d) + U·V with U [in, r], V [r, out] (in = out for the diagonal), so it
// costs r·(in + out) + in instead of in·out. `diagonal: false` gives the plain low-rank W = U·V.
import * as tf from '@tensorflow/tfjs-core';
import { Module, defaultRng, fanInUniform, normalInit, resolveConfig, type ForwardContext, type Rng } from '@weft/core';
import { checkBool, checkPositiveInt } from '@weft/core/internal';

/** Config of {@link LowRankLinear}. */
export interface LowRankLinearConfig {
  /** Input width. Default: 0 (must be given). */
  inFeatures: number;
  /** Output width. Default: 0 (must be given). */
  outFeatures: number;
  /** The rank r of U·V. Default: 4. */
  rank: number;
  /** Add a learned diagonal (needs in = out). Default: true. */
  diagonal: boolean;
  /** A bias. Default: true. */
  bias: boolean;
}

/** The documented defaults of {@link LowRankLinearConfig}. */
export const LOW_RANK_LINEAR_DEFAULTS: LowRankLinearConfig = { inFeatures: 0, outFeatures: 0, rank: 4, diagonal: true, bias: true };

/** y = x·(diag(d) + U·V) + b over the last axis: (..., in) -> (..., out). */
export class LowRankLinear extends Module<tf.Tensor, tf.Tensor> {
  /** The resolved config. */
  readonly cfg: LowRankLinearConfig;
  /** U [in, r]. */
  readonly u: tf.Variable;
  /** V [r, out]. */
  readonly v: tf.Variable;
  /** The diagonal d [in], or null. */
  readonly d: tf.Variable | null;
  /** The bias [out], or null. */
  readonly b: tf.Variable | null;

  constructor(config: Partial<LowRankLinearConfig> & Pick<LowRankLinearConfig, 'inFeatures' | 'outFeatures'>, rng: Rng = defaultRng()) {
    super();
    const W = 'LowRankLinear';
    const c = (this.cfg = resolveConfig(W, LOW_RANK_LINEAR_DEFAULTS, config));
    const [i, o] = [checkPositiveInt(W, 'inFeatures', c.inFeatures), checkPositiveInt(W, 'outFeatures', c.outFeatures)];
    const r = checkPositiveInt(W, 'rank', c.rank);
    checkBool(W, 'diagonal', c.diagonal);
    checkBool(W, 'bias', c.bias);
    if (c.diagonal && i !== o) throw new Error(`${W}: diagonal=true needs inFeatures = outFeatures (got ${i} and ${o}); set diagonal: false for a plain low-rank map`);
    if (r > Math.min(i, o)) throw new Error(`${W}: rank=${r} must be ≤ min(inFeatures, outFeatures)=${Math.min(i, o)}`);
    // U·V with U ~ U(±1/√in), V ~ U(±1/√r): the product has about a dense layer's fan-in scale.
    this.u = this.addParameter('u', fanInUniform([i, r], i, rng));
    this.v = this.addParameter('v', fanInUniform([r, o], r, rng));
    this.d = c.diagonal ? this.addParameter('d', normalInit([i], 0.1, rng)) : null;
    this.b = c.bias ? this.addParameter('b', tf.zeros([o])) : null;
  }

  /** The dense matrix diag(d) + U·V [in, out] (for tests and inspection). */
  dense(): tf.Tensor2D {
    return tf.tidy(() => {
      const uv = tf.matMul(this.u, this.v);
      return (this.d ? tf.add(uv, tf.diag(this.d)) : uv) as tf.Tensor2D;
    });
  }

  forward(x: tf.Tensor, _ctx?: ForwardContext): tf.Tensor {
    const { inFeatures: i, outFeatures: o } = this.cfg;
    if (x.shape.at(-1) !== i) throw new Error(`LowRankLinear: x has shape [${x.shape}]; its last dimension must equal inFeatures=${i}`);
    const flat = tf.reshape(x, [-1, i]); // (..., in) -> (N, in)
    let y = tf.matMul(tf.matMul(flat, this.u), this.v); // (N, in)·(in, r)·(r, out) -> (N, out)
    if (this.d) y = tf.add(y, tf.mul(flat, this.d)); // x·diag(d) = x ⊙ d
    if (this.b) y = tf.add(y, this.b);
    return tf.reshape(y, [...x.shape.slice(0, -1), o]); // (N, out) -> (..., out)
  }
}

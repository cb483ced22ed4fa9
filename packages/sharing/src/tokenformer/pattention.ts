// TokenFormer: Rethinking Transformer Scaling with Tokenized Model Parameters (arXiv:2410.23168).
// Pattention: input tokens attend to n learnable key/value parameter tokens, O = Θ(X·Kᵀ)·V with
// Θ(S) = τ·GeLU(S)/‖GeLU(S)‖₂ per row (the paper's GeLU-L2 normalisation), replacing a Linear; the
// layer grows by appending parameter tokens whose keys are zero, so its function is unchanged.
// Departures: τ is fixed at √n of the first size (the paper's √n would rescale the output at growth);
// new value tokens are drawn like the first ones (keys and values both zero get no gradient, ever).
import * as tf from '@tensorflow/tfjs-core';
import { Module, defaultRng, gelu, normalInit, resolveConfig, type ForwardContext, type Rng } from '@weft/core';
import { checkInt, checkPositive, checkPositiveInt } from '@weft/core/internal';

/** Config of {@link Pattention}. */
export interface PattentionConfig {
  /** Input width (key width). Default: 0 (must be given). */
  inFeatures: number;
  /** Output width (value width). Default: 0 (must be given). */
  outFeatures: number;
  /** Parameter tokens n at construction. Default: 32. */
  tokens: number;
  /** The scale τ of Θ; null = √tokens at construction, kept through growth. Default: null. */
  scale: number | null;
  /** Std of the key and value tokens (and of grown value tokens). Default: 0.02. */
  initStd: number;
}

/** The documented defaults of {@link PattentionConfig}. */
export const PATTENTION_DEFAULTS: PattentionConfig = { inFeatures: 0, outFeatures: 0, tokens: 32, scale: null, initStd: 0.02 };

/** Token–parameter attention: (..., in) -> (..., out) through n key/value parameter tokens. */
export class Pattention extends Module<tf.Tensor, tf.Tensor> {
  /** The resolved config (`tokens` is the size at construction). */
  readonly cfg: PattentionConfig;
  /** The τ in use. */
  readonly scale: number;
  private readonly rng: Rng;

  constructor(config: Partial<PattentionConfig> & Pick<PattentionConfig, 'inFeatures' | 'outFeatures'>, rng: Rng = defaultRng()) {
    super();
    const W = 'Pattention';
    const c = (this.cfg = resolveConfig(W, PATTENTION_DEFAULTS, config));
    checkPositiveInt(W, 'inFeatures', c.inFeatures);
    checkPositiveInt(W, 'outFeatures', c.outFeatures);
    checkPositiveInt(W, 'tokens', c.tokens);
    checkPositive(W, 'initStd', c.initStd);
    this.scale = c.scale === null ? Math.sqrt(c.tokens) : checkPositive(W, 'scale', c.scale);
    this.rng = rng;
    this.addParameter('keys', normalInit([c.tokens, c.inFeatures], c.initStd, rng));
    this.addParameter('values', normalInit([c.tokens, c.outFeatures], c.initStd, rng));
  }

  /** Key parameter tokens [n, in]. */
  get keys(): tf.Variable {
    return this.ownParameters().get('keys')!;
  }

  /** Value parameter tokens [n, out]. */
  get values(): tf.Variable {
    return this.ownParameters().get('values')!;
  }

  /** Parameter tokens n now. */
  get tokens(): number {
    return this.keys.shape[0]!;
  }

  /**
   * Append `extra` parameter tokens: zero keys (so Θ gives them 0 and the output is unchanged) and
   * value tokens drawn N(0, initStd²). The variables are replaced: give the optimizer the new ones.
   */
  grow(extra: number): void {
    checkInt('Pattention.grow', 'extra', extra, 1);
    const c = this.cfg;
    const keys = tf.tidy(() => tf.concat([this.keys, tf.zeros([extra, c.inFeatures])], 0)); // (n, in) -> (n + extra, in)
    const values = tf.tidy(() => tf.concat([this.values, normalInit([extra, c.outFeatures], c.initStd, this.rng)], 0)); // (n, out) -> (n + extra, out)
    this.replaceParameter('keys', keys);
    this.replaceParameter('values', values);
  }

  forward(x: tf.Tensor, _ctx?: ForwardContext): tf.Tensor {
    const c = this.cfg;
    if (x.shape.at(-1) !== c.inFeatures) throw new Error(`Pattention: x has shape [${x.shape}]; its last dimension must equal inFeatures=${c.inFeatures}`);
    const flat = tf.reshape(x, [-1, c.inFeatures]); // (..., in) -> (N, in)
    const a = gelu(tf.matMul(flat, this.keys, false, true)); // (N, in)·(n, in)ᵀ -> (N, n)
    const norm = tf.sqrt(tf.add(tf.sum(tf.square(a), 1, true), 1e-12)); // (N, 1)
    const y = tf.matMul(tf.mul(tf.div(a, norm), this.scale), this.values); // (N, n)·(n, out) -> (N, out)
    return tf.reshape(y, [...x.shape.slice(0, -1), c.outFeatures]); // (N, out) -> (..., out)
  }
}

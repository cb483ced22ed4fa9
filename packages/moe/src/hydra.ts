// Hydra — Chaudhary & Browning, "Hydra: A 1.6B-Parameter State-Space Language Model with Sparse Attention,
// Mixture-of-Experts, and Memory", arXiv:2508.15099. A toy hybrid block in its spirit: a selective
// diagonal linear-recurrence mixer (the SSM backbone), then an MoE feed-forward part and a
// product-key memory (the factual memory), each residual and pre-normed:
//   h = x + Mixer(norm₁(x)),  y = h + MoE(norm₂(h)) + PKM(norm₂(h)).
// The mixer, per channel c, with input-dependent gates (u, a, b, g from one projection of x):
//   s_t = a_t ⊙ s_{t-1} + b_t ⊙ u_t,  a_t = σ(z_a + logit(decayInit)) ∈ (0, 1),  b_t = σ(z_b),
//   out_t = W_o (s_t ⊙ silu(g_t)).
// Computed in parallel (not step by step) as the quadratic "scan" form: with log A_t = Σ_{r≤t} log a_r,
//   s_t = Σ_{s≤t} exp(log A_t − log A_s) · b_s u_s,
// a masked (T, T) decay matrix per channel (exponent ≤ 0 where kept, 0 before exp where masked, so no
// overflow); O(T²) memory, fine at toy lengths.
// Departs from the paper: no sparse global attention, no workspace memory, token-level (not
// chunk-level) MoE routing, no staged curriculum; the mixer is a diagonal gated recurrence, not
// Mamba's discretised SSM with a convolution.
import * as tf from '@tensorflow/tfjs-core';
import { checkKnownKeys, configKeys, defaultRng, ForwardContext, LayerNorm, Linear, Module, type Rng } from '@weft/core';
import { checkNumber, checkPositiveInt } from '@weft/core/internal';
import { MoE, type MoEConfig } from './moe.js';
import { ProductKeyMemory, type ProductKeyMemoryConfig } from './pkm.js';

/** Config of {@link LinearRecurrenceMixer}. */
export interface LinearRecurrenceMixerConfig {
  /** Model width d (also the state width: one state per channel). */
  dim: number;
  /** Decay a_t at zero pre-activation, in (0, 1): the bias of the decay gate. Default: 0.9. */
  decayInit?: number;
}

const MIXER_KEYS = configKeys<LinearRecurrenceMixerConfig>({ dim: true, decayInit: true });

/** A selective diagonal linear recurrence: (B, T, d) -> (B, T, d), causal. */
export class LinearRecurrenceMixer extends Module {
  readonly dim: number;
  readonly decayInit: number;
  /** x -> [u, z_a, z_b, g], d -> 4d. */
  readonly inProj: Linear;
  /** Output projection d -> d. */
  readonly outProj: Linear;

  constructor(config: LinearRecurrenceMixerConfig, rng: Rng = defaultRng()) {
    super();
    const who = 'LinearRecurrenceMixer';
    checkKnownKeys(who, config, MIXER_KEYS);
    this.dim = checkPositiveInt(who, 'dim', config.dim);
    this.decayInit = checkNumber(who, 'decayInit', config.decayInit ?? 0.9);
    if (!(this.decayInit > 0 && this.decayInit < 1)) throw new Error(`${who}: decayInit=${this.decayInit} must lie in (0, 1)`);
    this.inProj = this.addModule('inProj', new Linear({ inFeatures: this.dim, outFeatures: 4 * this.dim }, rng));
    this.outProj = this.addModule('outProj', new Linear({ inFeatures: this.dim, outFeatures: this.dim }, rng));
  }

  /** The gates of x (B, T, d): u, log a, b, g, each (B, T, d). */
  gates(x: tf.Tensor3D, ctx: ForwardContext): { u: tf.Tensor3D; logA: tf.Tensor3D; b: tf.Tensor3D; g: tf.Tensor3D } {
    const d = this.dim;
    const [B, T] = x.shape;
    const p = tf.reshape(this.inProj.forward(x, ctx), [B, T, 4, d]); // (B, T, 4d) -> (B, T, 4, d)
    const part = (i: number) => tf.reshape(tf.slice(p, [0, 0, i, 0], [B, T, 1, d]), [B, T, d]) as tf.Tensor3D;
    const bias = Math.log(this.decayInit / (1 - this.decayInit));
    return { u: part(0), logA: tf.neg(tf.softplus(tf.neg(tf.add(part(1), bias)))) as tf.Tensor3D, b: tf.sigmoid(part(2)) as tf.Tensor3D, g: part(3) };
  }

  /** The states s_t (B, T, d) of the recurrence, by the parallel masked-decay form. */
  states(logA: tf.Tensor3D, v: tf.Tensor3D): tf.Tensor3D {
    const [B, T, d] = logA.shape;
    const cum = tf.transpose(tf.cumsum(logA, 1), [0, 2, 1]); // (B, T, d) -> (B, d, T): log A_t
    const diff = tf.sub(tf.reshape(cum, [B, d, T, 1]), tf.reshape(cum, [B, d, 1, T])); // (B, d, T_t, T_s): log A_t − log A_s
    const keep = tf.linalg.bandPart(tf.ones([T, T]), -1, 0); // s ≤ t
    const decay = tf.mul(tf.exp(tf.mul(diff, keep)), keep); // masked exponent set to 0 before exp
    const vs = tf.reshape(tf.transpose(v, [0, 2, 1]), [B, d, T, 1]); // (B, T, d) -> (B, d, T, 1)
    const s = tf.reshape(tf.matMul(decay, vs), [B, d, T]); // (B, d, T, 1) -> (B, d, T)
    return tf.transpose(s, [0, 2, 1]) as tf.Tensor3D; // (B, d, T) -> (B, T, d)
  }

  /** (B, T, d) -> (B, T, d). */
  forward(x: tf.Tensor, ctx: ForwardContext = new ForwardContext({ training: this.training })): tf.Tensor {
    if (x.rank !== 3 || x.shape[2] !== this.dim) throw new Error(`LinearRecurrenceMixer: input shape [${x.shape}] must be (B, T, dim=${this.dim})`);
    const { u, logA, b, g } = this.gates(x as tf.Tensor3D, ctx);
    const s = this.states(logA, tf.mul(b, u) as tf.Tensor3D);
    return this.outProj.forward(tf.mul(s, tf.mul(g, tf.sigmoid(g))), ctx); // s ⊙ silu(g)
  }
}

/** Config of {@link HydraBlock}. */
export interface HydraBlockConfig {
  /** Model width d. */
  dim: number;
  /** Decay of the mixer at zero pre-activation. Default: 0.9. */
  decayInit?: number;
  /** The MoE feed-forward part (its `dim` is the block's). Default: 4 experts, top-2, hidden d, router 'mixtral'. */
  moe?: Omit<MoEConfig, 'dim'>;
  /** The product-key memory (its `dim` is the block's), or null for none. Default: 8 sub-keys (64 slots), top-4, 1 head. */
  pkm?: Omit<ProductKeyMemoryConfig, 'dim'> | null;
}

const HYDRA_KEYS = configKeys<HydraBlockConfig>({ dim: true, decayInit: true, moe: true, pkm: true });

/** A hybrid block: recurrence mixer, then MoE feed-forward plus product-key memory (B, T, d) -> (B, T, d). */
export class HydraBlock extends Module {
  readonly norm1: LayerNorm;
  readonly mixer: LinearRecurrenceMixer;
  readonly norm2: LayerNorm;
  readonly moe: MoE;
  readonly memory: ProductKeyMemory | null;

  constructor(config: HydraBlockConfig, rng: Rng = defaultRng()) {
    super();
    const who = 'HydraBlock';
    checkKnownKeys(who, config, HYDRA_KEYS);
    const dim = checkPositiveInt(who, 'dim', config.dim);
    this.norm1 = this.addModule('norm1', new LayerNorm({ dim }));
    this.mixer = this.addModule('mixer', new LinearRecurrenceMixer({ dim, decayInit: config.decayInit }, rng));
    this.norm2 = this.addModule('norm2', new LayerNorm({ dim }));
    this.moe = this.addModule('moe', new MoE({ numExperts: 4, topK: 2, hidden: dim, router: 'mixtral', ...config.moe, dim }, rng));
    const pkm = config.pkm === undefined ? { numSubKeys: 8, topK: 4 } : config.pkm;
    this.memory = pkm === null ? null : this.addModule('memory', new ProductKeyMemory({ ...pkm, dim }, rng));
  }

  /** (B, T, d) -> (B, T, d). */
  forward(x: tf.Tensor, ctx: ForwardContext = new ForwardContext({ training: this.training })): tf.Tensor {
    const h = tf.add(x, this.mixer.forward(this.norm1.forward(x, ctx), ctx));
    const n = this.norm2.forward(h, ctx);
    const y = tf.add(h, this.moe.forward(n, ctx));
    return this.memory ? tf.add(y, this.memory.forward(n, ctx)) : y;
  }
}

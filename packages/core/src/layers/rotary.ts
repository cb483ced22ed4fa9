// Rotary position embedding — Su et al., "RoFormer: Enhanced Transformer with Rotary Position
// Embedding", arXiv:2104.09864 — in the rotate-half convention of GPT-NeoX / LLaMA / transformers
// (dimension i pairs with i + D/2, not with its neighbour), with the frequency scalings of
// transformers' rope_type 'default', 'linear' (position interpolation), 'dynamic' (dynamic NTK),
// 'yarn' (YaRN, arXiv:2309.00071), 'longrope' (LongRoPE, arXiv:2402.13753) and 'llama3', as
// transformers 5's modeling_rope_utils computes them (float64 here, rounded once to float32).
import * as tf from '@tensorflow/tfjs-core';
import { checkOneOf, checkPositive, checkPositiveInt } from '../check.js';
import { checkKnownKeys, configKeys } from '../config.js';

/** Frequency scalings of {@link RotaryConfig.scaling}. */
export const ROPE_SCALINGS = ['default', 'linear', 'dynamic', 'yarn', 'longrope', 'llama3'] as const;

/** Config of a rotary embedding. */
export interface RotaryConfig {
  /** Rotated width: the head dimension D (even). */
  dim: number;
  /** Base θ of the frequencies θ^(−2i/D). Default: 10000. */
  theta?: number;
  /** Frequency scaling. Default: 'default' (none). */
  scaling?: (typeof ROPE_SCALINGS)[number];
  /**
   * 'linear', 'dynamic', 'yarn', 'llama3': the context stretch factor (required by 'dynamic'; 'yarn' and
   * 'longrope' default it to maxPositions / originalMaxPositions, as transformers does when it is unset).
   * Default: 1 ('linear', 'llama3').
   */
  factor?: number;
  /** 'llama3': wavelengths above originalMaxPositions / lowFreqFactor are divided by `factor`. Default: 1. */
  lowFreqFactor?: number;
  /** 'llama3': wavelengths below originalMaxPositions / highFreqFactor are kept. Default: 4. */
  highFreqFactor?: number;
  /**
   * The context length the model was pre-trained with. 'llama3': default 8192. 'yarn' and 'longrope':
   * default `maxPositions`; 'longrope' uses its long factors beyond it.
   */
  originalMaxPositions?: number;
  /** 'dynamic', 'yarn', 'longrope': the model's max_position_embeddings (required by 'dynamic'; 'yarn'/'longrope' need it or originalMaxPositions and factor). */
  maxPositions?: number;
  /** 'yarn', 'longrope': the cos/sin multiplier; default from the factor (YaRN's 0.1·ln(s)+1, LongRoPE's √(1+ln s/ln L)). */
  attentionFactor?: number;
  /** 'yarn': the number of rotations above which dimensions extrapolate. Default: 32. */
  betaFast?: number;
  /** 'yarn': the number of rotations below which dimensions interpolate. Default: 1. */
  betaSlow?: number;
  /** 'yarn': round the correction range outward to whole dimensions. Default: true. */
  truncate?: boolean;
  /** 'yarn' (DeepSeek): with mscaleAllDim, attentionFactor = mscale(factor, mscale) / mscale(factor, mscaleAllDim). */
  mscale?: number;
  /** 'yarn' (DeepSeek): see `mscale`. */
  mscaleAllDim?: number;
  /** 'longrope': D/2 divisors of the frequencies for sequences up to originalMaxPositions. */
  shortFactor?: number[];
  /** 'longrope': D/2 divisors of the frequencies for longer sequences. */
  longFactor?: number[];
}

const ROTARY_KEYS = configKeys<RotaryConfig>({
  dim: true, theta: true, scaling: true, factor: true, lowFreqFactor: true, highFreqFactor: true, originalMaxPositions: true,
  maxPositions: true, attentionFactor: true, betaFast: true, betaSlow: true, truncate: true, mscale: true, mscaleAllDim: true, shortFactor: true, longFactor: true,
});

/** Keys each scaling reads beyond dim, theta and scaling; any other key set is refused by name. */
const SCALING_KEYS: Record<(typeof ROPE_SCALINGS)[number], ReadonlyArray<keyof RotaryConfig>> = {
  default: [],
  linear: ['factor'],
  dynamic: ['factor', 'maxPositions'],
  yarn: ['factor', 'maxPositions', 'originalMaxPositions', 'attentionFactor', 'betaFast', 'betaSlow', 'truncate', 'mscale', 'mscaleAllDim'],
  longrope: ['factor', 'maxPositions', 'originalMaxPositions', 'attentionFactor', 'shortFactor', 'longFactor'],
  llama3: ['factor', 'lowFreqFactor', 'highFreqFactor', 'originalMaxPositions'],
};

/** Inverse frequencies and the cos/sin multiplier of a rotary embedding at one sequence length. */
export interface RopeParameters {
  /** The D/2 inverse frequencies. */
  invFreq: Float32Array;
  /** Multiplier of cos and sin (transformers' attention_scaling): 1 except for 'yarn' and 'longrope'. */
  attentionScaling: number;
}

/**
 * The inverse frequencies and cos/sin multiplier of `config` for a sequence of `seqLen` positions
 * (the largest position + 1; only 'dynamic' and 'longrope' depend on it, and without it they give
 * what transformers computes at init: the unscaled 'dynamic' base, 'longrope''s short factors). One
 * function per rope type of transformers' `ROPE_INIT_FUNCTIONS`.
 */
export function ropeParameters(config: RotaryConfig, seqLen?: number): RopeParameters {
  const who = 'rotary';
  checkKnownKeys(who, config, ROTARY_KEYS);
  const dim = checkPositiveInt(who, 'dim', config.dim);
  if (dim % 2 !== 0) throw new Error(`${who}: dim=${dim} must be even (rotate-half pairs dimension i with i + dim/2)`);
  const theta = checkPositive(who, 'theta', config.theta ?? 10000);
  const scaling = config.scaling ?? 'default';
  checkOneOf(who, 'scaling', scaling, ROPE_SCALINGS);
  for (const k of Object.keys(config) as Array<keyof RotaryConfig>) {
    if (k === 'dim' || k === 'theta' || k === 'scaling' || config[k] === undefined) continue;
    if (!SCALING_KEYS[scaling].includes(k)) throw new Error(`${who}: ${k} is set but scaling=${JSON.stringify(scaling)} does not use it (it reads ${SCALING_KEYS[scaling].join(', ') || 'nothing more'})`);
  }
  if (seqLen !== undefined) checkPositiveInt(who, 'seqLen', seqLen);
  const half = dim / 2;
  // θ^(2i/D), i = 0 … D/2−1 (transformers: base ** (arange(0, dim, 2) / dim)).
  const posFreq = Array.from({ length: half }, (_, i) => Math.pow(theta, (2 * i) / dim));
  const out = (inv: number[], attentionScaling = 1): RopeParameters => ({ invFreq: Float32Array.from(inv), attentionScaling });
  switch (scaling) {
    case 'default':
      return out(posFreq.map((p) => 1 / p));
    case 'linear': {
      const factor = checkPositive(who, 'factor', config.factor ?? 1);
      return out(posFreq.map((p) => 1 / p / factor));
    }
    case 'llama3':
      return out(llama3(who, config, posFreq.map((p) => 1 / p)));
    case 'dynamic':
      return out(dynamicNtk(who, config, dim, theta, seqLen));
    case 'yarn':
      return yarn(who, config, dim, theta, posFreq);
    case 'longrope':
      return longrope(who, config, half, posFreq, seqLen);
  }
}

/**
 * The D/2 inverse frequencies of `config` as transformers computes them at init (see {@link ropeParameters}).
 */
export function ropeInverseFrequencies(config: RotaryConfig): Float32Array {
  return ropeParameters(config).invFreq;
}

function llama3(who: string, config: RotaryConfig, inv: number[]): number[] {
  const factor = checkPositive(who, 'factor', config.factor ?? 1);
  const low = checkPositive(who, 'lowFreqFactor', config.lowFreqFactor ?? 1);
  const high = checkPositive(who, 'highFreqFactor', config.highFreqFactor ?? 4);
  const old = checkPositive(who, 'originalMaxPositions', config.originalMaxPositions ?? 8192);
  if (!(high > low)) throw new Error(`${who}: highFreqFactor=${high} must be greater than lowFreqFactor=${low}`);
  const lowWavelen = old / low;
  const highWavelen = old / high;
  return inv.map((f) => {
    const wavelen = (2 * Math.PI) / f;
    if (wavelen < highWavelen) return f; // high frequencies: unchanged
    if (wavelen > lowWavelen) return f / factor; // low frequencies: interpolated
    const smooth = (old / wavelen - low) / (high - low); // medium: blend of the two
    return (1 - smooth) * (f / factor) + smooth * f;
  });
}

/** Dynamic NTK: the base grows with the sequence once it passes maxPositions. */
function dynamicNtk(who: string, config: RotaryConfig, dim: number, theta: number, seqLen: number | undefined): number[] {
  if (config.factor === undefined) throw new Error(`${who}: scaling="dynamic" needs factor`);
  if (config.maxPositions === undefined) throw new Error(`${who}: scaling="dynamic" needs maxPositions (max_position_embeddings)`);
  const factor = checkPositive(who, 'factor', config.factor);
  const maxPos = checkPositiveInt(who, 'maxPositions', config.maxPositions);
  const len = Math.max(seqLen ?? maxPos, maxPos);
  const base = theta * Math.pow((factor * len) / maxPos - (factor - 1), dim / (dim - 2));
  return Array.from({ length: dim / 2 }, (_, i) => 1 / Math.pow(base, (2 * i) / dim));
}

/** The factor and pre-training length of 'yarn' and 'longrope' (transformers 5: factor defaults to max / original). */
function stretch(who: string, config: RotaryConfig): { factor: number; original: number } {
  const maxPos = config.maxPositions === undefined ? undefined : checkPositiveInt(who, 'maxPositions', config.maxPositions);
  const original = config.originalMaxPositions ?? maxPos;
  if (original === undefined) throw new Error(`${who}: scaling="${config.scaling}" needs originalMaxPositions or maxPositions`);
  checkPositiveInt(who, 'originalMaxPositions', original);
  if (config.factor !== undefined) return { factor: checkPositive(who, 'factor', config.factor), original };
  if (maxPos === undefined) throw new Error(`${who}: scaling="${config.scaling}" needs factor, or maxPositions to derive it from`);
  return { factor: maxPos / original, original };
}

/** YaRN: interpolate the low frequencies by `factor`, keep the high ones, ramp linearly between. */
function yarn(who: string, config: RotaryConfig, dim: number, theta: number, posFreq: number[]): RopeParameters {
  const { factor, original } = stretch(who, config);
  const mscaleOf = (scale: number, m = 1) => (scale <= 1 ? 1 : 0.1 * m * Math.log(scale) + 1);
  let attention = config.attentionFactor;
  if (attention !== undefined) checkPositive(who, 'attentionFactor', attention);
  // transformers tests `mscale and mscale_all_dim`: a 0 counts as unset.
  else if (config.mscale && config.mscaleAllDim) attention = mscaleOf(factor, config.mscale) / mscaleOf(factor, config.mscaleAllDim);
  else attention = mscaleOf(factor);
  // transformers: `beta_fast or 32`, `beta_slow or 1`.
  const betaFast = config.betaFast || 32;
  const betaSlow = config.betaSlow || 1;
  checkPositive(who, 'betaFast', betaFast);
  checkPositive(who, 'betaSlow', betaSlow);
  // The dimension whose wavelength turns `rotations` times over the pre-training length.
  const correctionDim = (rotations: number) => (dim * Math.log(original / (rotations * 2 * Math.PI))) / (2 * Math.log(theta));
  let low = correctionDim(betaFast);
  let high = correctionDim(betaSlow);
  if (config.truncate ?? true) [low, high] = [Math.floor(low), Math.ceil(high)];
  low = Math.max(low, 0);
  high = Math.min(high, dim - 1);
  if (low === high) high += 0.001; // transformers: prevent the singularity
  const inv = posFreq.map((p, i) => {
    const ramp = Math.min(Math.max((i - low) / (high - low), 0), 1);
    const extrapolation = 1 - ramp; // 1: keep the frequency, 0: divide it by factor
    return (1 / (factor * p)) * (1 - extrapolation) + (1 / p) * extrapolation;
  });
  return { invFreq: Float32Array.from(inv), attentionScaling: attention };
}

/** LongRoPE: per-frequency divisors, the short ones up to originalMaxPositions and the long ones beyond. */
function longrope(who: string, config: RotaryConfig, half: number, posFreq: number[], seqLen: number | undefined): RopeParameters {
  const { factor, original } = stretch(who, config);
  const list = (key: 'shortFactor' | 'longFactor'): number[] => {
    const v = config[key];
    if (!Array.isArray(v) || v.length !== half || !v.every((f) => typeof f === 'number' && Number.isFinite(f) && f > 0)) {
      throw new Error(`${who}: ${key} must be ${half} positive numbers (one per frequency, dim/2), got ${Array.isArray(v) ? `${v.length} values` : typeof v}`);
    }
    return v;
  };
  const short = list('shortFactor');
  const long = list('longFactor');
  let attention = config.attentionFactor;
  if (attention !== undefined) checkPositive(who, 'attentionFactor', attention);
  else attention = factor <= 1 ? 1 : Math.sqrt(1 + Math.log(factor) / Math.log(original));
  const ext = seqLen !== undefined && seqLen > original ? long : short;
  return { invFreq: Float32Array.from(posFreq.map((p, i) => 1 / (Math.fround(ext[i]!) * p))), attentionScaling: attention };
}

/**
 * The frequencies a rotary embedding uses at each call, as transformers' `dynamic_rope_update` keeps
 * them: 'dynamic' recomputes them when the sequence grows past the longest seen beyond maxPositions
 * and returns to the originals for a sequence shorter than maxPositions; 'longrope' switches to its
 * long factors beyond originalMaxPositions; other types never change.
 */
export class RopeFrequencies {
  private readonly initial: RopeParameters;
  private current: RopeParameters;
  private cachedLen: number;
  private long: RopeParameters | null = null;

  constructor(readonly config: RotaryConfig) {
    this.initial = ropeParameters(config);
    this.current = this.initial;
    this.cachedLen = config.maxPositions ?? 0;
  }

  /** The parameters for a call whose largest position is `seqLen` − 1. */
  at(seqLen: number): RopeParameters {
    const scaling = this.config.scaling ?? 'default';
    if (scaling === 'dynamic') {
      const original = this.config.maxPositions!;
      if (seqLen > this.cachedLen) {
        this.current = ropeParameters(this.config, seqLen);
        this.cachedLen = seqLen;
      }
      if (seqLen < original && this.cachedLen > original) {
        this.current = this.initial;
        this.cachedLen = original;
      }
      return this.current;
    }
    if (scaling === 'longrope') {
      const original = this.config.originalMaxPositions ?? this.config.maxPositions!;
      if (seqLen <= original) return this.initial;
      // transformers computes the long table once, at original + 1, with the init's attention scaling.
      this.long ??= { invFreq: ropeParameters(this.config, original + 1).invFreq, attentionScaling: this.initial.attentionScaling };
      return this.long;
    }
    return this.initial;
  }
}

/**
 * cos and sin tables (T, D) for positions offset … offset+T−1: angle(t, i) = t · invFreq[i mod D/2]
 * (the half table repeated, as transformers' `cat((freqs, freqs))`), times `attentionScaling`.
 */
export function rotaryTables(invFreq: Float32Array, offset: number, T: number, attentionScaling = 1): { cos: tf.Tensor2D; sin: tf.Tensor2D } {
  const half = invFreq.length;
  const D = 2 * half;
  const cos = new Float32Array(T * D);
  const sin = new Float32Array(T * D);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < half; i++) {
      const a = Math.fround(Math.fround(offset + t) * invFreq[i]!); // float32 product, as transformers' matmul
      const c = Math.cos(a) * attentionScaling;
      const s = Math.sin(a) * attentionScaling;
      cos[t * D + i] = c;
      cos[t * D + i + half] = c;
      sin[t * D + i] = s;
      sin[t * D + i + half] = s;
    }
  }
  return { cos: tf.tensor2d(cos, [T, D]), sin: tf.tensor2d(sin, [T, D]) };
}

/** x · cos + rotateHalf(x) · sin over the last axis; x (..., T, D), cos and sin (T, D); rotateHalf(x) = [−x₂, x₁]. */
export function applyRotary(x: tf.Tensor, cos: tf.Tensor, sin: tf.Tensor): tf.Tensor {
  const D = x.shape[x.rank - 1]!;
  const [x1, x2] = tf.split(x, [D / 2, D / 2], -1);
  const rotated = tf.concat([tf.neg(x2!), x1!], -1);
  return tf.add(tf.mul(x, cos), tf.mul(rotated, sin));
}

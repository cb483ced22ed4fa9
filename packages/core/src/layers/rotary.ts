// Rotary position embedding — Su et al., "RoFormer: Enhanced Transformer with Rotary Position
// Embedding", arXiv:2104.09864 — in the rotate-half convention of GPT-NeoX / LLaMA / transformers
// (dimension i pairs with i + D/2, not with its neighbour), with the frequency scalings of
// transformers' rope_type 'default', 'linear' (position interpolation) and 'llama3'.
import * as tf from '@tensorflow/tfjs-core';
import { checkOneOf, checkPositive, checkPositiveInt } from '../check.js';
import { checkKnownKeys, configKeys } from '../config.js';

/** Frequency scalings of {@link RotaryConfig.scaling}. */
export const ROPE_SCALINGS = ['default', 'linear', 'llama3'] as const;

/** Config of a rotary embedding. */
export interface RotaryConfig {
  /** Rotated width: the head dimension D (even). */
  dim: number;
  /** Base θ of the frequencies θ^(−2i/D). Default: 10000. */
  theta?: number;
  /** Frequency scaling. Default: 'default' (none). */
  scaling?: (typeof ROPE_SCALINGS)[number];
  /** 'linear' and 'llama3': the factor positions (or long wavelengths) are stretched by. Default: 1. */
  factor?: number;
  /** 'llama3': wavelengths above originalMaxPositions / lowFreqFactor are divided by `factor`. Default: 1. */
  lowFreqFactor?: number;
  /** 'llama3': wavelengths below originalMaxPositions / highFreqFactor are kept. Default: 4. */
  highFreqFactor?: number;
  /** 'llama3': the context length the model was pre-trained with. Default: 8192. */
  originalMaxPositions?: number;
}

const ROTARY_KEYS = configKeys<RotaryConfig>({ dim: true, theta: true, scaling: true, factor: true, lowFreqFactor: true, highFreqFactor: true, originalMaxPositions: true });

/**
 * The D/2 inverse frequencies θ^(−2i/D), i = 0 … D/2−1, after the config's scaling (transformers'
 * `_compute_default_rope_parameters`, `_compute_linear_scaling_rope_parameters`, `_compute_llama3_parameters`).
 */
export function ropeInverseFrequencies(config: RotaryConfig): Float32Array {
  const who = 'rotary';
  checkKnownKeys(who, config, ROTARY_KEYS);
  const dim = checkPositiveInt(who, 'dim', config.dim);
  if (dim % 2 !== 0) throw new Error(`${who}: dim=${dim} must be even (rotate-half pairs dimension i with i + dim/2)`);
  const theta = checkPositive(who, 'theta', config.theta ?? 10000);
  const scaling = config.scaling ?? 'default';
  checkOneOf(who, 'scaling', scaling, ROPE_SCALINGS);
  const factor = checkPositive(who, 'factor', config.factor ?? 1);
  const inv = new Float32Array(dim / 2);
  for (let i = 0; i < dim / 2; i++) inv[i] = 1 / Math.pow(theta, (2 * i) / dim);
  if (scaling === 'linear') for (let i = 0; i < inv.length; i++) inv[i] = inv[i]! / factor;
  if (scaling === 'llama3') {
    const low = checkPositive(who, 'lowFreqFactor', config.lowFreqFactor ?? 1);
    const high = checkPositive(who, 'highFreqFactor', config.highFreqFactor ?? 4);
    const old = checkPositive(who, 'originalMaxPositions', config.originalMaxPositions ?? 8192);
    if (!(high > low)) throw new Error(`${who}: highFreqFactor=${high} must be greater than lowFreqFactor=${low}`);
    const lowWavelen = old / low;
    const highWavelen = old / high;
    for (let i = 0; i < inv.length; i++) {
      const f = inv[i]!;
      const wavelen = (2 * Math.PI) / f;
      if (wavelen < highWavelen) continue; // high frequencies: unchanged
      if (wavelen > lowWavelen) inv[i] = f / factor; // low frequencies: interpolated
      else {
        const smooth = (old / wavelen - low) / (high - low); // medium: blend of the two
        inv[i] = (1 - smooth) * (f / factor) + smooth * f;
      }
    }
  }
  return inv;
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

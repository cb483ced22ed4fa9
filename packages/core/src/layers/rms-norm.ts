// RMSNorm (Zhang & Sennrich, arXiv:1910.07467) in LLaMA's form: y = x / √(mean(x²) + eps) · weight,
// no mean subtraction, no bias, weight initialised to 1.
import * as tf from '@tensorflow/tfjs-core';
import type { ForwardContext } from '../context.js';
import { Module } from '../module.js';
import { checkPositive, checkPositiveInt } from '../check.js';
import { checkLastDim } from './layer-norm.js';
import { checkKnownKeys, configKeys } from '../config.js';
import { rmsNorm } from '../ops/layer-norm.js';

/** Config of {@link RMSNorm}. */
export interface RMSNormConfig {
  /** Size of the normalised (last) axis. */
  dim: number;
  /** Added to the mean square. Default: 1e-6 (LLaMA). */
  eps?: number;
  /** Learn a per-feature scale (init 1). Default: true. */
  elementwiseAffine?: boolean;
}

/** Every key of {@link RMSNormConfig}, for the unknown-key check. */
const RMS_NORM_KEYS = configKeys<RMSNormConfig>({ dim: true, eps: true, elementwiseAffine: true });

/** Root-mean-square normalisation over the last axis. */
export class RMSNorm extends Module {
  /** Scale, [dim], or null. */
  readonly weight: tf.Variable | null;
  /** The epsilon in use. */
  readonly eps: number;

  constructor(readonly config: RMSNormConfig) {
    super();
    checkKnownKeys('RMSNorm', config, RMS_NORM_KEYS);
    checkPositiveInt('RMSNorm', 'dim', config.dim);
    this.eps = config.eps ?? 1e-6;
    checkPositive('RMSNorm', 'eps', this.eps);
    this.weight = config.elementwiseAffine === false ? null : this.addParameter('weight', tf.ones([config.dim]));
  }

  forward(x: tf.Tensor, _ctx?: ForwardContext): tf.Tensor {
    checkLastDim('RMSNorm', x, this.config.dim);
    return rmsNorm(x, this.weight, this.eps); // fused on cpu and wasm (ops/layer-norm.ts)
  }
}

// LayerNorm over the last axis: y = (x − mean) / √(var + eps) · weight + bias, with the biased
// variance, as PyTorch's nn.LayerNorm(dim).
import * as tf from '@tensorflow/tfjs-core';
import type { ForwardContext } from '../context.js';
import { Module } from '../module.js';
import { checkPositive, checkPositiveInt } from '../check.js';
import { checkKnownKeys, configKeys } from '../config.js';
import { layerNorm } from '../ops/layer-norm.js';

/** Config of {@link LayerNorm}. */
export interface LayerNormConfig {
  /** Size of the normalised (last) axis. */
  dim: number;
  /** Added to the variance. Default: 1e-5 (PyTorch). */
  eps?: number;
  /** Learn a per-feature scale (init 1) and bias (init 0). Default: true. */
  elementwiseAffine?: boolean;
  /** Learn the bias (only with `elementwiseAffine`). Default: true. */
  bias?: boolean;
}

/** Every key of {@link LayerNormConfig}, for the unknown-key check. */
const LAYER_NORM_KEYS = configKeys<LayerNormConfig>({ dim: true, eps: true, elementwiseAffine: true, bias: true });

/** Layer normalisation over the last axis. */
export class LayerNorm extends Module {
  /** Scale, [dim], or null. */
  readonly weight: tf.Variable | null;
  /** Shift, [dim], or null. */
  readonly bias: tf.Variable | null;
  /** The epsilon in use. */
  readonly eps: number;

  constructor(readonly config: LayerNormConfig) {
    super();
    checkKnownKeys('LayerNorm', config, LAYER_NORM_KEYS);
    checkPositiveInt('LayerNorm', 'dim', config.dim);
    this.eps = config.eps ?? 1e-5;
    checkPositive('LayerNorm', 'eps', this.eps);
    const affine = config.elementwiseAffine !== false;
    this.weight = affine ? this.addParameter('weight', tf.ones([config.dim])) : null;
    this.bias = affine && config.bias !== false ? this.addParameter('bias', tf.zeros([config.dim])) : null;
  }

  forward(x: tf.Tensor, _ctx?: ForwardContext): tf.Tensor {
    checkLastDim('LayerNorm', x, this.config.dim);
    return layerNorm(x, this.weight, this.bias, this.eps); // fused on cpu and wasm (ops/layer-norm.ts)
  }
}

/** Throw unless the last axis of `x` has size `dim`. */
export function checkLastDim(layer: string, x: tf.Tensor, dim: number, argName = 'dim'): void {
  if (x.rank < 1 || x.shape[x.rank - 1] !== dim) {
    throw new Error(`${layer}: input last dimension ${x.shape[x.rank - 1]} (shape [${x.shape}]) must equal ${argName}=${dim}`);
  }
}

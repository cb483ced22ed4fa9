// Linear: y = x W + b over the last axis. W is stored [in, out] (tfjs matMul layout; PyTorch
// stores [out, in] — PEFT interop transposes at the file boundary).
import * as tf from '@tensorflow/tfjs-core';
import type { ForwardContext } from '../context.js';
import { Module } from '../module.js';
import { defaultRng, type Rng } from '../random.js';
import { fanInUniform } from './init.js';
import { checkPositiveInt } from '../check.js';
import { checkKnownKeys, configKeys } from '../config.js';
import { linear } from '../ops/linear.js';

/** Config of {@link Linear}. */
export interface LinearConfig {
  /** Input features. */
  inFeatures: number;
  /** Output features. */
  outFeatures: number;
  /** Learn a bias. Default: true. */
  bias?: boolean;
}

/** Every key of {@link LinearConfig}, for the unknown-key check. */
const LINEAR_KEYS = configKeys<LinearConfig>({ inFeatures: true, outFeatures: true, bias: true });

/** A fully connected layer. */
export class Linear extends Module {
  /** Weight, [in, out]. */
  readonly weight: tf.Variable;
  /** Bias, [out], or null. */
  readonly bias: tf.Variable | null;

  constructor(readonly config: LinearConfig, rng: Rng = defaultRng()) {
    super();
    checkKnownKeys('Linear', config, LINEAR_KEYS);
    checkPositiveInt('Linear', 'inFeatures', config.inFeatures);
    checkPositiveInt('Linear', 'outFeatures', config.outFeatures);
    const { inFeatures, outFeatures } = config;
    this.weight = this.addParameter('weight', fanInUniform([inFeatures, outFeatures], inFeatures, rng));
    this.bias = config.bias === false ? null : this.addParameter('bias', fanInUniform([outFeatures], inFeatures, rng));
  }

  forward(x: tf.Tensor, _ctx?: ForwardContext): tf.Tensor {
    const { inFeatures } = this.config;
    if (x.shape[x.rank - 1] !== inFeatures) {
      throw new Error(`Linear: input last dimension ${x.shape[x.rank - 1]} (shape [${x.shape}]) must equal inFeatures=${inFeatures}`);
    }
    return linear(x, this.weight, this.bias); // (…, in) -> (…, out): one kernel on cpu and wasm (ops/linear.ts)
  }
}

// Activation functions (elementwise, differentiable on every backend) and an `Activation` module
// that applies one by name, so configs can name activations as plain strings.
import * as tf from '@tensorflow/tfjs-core';
import type { ForwardContext } from '../context.js';
import { Module } from '../module.js';
import { checkOneOf } from '../check.js';
import { checkKnownKeys, configKeys } from '../config.js';
import { fusedActivation } from '../ops/activation.js';

/** Exact GELU, x·Φ(x) = ½x(1 + erf(x/√2)) (PyTorch `gelu`, approximate='none'); fused on cpu and wasm. */
export function gelu(x: tf.Tensor): tf.Tensor {
  return fusedActivation('gelu', x);
}

/** Tanh-approximated GELU, ½x(1 + tanh(√(2/π)(x + 0.044715x³))) (PyTorch approximate='tanh', GPT-2's "gelu_new"); fused on cpu and wasm. */
export function geluTanh(x: tf.Tensor): tf.Tensor {
  return fusedActivation('gelu_tanh', x);
}

/** SiLU / swish, x·σ(x); fused on cpu and wasm. */
export function silu(x: tf.Tensor): tf.Tensor {
  return fusedActivation('silu', x);
}

/** ReLU, max(x, 0). */
export function relu(x: tf.Tensor): tf.Tensor {
  return tf.relu(x);
}

/** Logistic sigmoid. */
export function sigmoid(x: tf.Tensor): tf.Tensor {
  return tf.sigmoid(x);
}

/** Hyperbolic tangent. */
export function tanh(x: tf.Tensor): tf.Tensor {
  return tf.tanh(x);
}

/** The identity (returns its input). */
export function identity(x: tf.Tensor): tf.Tensor {
  return x;
}

/** Activation functions by name. */
export const ACTIVATIONS = {
  relu,
  gelu,
  gelu_tanh: geluTanh,
  silu,
  sigmoid,
  tanh,
  identity,
} as const satisfies Record<string, (x: tf.Tensor) => tf.Tensor>;

/** The name of an activation in {@link ACTIVATIONS}. */
export type ActivationName = keyof typeof ACTIVATIONS;

/** Look up an activation by name; `who` names the caller in the error for an unknown name. */
export function activationFn(name: ActivationName, who = 'activation'): (x: tf.Tensor) => tf.Tensor {
  checkOneOf(who, 'activation', name, Object.keys(ACTIVATIONS) as ActivationName[]);
  return ACTIVATIONS[name];
}

/** Config of {@link Activation}. */
export interface ActivationConfig {
  /** Which activation. Default: 'relu'. */
  activation?: ActivationName;
}

/** Every key of {@link ActivationConfig}, for the unknown-key check. */
const ACTIVATION_KEYS = configKeys<ActivationConfig>({ activation: true });

/** A parameter-free module applying an activation (for `Sequential`). */
export class Activation extends Module {
  private readonly fn: (x: tf.Tensor) => tf.Tensor;

  constructor(readonly config: ActivationConfig = {}) {
    super();
    checkKnownKeys('Activation', config, ACTIVATION_KEYS);
    this.fn = activationFn(config.activation ?? 'relu', 'Activation');
  }

  forward(x: tf.Tensor, _ctx?: ForwardContext): tf.Tensor {
    return this.fn(x);
  }
}

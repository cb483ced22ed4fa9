// Optimisers by name, so a page or a JSON config can say `{ name: 'adam', learningRate: 0.01 }`: Adam,
// AdamW and SGD are Weft's multi-tensor optimizers (one kernel per step on cpu and wasm), the others tfjs's.
import * as tf from '@tensorflow/tfjs-core';
import { checkKnownKeys, configKeys, describeValue } from '../config.js';
import { FusedAdam, FusedSGD } from './fused-optimizers.js';

/** An optimiser named in a plain config. */
export interface OptimizerConfig {
  /** Which optimiser. */
  name: 'sgd' | 'momentum' | 'adam' | 'rmsprop' | 'adagrad' | 'adamw';
  /** Learning rate. */
  learningRate: number;
  /** Momentum for `momentum` (default 0.9) and `rmsprop` (default 0). */
  momentum?: number;
  /** Adam β1 (default 0.9). */
  beta1?: number;
  /** Adam β2 (default 0.999). */
  beta2?: number;
  /** AdamW's decoupled weight decay λ (default 0.01, PyTorch's). */
  weightDecay?: number;
}

/** Every key of {@link OptimizerConfig}, for the unknown-key check. */
const OPTIMIZER_KEYS = configKeys<OptimizerConfig>({ name: true, learningRate: true, momentum: true, beta1: true, beta2: true, weightDecay: true });

/** The names {@link makeOptimizer} accepts. */
export const OPTIMIZERS = ['sgd', 'momentum', 'adam', 'rmsprop', 'adagrad', 'adamw'] as const;

/** Create an optimiser (a tf.Optimizer) from a config, validating it. */
export function makeOptimizer(config: OptimizerConfig): tf.Optimizer {
  checkKnownKeys('makeOptimizer', config, OPTIMIZER_KEYS);
  const { name, learningRate: lr } = config;
  if (!(typeof lr === 'number' && lr > 0 && Number.isFinite(lr))) {
    throw new Error(`makeOptimizer: learningRate=${describeValue(lr)} must be a finite number > 0`);
  }
  switch (name) {
    case 'sgd':
      return new FusedSGD(lr);
    case 'momentum':
      return tf.train.momentum(lr, config.momentum ?? 0.9);
    case 'adam':
      return new FusedAdam(lr, { beta1: config.beta1, beta2: config.beta2 });
    case 'adamw': {
      const weightDecay = config.weightDecay ?? 0.01;
      if (!(typeof weightDecay === 'number' && weightDecay >= 0 && Number.isFinite(weightDecay))) {
        throw new Error(`makeOptimizer: weightDecay=${describeValue(weightDecay)} must be a finite number >= 0`);
      }
      return new FusedAdam(lr, { beta1: config.beta1, beta2: config.beta2, weightDecay });
    }
    case 'rmsprop':
      return tf.train.rmsprop(lr, 0.9, config.momentum ?? 0);
    case 'adagrad':
      return tf.train.adagrad(lr);
    default:
      throw new Error(`makeOptimizer: name=${describeValue(name)}; allowed: ${OPTIMIZERS.join(', ')}`);
  }
}

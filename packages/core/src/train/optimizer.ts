// Optimisers by name, from tfjs, so a page or a JSON config can say `{ name: 'adam', learningRate: 0.01 }`.
import * as tf from '@tensorflow/tfjs-core';
import { checkKnownKeys, configKeys, describeValue } from '../config.js';

/** An optimiser named in a plain config. */
export interface OptimizerConfig {
  /** Which tfjs optimiser. */
  name: 'sgd' | 'momentum' | 'adam' | 'rmsprop' | 'adagrad';
  /** Learning rate. */
  learningRate: number;
  /** Momentum for `momentum` (default 0.9) and `rmsprop` (default 0). */
  momentum?: number;
  /** Adam β1 (default 0.9). */
  beta1?: number;
  /** Adam β2 (default 0.999). */
  beta2?: number;
}

/** Every key of {@link OptimizerConfig}, for the unknown-key check. */
const OPTIMIZER_KEYS = configKeys<OptimizerConfig>({ name: true, learningRate: true, momentum: true, beta1: true, beta2: true });

/** The names {@link makeOptimizer} accepts. */
export const OPTIMIZERS = ['sgd', 'momentum', 'adam', 'rmsprop', 'adagrad'] as const;

/** Create a tfjs optimiser from a config, validating it. */
export function makeOptimizer(config: OptimizerConfig): tf.Optimizer {
  checkKnownKeys('makeOptimizer', config, OPTIMIZER_KEYS);
  const { name, learningRate: lr } = config;
  if (!(typeof lr === 'number' && lr > 0 && Number.isFinite(lr))) {
    throw new Error(`makeOptimizer: learningRate=${describeValue(lr)} must be a finite number > 0`);
  }
  switch (name) {
    case 'sgd':
      return tf.train.sgd(lr);
    case 'momentum':
      return tf.train.momentum(lr, config.momentum ?? 0.9);
    case 'adam':
      return tf.train.adam(lr, config.beta1 ?? 0.9, config.beta2 ?? 0.999);
    case 'rmsprop':
      return tf.train.rmsprop(lr, 0.9, config.momentum ?? 0);
    case 'adagrad':
      return tf.train.adagrad(lr);
    default:
      throw new Error(`makeOptimizer: name=${describeValue(name)}; allowed: ${OPTIMIZERS.join(', ')}`);
  }
}

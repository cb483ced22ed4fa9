// Dropout: in training, zero each element with probability `rate` and scale the rest by
// 1/(1−rate) (inverted dropout, as PyTorch). The mask is drawn in JavaScript from the forward
// context's seeded stream and uploaded, so the same seed gives the same mask on every backend.
import * as tf from '@tensorflow/tfjs-core';
import type { ForwardContext } from '../context.js';
import { Module } from '../module.js';
import { checkNumber } from '../check.js';
import { checkKnownKeys, configKeys } from '../config.js';

/** Apply inverted dropout to `x` when `ctx` is training and `rate` > 0; otherwise return `x`. */
export function dropout(x: tf.Tensor, rate: number, ctx: ForwardContext | undefined): tf.Tensor {
  if (!ctx?.training || rate === 0) return x;
  const keep = 1 - rate;
  const scale = 1 / keep;
  const mask = new Float32Array(x.size);
  for (let i = 0; i < mask.length; i++) mask[i] = ctx.rng.next() < keep ? scale : 0;
  return tf.mul(x, tf.tensor(mask, x.shape, 'float32'));
}

/** Config of {@link Dropout}. */
export interface DropoutConfig {
  /** Probability of zeroing an element, in [0, 1). Default: 0.1. */
  rate?: number;
}

/** Every key of {@link DropoutConfig}, for the unknown-key check. */
const DROPOUT_KEYS = configKeys<DropoutConfig>({ rate: true });

/** Dropout as a module (active only when the forward context is training). */
export class Dropout extends Module {
  /** The drop probability. */
  readonly rate: number;

  constructor(readonly config: DropoutConfig = {}) {
    super();
    checkKnownKeys('Dropout', config, DROPOUT_KEYS);
    this.rate = config.rate ?? 0.1;
    checkDropoutRate('Dropout', 'rate', this.rate);
  }

  forward(x: tf.Tensor, ctx?: ForwardContext): tf.Tensor {
    return dropout(x, this.rate, ctx);
  }
}

/** Throw unless `rate` is in [0, 1). */
export function checkDropoutRate(layer: string, name: string, rate: unknown): void {
  checkNumber(layer, name, rate, 0, 1);
  if (rate === 1) throw new Error(`${layer}: ${name}=1 must be < 1 (it would drop everything)`);
}

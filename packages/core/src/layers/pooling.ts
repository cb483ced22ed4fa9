// Max and average pooling over NHWC images (tf.maxPool / tf.avgPool). Padding is 'valid' or
// 'same' (TensorFlow's: padded cells are ignored by both the max and the average).
import * as tf from '@tensorflow/tfjs-core';
import type { ForwardContext } from '../context.js';
import { Module } from '../module.js';
import { checkOneOf, checkRank } from '../check.js';
import { pair, type Size2 } from './conv2d.js';
import { checkKnownKeys, configKeys } from '../config.js';

/** Config of {@link MaxPool2d} and {@link AvgPool2d}. */
export interface Pool2dConfig {
  /** Window size. */
  kernelSize: Size2;
  /** Stride. Default: kernelSize (non-overlapping windows, as PyTorch). */
  stride?: Size2;
  /** 'valid' (drop partial windows) or 'same' (output = ⌈input / stride⌉). Default: 'valid'. */
  padding?: 'valid' | 'same';
}

/** Every key of {@link Pool2dConfig}, for the unknown-key check. */
const POOL2D_KEYS = configKeys<Pool2dConfig>({ kernelSize: true, stride: true, padding: true });

/** Shared argument handling of the 2-D pools. */
export abstract class Pool2d extends Module {
  protected readonly kernel: [number, number];
  protected readonly stride: [number, number];
  protected readonly padding: 'valid' | 'same';

  constructor(readonly config: Pool2dConfig, private readonly layer: string) {
    super();
    checkKnownKeys(layer, config, POOL2D_KEYS);
    this.kernel = pair(layer, 'kernelSize', config.kernelSize);
    this.stride = pair(layer, 'stride', config.stride ?? config.kernelSize);
    this.padding = config.padding ?? 'valid';
    checkOneOf(layer, 'padding', this.padding, ['valid', 'same'] as const);
  }

  /** Check the input is NHWC and large enough; return it typed as 4-D. */
  protected check(x: tf.Tensor): tf.Tensor4D {
    checkRank(this.layer, 'x', x, 4, '(batch, height, width, channels) — NHWC');
    if (this.padding === 'valid' && (x.shape[1]! < this.kernel[0] || x.shape[2]! < this.kernel[1])) {
      throw new Error(`${this.layer}: input ${x.shape[1]}×${x.shape[2]} (shape [${x.shape}]) is smaller than the window ${this.kernel[0]}×${this.kernel[1]}`);
    }
    return x as tf.Tensor4D;
  }
}

/** Max pooling: (B, H, W, C) -> (B, H', W', C). */
export class MaxPool2d extends Pool2d {
  constructor(config: Pool2dConfig) {
    super(config, 'MaxPool2d');
  }

  forward(x: tf.Tensor, _ctx?: ForwardContext): tf.Tensor {
    return tf.maxPool(this.check(x), this.kernel, this.stride, this.padding);
  }
}

/** Average pooling: (B, H, W, C) -> (B, H', W', C). */
export class AvgPool2d extends Pool2d {
  constructor(config: Pool2dConfig) {
    super(config, 'AvgPool2d');
  }

  forward(x: tf.Tensor, _ctx?: ForwardContext): tf.Tensor {
    return tf.avgPool(this.check(x), this.kernel, this.stride, this.padding);
  }
}

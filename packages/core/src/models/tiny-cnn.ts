// TinyCNN: (conv 'same' – ReLU – 2×2 max pool) × 2 → flatten → Linear, for small NHWC images
// (8×8×1 toy digits by default).
import * as tf from '@tensorflow/tfjs-core';
import type { ForwardContext } from '../context.js';
import { Module } from '../module.js';
import { defaultRng, type Rng } from '../random.js';
import { checkPositiveInt } from '../check.js';
import { Conv2d } from '../layers/conv2d.js';
import { Flatten } from '../layers/flatten.js';
import { Linear } from '../layers/linear.js';
import { MaxPool2d } from '../layers/pooling.js';
import { checkKnownKeys, configKeys } from '../config.js';

/** Config of {@link TinyCNN}. */
export interface TinyCNNConfig {
  /** Image height. Default: 8. */
  height?: number;
  /** Image width. Default: 8. */
  width?: number;
  /** Image channels. Default: 1. */
  inChannels?: number;
  /** Output channels of the two convolutions. Default: [8, 16]. */
  channels?: [number, number];
  /** Convolution kernel size (odd keeps 'same' symmetric). Default: 3. */
  kernelSize?: number;
  /** Number of classes. Default: 10. */
  numClasses?: number;
}

/** Every key of {@link TinyCNNConfig}, for the unknown-key check. */
const TINY_CNN_KEYS = configKeys<TinyCNNConfig>({ height: true, width: true, inChannels: true, channels: true, kernelSize: true, numClasses: true });

/** A two-stage convolutional classifier: (B, H, W, C) -> (B, numClasses) logits. */
export class TinyCNN extends Module {
  /** First convolution [k, k, inChannels, channels[0]]. */
  readonly conv1: Conv2d;
  /** Second convolution [k, k, channels[0], channels[1]]. */
  readonly conv2: Conv2d;
  /** The 2×2 max pool used after each convolution (no parameters). */
  readonly pool: MaxPool2d;
  /** Classifier over the flattened features. */
  readonly fc: Linear;
  private readonly flatten = new Flatten();

  constructor(readonly config: TinyCNNConfig = {}, rng: Rng = defaultRng()) {
    super();
    checkKnownKeys('TinyCNN', config, TINY_CNN_KEYS);
    const L = 'TinyCNN';
    const height = config.height ?? 8;
    const width = config.width ?? 8;
    const inChannels = config.inChannels ?? 1;
    const [c1, c2] = config.channels ?? [8, 16];
    const k = config.kernelSize ?? 3;
    const numClasses = config.numClasses ?? 10;
    for (const [n, v] of Object.entries({ height, width, inChannels, 'channels[0]': c1, 'channels[1]': c2, kernelSize: k, numClasses })) {
      checkPositiveInt(L, n, v);
    }
    if (height < 4 || width < 4) throw new Error(`${L}: height=${height}, width=${width} must be ≥ 4 (two 2×2 pools)`);
    this.conv1 = this.addModule('conv1', new Conv2d({ inChannels, outChannels: c1, kernelSize: k, padding: 'same' }, rng));
    this.conv2 = this.addModule('conv2', new Conv2d({ inChannels: c1, outChannels: c2, kernelSize: k, padding: 'same' }, rng));
    this.pool = this.addModule('pool', new MaxPool2d({ kernelSize: 2 }));
    const features = Math.floor(Math.floor(height / 2) / 2) * Math.floor(Math.floor(width / 2) / 2) * c2;
    this.fc = this.addModule('fc', new Linear({ inFeatures: features, outFeatures: numClasses }, rng));
  }

  /** (B, H, W, C) -> (B, numClasses). */
  forward(x: tf.Tensor, ctx?: ForwardContext): tf.Tensor {
    const { height = 8, width = 8, inChannels = 1 } = this.config;
    if (x.rank !== 4 || x.shape[1] !== height || x.shape[2] !== width || x.shape[3] !== inChannels) {
      throw new Error(`TinyCNN: x has shape [${x.shape}]; expected [batch, ${height}, ${width}, ${inChannels}] (NHWC)`);
    }
    let h = this.pool.forward(tf.relu(this.conv1.forward(x, ctx)), ctx); // (B, H/2, W/2, c1)
    h = this.pool.forward(tf.relu(this.conv2.forward(h, ctx)), ctx); // (B, H/4, W/4, c2)
    return this.fc.forward(this.flatten.forward(h, ctx), ctx); // (B, H/4·W/4·c2) -> (B, classes)
  }
}

// Balanced Mixture of SuperNets for Learning the CNN Pooling Architecture (arXiv 2306.11982), §3:
// the pooling search space — a CNN whose layers are fixed and whose downsampling positions are the
// architecture. Here: a 3×3 stem, `layers` 3×3 conv layers (ReLU), each optionally preceded by a
// 2×2 average pool, global average pooling and a linear head, on 8×8 images. A configuration is
// one bit per layer (1 = downsample its input), so each bit sets the resolution a conv runs at and
// every configuration is a different network (a pool after the last conv would be a no-op under
// the global average); every configuration uses every weight, which is why one supernet shares all
// of its parameters across configurations. Departure: a toy plain CNN for the paper's ResNet20,
// average pooling for its strided downsampling.
import * as tf from '@tensorflow/tfjs-core';
import { Conv2d, Linear, Module, ModuleList, Rng, resolveConfig, type ForwardContext } from '@weft/core';
import { checkInt } from '@weft/core/internal';

/** Config of a {@link PoolingNetwork}. */
export interface PoolingSpaceConfig {
  /** Conv layers after the stem, each with a downsampling position before it. Default 3. */
  layers: number;
  /** Channels of every conv. Default 8. */
  channels: number;
  /** Input channels. Default 1 (8×8 shapes). */
  inChannels: number;
  /** Classes. Default 6 (the 6 shapes). */
  numOutputs: number;
}

/** Defaults of {@link PoolingSpaceConfig}. */
export const POOLING_SPACE_DEFAULTS: PoolingSpaceConfig = { layers: 3, channels: 8, inChannels: 1, numOutputs: 6 };

/** Resolve and check a pooling space config. */
export function resolvePoolingSpace(config: Partial<PoolingSpaceConfig> = {}): PoolingSpaceConfig {
  const c = resolveConfig('poolingSpace', POOLING_SPACE_DEFAULTS, config);
  checkInt('poolingSpace', 'layers', c.layers, 1, 10);
  for (const k of ['channels', 'inChannels', 'numOutputs'] as const) checkInt('poolingSpace', k, c[k], 1);
  return c;
}

/** Every pooling configuration of `layers` layers (2^layers bit lists, in binary counting order). */
export function poolingConfigs(layers: number): number[][] {
  checkInt('poolingConfigs', 'layers', layers, 1, 10);
  return Array.from({ length: 2 ** layers }, (_, k) => Array.from({ length: layers }, (_, l) => (k >> (layers - 1 - l)) & 1));
}

/** A short name of a configuration, e.g. `0 1 1` → `·PP`. */
export function poolingKey(config: readonly number[]): string {
  return config.map((b) => (b ? 'P' : '·')).join('');
}

/** The CNN of the pooling space; `pooling` (one bit per layer) selects the configuration it runs. */
export class PoolingNetwork extends Module {
  readonly stem: Conv2d;
  readonly convs: ModuleList<Conv2d>;
  readonly head: Linear;
  /** The configuration the next forward runs (default: no downsampling). */
  pooling: number[];

  constructor(readonly space: PoolingSpaceConfig, rng: Rng) {
    super();
    const { channels: C, layers } = space;
    this.stem = this.addModule('stem', new Conv2d({ inChannels: space.inChannels, outChannels: C, kernelSize: 3, padding: 1 }, rng));
    this.convs = this.addModule('convs', new ModuleList(Array.from({ length: layers }, () => new Conv2d({ inChannels: C, outChannels: C, kernelSize: 3, padding: 1 }, rng))));
    this.head = this.addModule('head', new Linear({ inFeatures: C, outFeatures: space.numOutputs }, rng));
    this.pooling = new Array<number>(layers).fill(0);
  }

  /** (B, H, W, inChannels) -> (B, numOutputs) under the current {@link pooling}. */
  forward(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    if (this.pooling.length !== this.space.layers || this.pooling.some((b) => b !== 0 && b !== 1)) throw new Error(`PoolingNetwork: pooling=[${this.pooling}] must be ${this.space.layers} bits (0 or 1)`);
    let h = tf.relu(this.stem.forward(x, ctx)) as tf.Tensor4D;
    this.convs.items.forEach((conv, l) => {
      if (this.pooling[l] && h.shape[1] >= 2 && h.shape[2] >= 2) h = tf.avgPool(h, 2, 2, 'valid');
      h = tf.relu(conv.forward(h, ctx)) as tf.Tensor4D;
    });
    return this.head.forward(tf.mean(h, [1, 2]), ctx); // (B, H, W, C) -> (B, C) -> (B, numOutputs)
  }
}

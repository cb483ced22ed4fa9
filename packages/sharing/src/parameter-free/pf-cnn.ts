// Learning Features with Parameter-Free Layers (arXiv:2202.02777): a small image classifier for the
// 8×8 toy images — a 3×3 stem convolution, `blocks` inverted-bottleneck PfBlocks whose spatial
// operation is depthwise (trainable), max-pool or identity (parameter-free), global average pooling
// and a Linear head — so the three choices compare at equal depth and width.
import * as tf from '@tensorflow/tfjs-core';
import { Conv2d, Linear, Module, ModuleList, defaultRng, resolveConfig, type ForwardContext, type Rng } from '@weft/core';
import { checkPositiveInt } from '@weft/core/internal';
import { PfBlock, pfFlops, type PfSpatialOp } from './pf-block.js';

/** Config of {@link PfCNN}. */
export interface PfCNNConfig {
  /** Image side (square images). Default: 8. */
  size: number;
  /** Image channels. Default: 1. */
  inChannels: number;
  /** Channels of the stem and every block. Default: 16. */
  channels: number;
  /** Number of blocks. Default: 3. */
  blocks: number;
  /** Expansion of each block's hidden width. Default: 2. */
  expand: number;
  /** Spatial operation of every block. Default: 'maxpool'. */
  spatial: PfSpatialOp;
  /** Classes. Default: 6 (core's shapes). */
  numClasses: number;
}

/** The documented defaults of {@link PfCNNConfig}. */
export const PF_CNN_DEFAULTS: PfCNNConfig = { size: 8, inChannels: 1, channels: 16, blocks: 3, expand: 2, spatial: 'maxpool', numClasses: 6 };

/** (B, size, size, inChannels) -> (B, numClasses). */
export class PfCNN extends Module {
  /** The resolved config. */
  readonly cfg: PfCNNConfig;
  readonly stem: Conv2d;
  readonly blocks: ModuleList<PfBlock>;
  readonly head: Linear;

  constructor(config: Partial<PfCNNConfig> = {}, rng: Rng = defaultRng()) {
    super();
    const W = 'PfCNN';
    const c = (this.cfg = resolveConfig(W, PF_CNN_DEFAULTS, config));
    for (const k of ['size', 'inChannels', 'channels', 'blocks', 'expand', 'numClasses'] as const) checkPositiveInt(W, k, c[k]);
    this.stem = this.addModule('stem', new Conv2d({ inChannels: c.inChannels, outChannels: c.channels, kernelSize: 3, padding: 'same' }, rng));
    this.blocks = this.addModule('blocks', new ModuleList(Array.from({ length: c.blocks }, () => new PfBlock({ channels: c.channels, expand: c.expand, spatial: c.spatial }, rng))));
    this.head = this.addModule('head', new Linear({ inFeatures: c.channels, outFeatures: c.numClasses }, rng));
  }

  /** Multiply-adds of one forward pass per image (stem, blocks, head). */
  flops(): number {
    const c = this.cfg;
    const stem = c.size * c.size * c.inChannels * c.channels * 9;
    return stem + c.blocks * pfFlops(c, c.size, c.size) + c.channels * c.numClasses;
  }

  forward(x: tf.Tensor, ctx?: ForwardContext): tf.Tensor {
    let h = tf.relu(this.stem.forward(x, ctx));
    for (const b of this.blocks.items) h = b.forward(h, ctx);
    return this.head.forward(tf.mean(h, [1, 2]), ctx); // (B, H, W, C) -> (B, C) -> (B, classes)
  }
}

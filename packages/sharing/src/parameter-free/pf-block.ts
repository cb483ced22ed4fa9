// Learning Features with Parameter-Free Layers (arXiv:2202.02777): an inverted-bottleneck block
// (1×1 expand – ReLU – spatial op – ReLU – 1×1 project, + residual) whose spatial operation is a 3×3
// depthwise convolution (the efficient trainable layer) or a parameter-free one: a 3×3 max-pool with
// stride 1 ('same'), the paper's choice, or the identity. `pfFlops` counts multiply-adds.
import * as tf from '@tensorflow/tfjs-core';
import { Conv2d, MaxPool2d, Module, defaultRng, resolveConfig, type ForwardContext, type Rng } from '@weft/core';
import { checkOneOf, checkPositiveInt } from '@weft/core/internal';

/** The spatial operations a {@link PfBlock} can use. */
export const PF_SPATIAL_OPS = ['depthwise', 'maxpool', 'identity'] as const;
/** A spatial operation of a {@link PfBlock}. */
export type PfSpatialOp = (typeof PF_SPATIAL_OPS)[number];

/** Config of {@link PfBlock}. */
export interface PfBlockConfig {
  /** Channels in and out. Default: 0 (must be given). */
  channels: number;
  /** Expansion of the hidden width (hidden = channels × expand). Default: 2. */
  expand: number;
  /** The spatial operation. Default: 'maxpool'. */
  spatial: PfSpatialOp;
}

/** The documented defaults of {@link PfBlockConfig}. */
export const PF_BLOCK_DEFAULTS: PfBlockConfig = { channels: 0, expand: 2, spatial: 'maxpool' };

/** (B, H, W, C) -> (B, H, W, C): x + project(relu(spatial(relu(expand(x))))). */
export class PfBlock extends Module<tf.Tensor, tf.Tensor> {
  /** The resolved config. */
  readonly cfg: PfBlockConfig;
  /** 1×1 convolution C -> C·expand. */
  readonly expandConv: Conv2d;
  /** The 3×3 depthwise convolution, or null for a parameter-free op. */
  readonly depthwise: Conv2d | null;
  /** 1×1 convolution C·expand -> C. */
  readonly projectConv: Conv2d;
  private readonly pool: MaxPool2d | null;

  constructor(config: Partial<PfBlockConfig> & Pick<PfBlockConfig, 'channels'>, rng: Rng = defaultRng()) {
    super();
    const W = 'PfBlock';
    const c = (this.cfg = resolveConfig(W, PF_BLOCK_DEFAULTS, config));
    const C = checkPositiveInt(W, 'channels', c.channels);
    const h = C * checkPositiveInt(W, 'expand', c.expand);
    checkOneOf(W, 'spatial', c.spatial, PF_SPATIAL_OPS);
    this.expandConv = this.addModule('expand', new Conv2d({ inChannels: C, outChannels: h, kernelSize: 1 }, rng));
    this.depthwise = c.spatial === 'depthwise' ? this.addModule('depthwise', new Conv2d({ inChannels: h, outChannels: h, kernelSize: 3, padding: 'same', groups: h }, rng)) : null;
    this.pool = c.spatial === 'maxpool' ? new MaxPool2d({ kernelSize: 3, stride: 1, padding: 'same' }) : null;
    this.projectConv = this.addModule('project', new Conv2d({ inChannels: h, outChannels: C, kernelSize: 1 }, rng));
  }

  forward(x: tf.Tensor, ctx?: ForwardContext): tf.Tensor {
    let h = tf.relu(this.expandConv.forward(x, ctx));
    if (this.depthwise) h = tf.relu(this.depthwise.forward(h, ctx));
    else if (this.pool) h = this.pool.forward(h, ctx); // max of ReLU outputs is already ≥ 0
    return tf.add(x, this.projectConv.forward(h, ctx));
  }
}

/** Multiply-adds of one {@link PfBlock} on an H×W map: two 1×1 convolutions, plus 9 per hidden cell for the depthwise one (a max-pool compares, it does not multiply). */
export function pfFlops(config: Pick<PfBlockConfig, 'channels' | 'expand' | 'spatial'>, height: number, width: number): number {
  const h = config.channels * config.expand;
  const pointwise = 2 * height * width * config.channels * h;
  return pointwise + (config.spatial === 'depthwise' ? height * width * h * 9 : 0);
}

// sharpDARTS: Faster and More Accurate Differentiable Architecture Search (arXiv 1903.09900), §3.1:
// SharpSepConv, the block behind every sharpDARTS conv op: ReLU → depthwise k×k (stride, dilation)
// → pointwise C_in→C_mid → BN → ReLU → depthwise k×k (stride 1, undilated) → pointwise C_mid→C_out
// → BN. C_mid = C_out·midMultiplier or a fixed C_mid: the "flood" ops widen it (×4), the "choke"
// ops narrow it. With C_mid = C_in = C_out it is DARTS' sep_conv. Registered here as
// `flood_conv_3x3` (C_mid = 4C) and `choke_conv_3x3` (C_mid = C/2; sharpDARTS fixes C_mid = 32 for
// its 16–64-channel cells, more than the toy cells' 4). BN is affine-free, as in the DARTS search.
import * as tf from '@tensorflow/tfjs-core';
import { Conv2d, Module, checkKnownKeys, configKeys, type ForwardContext, type Rng } from '@weft/core';
import { checkPositiveInt } from '@weft/core/internal';
import { BatchNormNoAffine } from './batch-norm.js';
import { registerOp } from './ops.js';

/** Config of {@link SharpSepConv}. */
export interface SharpSepConvConfig {
  /** Input channels C_in. */
  inChannels: number;
  /** Output channels C_out. */
  outChannels: number;
  /** Kernel size k (odd). */
  kernelSize: number;
  /** Stride of the first depthwise conv. Default 1. */
  stride?: number;
  /** Dilation of the first depthwise conv (padding keeps the size: dilation·(k−1)/2). Default 1. */
  dilation?: number;
  /** Channels between the two halves, C_mid. Default: outChannels (sharpDARTS' C_mid_mult = 1). */
  midChannels?: number;
}

const KEYS = configKeys<SharpSepConvConfig>({ inChannels: true, outChannels: true, kernelSize: true, stride: true, dilation: true, midChannels: true });

/** sharpDARTS' SharpSepConv block (see the file comment); NHWC (B, H, W, C_in) -> (B, H/stride, W/stride, C_out). */
export class SharpSepConv extends Module {
  readonly dw1: Conv2d;
  readonly pw1: Conv2d;
  readonly bn1 = new BatchNormNoAffine();
  readonly dw2: Conv2d;
  readonly pw2: Conv2d;
  readonly bn2 = new BatchNormNoAffine();

  constructor(readonly config: SharpSepConvConfig, rng: Rng) {
    super();
    checkKnownKeys('SharpSepConv', config, KEYS);
    const { inChannels: cin, outChannels: cout, kernelSize: k } = config;
    const stride = config.stride ?? 1;
    const dilation = config.dilation ?? 1;
    const mid = config.midChannels ?? cout;
    for (const [name, v] of [['inChannels', cin], ['outChannels', cout], ['kernelSize', k], ['stride', stride], ['dilation', dilation], ['midChannels', mid]] as const) checkPositiveInt('SharpSepConv', name, v);
    if (k % 2 !== 1) throw new Error(`SharpSepConv: kernelSize=${k} must be odd (the padding keeps the size)`);
    this.dw1 = this.addModule('dw1', new Conv2d({ inChannels: cin, outChannels: cin, kernelSize: k, stride, padding: (dilation * (k - 1)) / 2, dilation, groups: cin, bias: false }, rng));
    this.pw1 = this.addModule('pw1', new Conv2d({ inChannels: cin, outChannels: mid, kernelSize: 1, bias: false }, rng));
    this.addModule('bn1', this.bn1);
    this.dw2 = this.addModule('dw2', new Conv2d({ inChannels: mid, outChannels: mid, kernelSize: k, padding: (k - 1) / 2, groups: mid, bias: false }, rng));
    this.pw2 = this.addModule('pw2', new Conv2d({ inChannels: mid, outChannels: cout, kernelSize: 1, bias: false }, rng));
    this.addModule('bn2', this.bn2);
  }

  forward(x: tf.Tensor, ctx?: ForwardContext): tf.Tensor {
    const h = this.bn1.forward(this.pw1.forward(this.dw1.forward(tf.relu(x), ctx!), ctx!), ctx);
    return this.bn2.forward(this.pw2.forward(this.dw2.forward(tf.relu(h), ctx!), ctx!), ctx);
  }
}

registerOp({ name: 'flood_conv_3x3', spaces: ['conv'], parametric: true, create: (c, s, rng) => new SharpSepConv({ inChannels: c, outChannels: c, kernelSize: 3, stride: s, midChannels: 4 * c }, rng) });
registerOp({ name: 'choke_conv_3x3', spaces: ['conv'], parametric: true, create: (c, s, rng) => new SharpSepConv({ inChannels: c, outChannels: c, kernelSize: 3, stride: s, midChannels: Math.max(1, Math.floor(c / 2)) }, rng) });

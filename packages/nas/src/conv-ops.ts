// The conv-space candidate modules of the DARTS search space, scaled down (DARTS: Differentiable
// Architecture Search, arXiv 1806.09055, cnn/operations.py): none (zero), skip_connect (identity,
// or a factorized reduce at stride 2), 3×3 max/avg pool, separable conv (ReLU-dwconv-pwconv-BN
// twice) and dilated conv (ReLU-dwconv(dilation 2)-pwconv-BN), all with affine-free BatchNorm as
// in the DARTS search. Tensors are NHWC (tfjs); channels last. The ops are registered in ops.ts.
import * as tf from '@tensorflow/tfjs-core';
import { Conv2d, Module, type ForwardContext, type Rng } from '@weft/core';
import { BatchNormNoAffine } from './batch-norm.js';

/** The zero op (`none`): zeros of the output shape (strided at stride 2). */
export class Zero extends Module {
  constructor(readonly stride: number) {
    super();
  }
  forward(x: tf.Tensor, _ctx?: ForwardContext): tf.Tensor {
    if (this.stride === 1) return tf.zerosLike(x);
    const [B, H, W, C] = x.shape as [number, number, number, number];
    return tf.zeros([B, Math.ceil(H / this.stride), Math.ceil(W / this.stride), C]);
  }
}

/** The identity (`skip_connect` at stride 1). */
export class Identity extends Module {
  forward(x: tf.Tensor, _ctx?: ForwardContext): tf.Tensor {
    return x;
  }
}

/** ReLU → two 1×1 stride-2 convs (one on the input shifted by one pixel) → concat → BN (DARTS' FactorizedReduce). */
export class FactorizedReduce extends Module {
  readonly conv1: Conv2d;
  readonly conv2: Conv2d;
  readonly bn = new BatchNormNoAffine();

  constructor(inChannels: number, outChannels: number, rng: Rng) {
    super();
    if (outChannels % 2 !== 0) throw new Error(`FactorizedReduce: outChannels=${outChannels} must be even`);
    this.conv1 = this.addModule('conv1', new Conv2d({ inChannels, outChannels: outChannels / 2, kernelSize: 1, stride: 2, bias: false }, rng));
    this.conv2 = this.addModule('conv2', new Conv2d({ inChannels, outChannels: outChannels / 2, kernelSize: 1, stride: 2, bias: false }, rng));
    this.addModule('bn', this.bn);
  }

  forward(x: tf.Tensor, ctx?: ForwardContext): tf.Tensor {
    const r = tf.relu(x) as tf.Tensor4D;
    const [B, H, W, C] = r.shape;
    // DARTS convolves x[:, :, 1:, 1:]; pad it back to H×W on the bottom/right so both halves align.
    const shifted = tf.pad(tf.slice(r, [0, 1, 1, 0], [B, H - 1, W - 1, C]), [[0, 0], [0, 1], [0, 1], [0, 0]]);
    const y = tf.concat([this.conv1.forward(r, ctx!), this.conv2.forward(shifted, ctx!)], 3);
    return this.bn.forward(y, ctx);
  }
}

/** ReLU → conv k×k → BN (DARTS' ReLUConvBN, used to preprocess cell inputs). */
export class ReLUConvBN extends Module {
  readonly conv: Conv2d;
  readonly bn = new BatchNormNoAffine();
  constructor(inChannels: number, outChannels: number, kernelSize: number, stride: number, rng: Rng) {
    super();
    this.conv = this.addModule('conv', new Conv2d({ inChannels, outChannels, kernelSize, stride, padding: (kernelSize - 1) / 2, bias: false }, rng));
    this.addModule('bn', this.bn);
  }
  forward(x: tf.Tensor, ctx?: ForwardContext): tf.Tensor {
    return this.bn.forward(this.conv.forward(tf.relu(x), ctx!), ctx);
  }
}

/** ReLU → depthwise k×k (dilation d) → pointwise 1×1 → BN (DARTS' DilConv; SepConv is two of these). */
export class DilConv extends Module {
  readonly dw: Conv2d;
  readonly pw: Conv2d;
  readonly bn = new BatchNormNoAffine();
  constructor(inChannels: number, outChannels: number, kernelSize: number, stride: number, padding: number, dilation: number, rng: Rng) {
    super();
    this.dw = this.addModule('dw', new Conv2d({ inChannels, outChannels: inChannels, kernelSize, stride, padding, dilation, groups: inChannels, bias: false }, rng));
    this.pw = this.addModule('pw', new Conv2d({ inChannels, outChannels, kernelSize: 1, bias: false }, rng));
    this.addModule('bn', this.bn);
  }
  forward(x: tf.Tensor, ctx?: ForwardContext): tf.Tensor {
    return this.bn.forward(this.pw.forward(this.dw.forward(tf.relu(x), ctx!), ctx!), ctx);
  }
}

/** DARTS' SepConv: DilConv(k, stride, dilation 1) then DilConv(k, 1, dilation 1). */
export class SepConv extends Module {
  readonly a: DilConv;
  readonly b: DilConv;
  constructor(channels: number, kernelSize: number, stride: number, rng: Rng) {
    super();
    const p = (kernelSize - 1) / 2;
    this.a = this.addModule('a', new DilConv(channels, channels, kernelSize, stride, p, 1, rng));
    this.b = this.addModule('b', new DilConv(channels, channels, kernelSize, 1, p, 1, rng));
  }
  forward(x: tf.Tensor, ctx?: ForwardContext): tf.Tensor {
    return this.b.forward(this.a.forward(x, ctx), ctx);
  }
}

/** 3×3 max or average pool with one pixel of padding (average excludes the padding, as DARTS'
 *  `count_include_pad=False`), followed by affine-free BN as in DARTS' search MixedOp. */
export class Pool3x3 extends Module {
  readonly bn = new BatchNormNoAffine();
  constructor(readonly kind: 'max' | 'avg', readonly stride: number) {
    super();
    this.addModule('bn', this.bn);
  }
  forward(x: tf.Tensor, ctx?: ForwardContext): tf.Tensor {
    const x4 = x as tf.Tensor4D;
    const y = this.kind === 'max' ? tf.maxPool(x4, 3, this.stride, 1) : tf.avgPool(x4, 3, this.stride, 1);
    return this.bn.forward(y, ctx);
  }
}

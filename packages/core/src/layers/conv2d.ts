// Conv2d over NHWC images (tfjs layout; PyTorch is NCHW). Kernel [kh, kw, in, out] (PyTorch stores
// [out, in, kh, kw]); depthwise (groups = inChannels) stores [kh, kw, in, out/in]. Dilation is done
// by spreading the kernel with zeros, because tfjs's conv2d refuses stride > 1 with dilation > 1.
import * as tf from '@tensorflow/tfjs-core';
import type { ForwardContext } from '../context.js';
import { Module } from '../module.js';
import { dilateKernel } from '../gradients/dilated-conv.js';
import { defaultRng, type Rng } from '../random.js';
import { checkPositiveInt, checkRank } from '../check.js';
import { fanInUniform } from './init.js';
import { checkKnownKeys, configKeys, describeValue } from '../config.js';

/** A size given once for both spatial axes, or as [height, width]. */
export type Size2 = number | [number, number];

/** Padding of a convolution or pool: 'valid' (none), 'same' (TensorFlow's), or zeros on each side. */
export type Padding2 = 'same' | 'valid' | Size2;

/** Config of {@link Conv2d}. */
export interface Conv2dConfig {
  /** Input channels. */
  inChannels: number;
  /** Output channels (a multiple of inChannels when depthwise). */
  outChannels: number;
  /** Kernel size. */
  kernelSize: Size2;
  /** Stride. Default: 1. */
  stride?: Size2;
  /** Padding: 'valid', 'same' (output = ⌈input / stride⌉), or a count of zeros on each side. Default: 0 ('valid', as PyTorch). */
  padding?: Padding2;
  /** Dilation. Default: 1. */
  dilation?: Size2;
  /** 1 (dense) or inChannels (depthwise). Default: 1. */
  groups?: number;
  /** Learn a bias. Default: true. */
  bias?: boolean;
}

/** Every key of {@link Conv2dConfig}, for the unknown-key check. */
const CONV2D_KEYS = configKeys<Conv2dConfig>({ inChannels: true, outChannels: true, kernelSize: true, stride: true, padding: true, dilation: true, groups: true, bias: true });

/** Read a {@link Size2} into [h, w], checking both are positive integers. */
export function pair(layer: string, name: string, v: Size2): [number, number] {
  const p: [number, number] = Array.isArray(v) ? [v[0], v[1]] : [v, v];
  if (Array.isArray(v) && v.length !== 2) throw new Error(`${layer}: ${name}=[${v}] must be a number or [height, width]`);
  checkPositiveInt(layer, name, p[0]);
  checkPositiveInt(layer, name, p[1]);
  return p;
}

/** Check a {@link Padding2} and return it as 'same' | 'valid' | [ph, pw]. */
export function readPadding(layer: string, padding: Padding2): 'same' | 'valid' | [number, number] {
  if (padding === 'same' || padding === 'valid') return padding;
  const p: [number, number] = Array.isArray(padding) ? [padding[0], padding[1]] : [padding, padding];
  for (const n of p) {
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
      throw new Error(`${layer}: padding=${describeValue(padding)} must be 'same', 'valid', a non-negative integer or [h, w] of them`);
    }
  }
  return p;
}

/** Zero-pad the spatial axes of an NHWC tensor by [ph, pw] on each side (identity for 0). */
export function padSpatial(x: tf.Tensor4D, p: [number, number]): tf.Tensor4D {
  if (p[0] === 0 && p[1] === 0) return x;
  return tf.pad(x, [[0, 0], [p[0], p[0]], [p[1], p[1]], [0, 0]]);
}

/** A 2-D convolution over NHWC input. */
export class Conv2d extends Module {
  /** Kernel, [kh, kw, in, out] (dense) or [kh, kw, in, out/in] (depthwise). */
  readonly weight: tf.Variable;
  /** Bias, [out], or null. */
  readonly bias: tf.Variable | null;
  /** Whether this is a depthwise convolution. */
  readonly depthwise: boolean;
  private readonly kernel: [number, number];
  private readonly stride: [number, number];
  private readonly dilation: [number, number];
  private readonly padding: 'same' | 'valid' | [number, number];

  constructor(readonly config: Conv2dConfig, rng: Rng = defaultRng()) {
    super();
    checkKnownKeys('Conv2d', config, CONV2D_KEYS);
    const L = 'Conv2d';
    const { inChannels, outChannels } = config;
    checkPositiveInt(L, 'inChannels', inChannels);
    checkPositiveInt(L, 'outChannels', outChannels);
    this.kernel = pair(L, 'kernelSize', config.kernelSize);
    this.stride = pair(L, 'stride', config.stride ?? 1);
    this.dilation = pair(L, 'dilation', config.dilation ?? 1);
    this.padding = readPadding(L, config.padding ?? 0);
    const groups = config.groups ?? 1;
    if (groups !== 1 && groups !== inChannels) {
      throw new Error(`${L}: groups=${groups} must be 1 (dense) or inChannels=${inChannels} (depthwise)`);
    }
    if (groups !== 1 && outChannels % inChannels !== 0) {
      throw new Error(`${L}: outChannels=${outChannels} must be a multiple of inChannels=${inChannels} when depthwise (groups=${groups})`);
    }
    this.depthwise = groups !== 1; // groups = inChannels = 1 is the dense case above
    const [kh, kw] = this.kernel;
    const fanIn = (inChannels / groups) * kh * kw;
    const shape = this.depthwise ? [kh, kw, inChannels, outChannels / inChannels] : [kh, kw, inChannels, outChannels];
    this.weight = this.addParameter('weight', fanInUniform(shape, fanIn, rng));
    this.bias = config.bias === false ? null : this.addParameter('bias', fanInUniform([outChannels], fanIn, rng));
  }

  /** (B, H, W, inChannels) -> (B, H', W', outChannels). */
  forward(x: tf.Tensor, _ctx?: ForwardContext): tf.Tensor {
    checkRank('Conv2d', 'x', x, 4, '(batch, height, width, channels) — NHWC');
    if (x.shape[3] !== this.config.inChannels) {
      throw new Error(`Conv2d: x has shape [${x.shape}]; its channel (last) dimension must equal inChannels=${this.config.inChannels}`);
    }
    let input = x as tf.Tensor4D;
    let pad: 'same' | 'valid' = 'valid';
    if (Array.isArray(this.padding)) input = padSpatial(input, this.padding);
    else pad = this.padding;
    const [H, W] = [input.shape[1], input.shape[2]];
    const [ekh, ekw] = this.effectiveKernel();
    if (pad === 'valid' && (H < ekh || W < ekw)) {
      throw new Error(`Conv2d: input ${H}×${W} (after padding) is smaller than the (dilated) kernel ${ekh}×${ekw}`);
    }
    const w = dilateKernel(this.weight as tf.Tensor4D, this.dilation);
    let y: tf.Tensor = this.depthwise
      ? tf.depthwiseConv2d(input, w, this.stride, pad)
      : tf.conv2d(input, w, this.stride, pad, 'NHWC');
    if (this.bias) y = tf.add(y, this.bias);
    return y;
  }

  /** Kernel extent after dilation, (k − 1)·d + 1 per axis. */
  effectiveKernel(): [number, number] {
    return [(this.kernel[0] - 1) * this.dilation[0] + 1, (this.kernel[1] - 1) * this.dilation[1] + 1];
  }
}

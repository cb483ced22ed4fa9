// The candidate operations of the DARTS search space, scaled down (DARTS: Differentiable
// Architecture Search, arXiv 1806.09055, cnn/operations.py): none (zero), skip_connect
// (identity, or a factorized reduce at stride 2), 3×3 max/avg pool, separable conv 3×3/5×5
// (ReLU-dwconv-pwconv-BN twice) and dilated conv 3×3/5×5 (ReLU-dwconv(dilation 2)-pwconv-BN),
// all with affine-free BatchNorm as in the DARTS search. Plus a vector space for MLP/sequence
// cells (none = zero, skip_connect = identity, linear, gated linear, ReLU/tanh/sigmoid + linear, and
// parameter-free ReLU/tanh/sigmoid/sin(πx)/cos(πx)) so search runs fast
// on cpu. Tensors are NHWC (tfjs); channels last. One registry maps an op name to its factory.
import * as tf from '@tensorflow/tfjs-core';
import { Conv2d, Linear, Module, type ForwardContext, type Rng } from '@weft/core';
import { BatchNormNoAffine } from './batch-norm.js';
import { recordReluCodes } from './codes.js';

/** The two op spaces: `conv` ops map NHWC (B, H, W, C) maps, `vector` ops map (..., C) features. */
export type OpSpace = 'conv' | 'vector';

/** Builds one candidate op for `channels` channels (conv ops: with `stride` 1 or 2). */
export type OpFactory = (channels: number, stride: number, rng: Rng) => Module;

interface OpEntry {
  space: OpSpace;
  /** Whether the op has parameters (DropNAS groups ops by this). */
  parametric: boolean;
  factory: OpFactory;
}

const REGISTRY: Record<OpSpace, Map<string, OpEntry>> = { conv: new Map(), vector: new Map() };

/** Register a candidate op under `name` in `space`. */
export function registerOp(space: OpSpace, name: string, parametric: boolean, factory: OpFactory): void {
  if (REGISTRY[space].has(name)) throw new Error(`registerOp: op "${name}" is already registered in the ${space} space`);
  REGISTRY[space].set(name, { space, parametric, factory });
}

/** The registered op names of a space, in registration order. */
export function opNames(space: OpSpace): string[] {
  return [...REGISTRY[space].keys()];
}

/** Whether op `name` of `space` has parameters (false for none, skip, pools). */
export function isParametric(name: string, space: OpSpace): boolean {
  return lookup('isParametric', name, space).parametric;
}

function lookup(where: string, name: string, space: OpSpace): OpEntry {
  const e = REGISTRY[space]?.get(name);
  if (!e) throw new Error(`${where}: unknown op "${name}" in the ${space} space; allowed: ${opNames(space).join(', ')}`);
  return e;
}

/** Check a list of op names: non-empty, no duplicates, all of `space`. */
export function checkOps(where: string, ops: readonly string[], space: OpSpace): void {
  if (!Array.isArray(ops) || ops.length === 0) throw new Error(`${where}: ops=[] is empty; give at least one of ${opNames(space).join(', ')}`);
  const seen = new Set<string>();
  for (const o of ops) {
    lookup(where, o, space);
    if (seen.has(o)) throw new Error(`${where}: ops lists "${o}" twice`);
    seen.add(o);
  }
}

/** Build op `name` of `space`. */
export function createOp(name: string, space: OpSpace, channels: number, stride: number, rng: Rng): Module {
  return lookup('createOp', name, space).factory(channels, stride, rng);
}

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

/**
 * The elementwise functions of the vector space's activation ops. `sin_pi` and `cos_pi` are
 * sin(πx) and cos(πx): periodic with one period per two units of their batch-normalised input,
 * so the period lies inside the input's spread. On a unit-variance input, the best
 * a + b·x + c·relu(x) + d·tanh(x) leaves 1% of the variance of sin(x) and 4% of cos(x) unexplained,
 * but 83% of sin(πx) and 90% of cos(πx).
 */
export const ACTIVATIONS = {
  relu: (x: tf.Tensor) => tf.relu(x),
  tanh: (x: tf.Tensor) => tf.tanh(x),
  sigmoid: (x: tf.Tensor) => tf.sigmoid(x),
  sin_pi: (x: tf.Tensor) => tf.sin(tf.mul(x, Math.PI)),
  cos_pi: (x: tf.Tensor) => tf.cos(tf.mul(x, Math.PI)),
};
/** An activation's name. */
export type ActivationName = keyof typeof ACTIVATIONS;

/** `act(x)`, recording ReLU codes for NASWOT when `act` is relu. */
export function activate(act: ActivationName, x: tf.Tensor, ctx?: ForwardContext): tf.Tensor {
  if (act === 'relu') recordReluCodes(ctx, x);
  return ACTIVATIONS[act](x);
}

/** A parameter-free activation (the vector space's `relu`, `tanh`, `sigmoid`, `sin_pi`, `cos_pi` ops). */
export class Activation extends Module {
  constructor(readonly act: ActivationName) {
    super();
  }
  forward(x: tf.Tensor, ctx?: ForwardContext): tf.Tensor {
    return activate(this.act, x, ctx);
  }
}

/** An activation followed by a Linear C→C (the vector space's parametric ops). */
export class ActLinear extends Module {
  readonly fc: Linear;
  constructor(readonly act: 'linear' | 'relu' | 'tanh' | 'sigmoid', channels: number, rng: Rng) {
    super();
    this.fc = this.addModule('fc', new Linear({ inFeatures: channels, outFeatures: channels }, rng));
  }
  forward(x: tf.Tensor, ctx?: ForwardContext): tf.Tensor {
    return this.fc.forward(this.act === 'linear' ? x : activate(this.act, x, ctx), ctx);
  }
}

/** Gated linear unit: (x W + b) ⊙ σ(x V + c) (Dauphin et al.'s GLU). */
export class GatedLinear extends Module {
  readonly value: Linear;
  readonly gate: Linear;
  constructor(channels: number, rng: Rng) {
    super();
    this.value = this.addModule('value', new Linear({ inFeatures: channels, outFeatures: channels }, rng));
    this.gate = this.addModule('gate', new Linear({ inFeatures: channels, outFeatures: channels }, rng));
  }
  forward(x: tf.Tensor, ctx?: ForwardContext): tf.Tensor {
    return tf.mul(this.value.forward(x, ctx), tf.sigmoid(this.gate.forward(x, ctx)));
  }
}

// The DARTS primitives, in DARTS' PRIMITIVES order (genotypes.py).
registerOp('conv', 'none', false, (_c, s) => new Zero(s));
registerOp('conv', 'max_pool_3x3', false, (_c, s) => new Pool3x3('max', s));
registerOp('conv', 'avg_pool_3x3', false, (_c, s) => new Pool3x3('avg', s));
registerOp('conv', 'skip_connect', false, (c, s, rng) => (s === 1 ? new Identity() : new FactorizedReduce(c, c, rng)));
registerOp('conv', 'sep_conv_3x3', true, (c, s, rng) => new SepConv(c, 3, s, rng));
registerOp('conv', 'sep_conv_5x5', true, (c, s, rng) => new SepConv(c, 5, s, rng));
registerOp('conv', 'dil_conv_3x3', true, (c, s, rng) => new DilConv(c, c, 3, s, 2, 2, rng));
registerOp('conv', 'dil_conv_5x5', true, (c, s, rng) => new DilConv(c, c, 5, s, 4, 2, rng));

// The vector space (stride is ignored).
registerOp('vector', 'none', false, () => new Zero(1));
registerOp('vector', 'skip_connect', false, () => new Identity());
registerOp('vector', 'linear', true, (c, _s, rng) => new ActLinear('linear', c, rng));
registerOp('vector', 'gated_linear', true, (c, _s, rng) => new GatedLinear(c, rng));
registerOp('vector', 'relu_linear', true, (c, _s, rng) => new ActLinear('relu', c, rng));
registerOp('vector', 'tanh_linear', true, (c, _s, rng) => new ActLinear('tanh', c, rng));
registerOp('vector', 'sigmoid_linear', true, (c, _s, rng) => new ActLinear('sigmoid', c, rng));
for (const a of Object.keys(ACTIVATIONS) as ActivationName[]) registerOp('vector', a, false, () => new Activation(a));

/** The DARTS primitives (conv space), in DARTS' order. */
export const DARTS_PRIMITIVES = opNames('conv');
/** The vector-space primitives. */
export const VECTOR_PRIMITIVES = opNames('vector');

/** The zero op's name in both spaces: it is excluded from genotypes. */
export const NONE = 'none';

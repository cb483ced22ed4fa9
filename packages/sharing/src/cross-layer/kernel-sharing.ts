// Inter-layer kernel sharing — "Drastically Reducing the Number of Trainable Parameters in Deep
// CNNs by Inter-layer Kernel-sharing" (Azadbakht et al., 2022): isomorphic conv layers
// (same kernel size, in and out channels) reuse one kernel bank. Each layer keeps its own bias (the
// paper keeps per-layer BatchNorm; this toy CNN has no norm). The bank-to-layer assignment is a
// sharing plan (the paper shares within a stage: 'all-shared' or 'groups').
import * as tf from '@tensorflow/tfjs-core';
import { Conv2d, Linear, Module, ModuleList, defaultRng, fanInUniform, resolveConfig, type ForwardContext, type Rng, describeValue } from '@weft/core';
import { buildShared } from './apply.js';
import type { SharingPlan } from './plans.js';

/** A conv kernel [k, k, C, C] that several layers use. */
export class KernelBank extends Module<never, never> {
  /** The kernel, [k, k, channels, channels]. */
  readonly weight: tf.Variable;
  constructor(readonly kernelSize: number, readonly channels: number, rng: Rng = defaultRng()) {
    super();
    const fanIn = kernelSize * kernelSize * channels;
    this.weight = this.addParameter('weight', fanInUniform([kernelSize, kernelSize, channels, channels], fanIn, rng));
  }
  forward(): never {
    throw new Error('KernelBank has no forward pass: a SharedKernelConv2d uses it');
  }
}

/** A 'same' stride-1 convolution reading its kernel from a (possibly shared) bank, with its own bias. */
export class SharedKernelConv2d extends Module {
  /** The bank (the same object in several layers is the sharing). */
  readonly bank: KernelBank;
  /** This layer's bias [channels]. */
  readonly bias: tf.Variable;
  constructor(bank: KernelBank, rng: Rng = defaultRng()) {
    super();
    this.bank = this.addModule('bank', bank);
    this.bias = this.addParameter('bias', fanInUniform([bank.channels], bank.kernelSize * bank.kernelSize * bank.channels, rng));
  }
  /** (B, H, W, C) -> (B, H, W, C). */
  forward(x: tf.Tensor, _ctx?: ForwardContext): tf.Tensor {
    if (x.rank !== 4 || x.shape[3] !== this.bank.channels) {
      throw new Error(`SharedKernelConv2d: x has shape [${x.shape}]; expected [batch, height, width, ${this.bank.channels}] (NHWC)`);
    }
    return tf.add(tf.conv2d(x as tf.Tensor4D, this.bank.weight as tf.Tensor4D, 1, 'same'), this.bias);
  }
}

/** Config of {@link KernelSharingCNN}. */
export interface KernelSharingCNNConfig {
  /** Image height. Default: 8. */
  height?: number;
  /** Image width. Default: 8. */
  width?: number;
  /** Input channels. Default: 1. */
  inChannels?: number;
  /** Channels of the stem and of every shared layer. Default: 16. */
  channels?: number;
  /** Number of isomorphic conv slots after the stem. Default: 4. */
  depth?: number;
  /** Kernel size of every conv. Default: 3. */
  kernelSize?: number;
  /** Classes. Default: 6 (the core `shapes` task). */
  numClasses?: number;
  /** How the slots share kernel banks. Default: 'all-shared'. */
  plan?: SharingPlan;
}

/** Defaults of {@link KernelSharingCNNConfig}. */
export const KERNEL_SHARING_CNN_DEFAULTS: Required<KernelSharingCNNConfig> = { height: 8, width: 8, inChannels: 1, channels: 16, depth: 4, kernelSize: 3, numClasses: 6, plan: 'all-shared' };

/** stem conv -> depth × (shared-kernel conv, ReLU, residual) -> global average pool -> Linear. */
export class KernelSharingCNN extends Module {
  /** Unshared stem, inChannels -> channels. */
  readonly stem: Conv2d;
  /** The conv slots. */
  readonly layers: ModuleList<SharedKernelConv2d>;
  /** Classifier head. */
  readonly head: Linear;

  constructor(readonly config: KernelSharingCNNConfig = {}, rng: Rng = defaultRng()) {
    super();
    const L = 'KernelSharingCNN';
    const c = resolveConfig(L, KERNEL_SHARING_CNN_DEFAULTS, config, { anyType: ['plan'] });
    for (const k of ['height', 'width', 'inChannels', 'channels', 'depth', 'kernelSize', 'numClasses'] as const) {
      if (!Number.isInteger(c[k]) || c[k] < 1) throw new Error(`${L}: ${k}=${describeValue(c[k])} must be a positive integer`);
    }
    this.stem = this.addModule('stem', new Conv2d({ inChannels: c.inChannels, outChannels: c.channels, kernelSize: c.kernelSize, padding: 'same' }, rng));
    const banks = buildShared(c.plan, c.depth, () => new KernelBank(c.kernelSize, c.channels, rng));
    this.layers = this.addModule('layers', new ModuleList(banks.map((b) => new SharedKernelConv2d(b, rng))));
    this.head = this.addModule('head', new Linear({ inFeatures: c.channels, outFeatures: c.numClasses }, rng));
  }

  /** (B, H, W, inChannels) -> (B, numClasses). */
  forward(x: tf.Tensor, ctx?: ForwardContext): tf.Tensor {
    let h = tf.relu(this.stem.forward(x, ctx)); // (B, H, W, C)
    for (const layer of this.layers.items) h = tf.add(h, tf.relu(layer.forward(h, ctx)));
    return this.head.forward(tf.mean(h, [1, 2]), ctx); // (B, H, W, C) -> (B, C) -> (B, classes)
  }
}

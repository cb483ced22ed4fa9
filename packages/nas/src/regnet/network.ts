// Designing Network Design Spaces (RegNet), arXiv 2003.13678, §3.1: the AnyNet network — stem, a
// body of stages of X blocks (1×1 conv, 3×3 group conv, 1×1 conv, residual), head — scaled to 8×8
// images: a stride-1 3×3 stem, stages that halve the resolution (8 → 4 → 2 → 1), and BatchNorm
// from the current batch's statistics (BatchNormNoAffine) instead of learned affine BN.
import * as tf from '@tensorflow/tfjs-core';
import { Conv2d, Linear, Module, ModuleList, checkKnownKeys, configKeys, defaultRng, fanInUniform, type ForwardContext, type Rng } from '@weft/core';
import { checkInt, checkPositiveInt, checkRank } from '@weft/core/internal';
import { BatchNormNoAffine } from '../batch-norm.js';
import type { StageSpec } from './design.js';

/** Config of {@link AnyNet}. */
export interface AnyNetConfig {
  /** The stages, in order; each halves the resolution in its first block. */
  stages: StageSpec[];
  /** Width of the stem's 3×3 convolution. Default: 8. */
  stemWidth?: number;
  /** Image channels. Default: 1. */
  inChannels?: number;
  /** Image height and width. Default: 8. */
  imageSize?: number;
  /** Classes. Default: 6 (the shapes data set). */
  numClasses?: number;
}

const ANYNET_KEYS = configKeys<AnyNetConfig>({ stages: true, stemWidth: true, inChannels: true, imageSize: true, numClasses: true });
const STAGE_KEYS = configKeys<StageSpec>({ depth: true, width: true, bottleneck: true, groupWidth: true });

/** The config with every default filled in, checked. */
export function resolveAnyNet(config: AnyNetConfig): Required<AnyNetConfig> {
  const L = 'AnyNet';
  checkKnownKeys(L, config, ANYNET_KEYS);
  if (!Array.isArray(config.stages) || config.stages.length === 0) throw new Error(`${L}: stages must be a non-empty array of { depth, width, bottleneck, groupWidth }`);
  config.stages.forEach((s, i) => {
    checkKnownKeys(`${L}: stages[${i}]`, s, STAGE_KEYS);
    checkInt(L, `stages[${i}].depth`, s.depth, 1, 64);
    checkInt(L, `stages[${i}].width`, s.width, 1, 4096);
    checkPositiveInt(L, `stages[${i}].groupWidth`, s.groupWidth);
    const inner = s.width / s.bottleneck;
    if (!Number.isInteger(inner) || inner % s.groupWidth !== 0) {
      throw new Error(`${L}: stages[${i}] width=${s.width} / bottleneck=${s.bottleneck} = ${inner} must be an integer multiple of groupWidth=${s.groupWidth} (see compatibleWidth)`);
    }
  });
  const out = { stemWidth: 8, inChannels: 1, imageSize: 8, numClasses: 6, ...config };
  for (const k of ['stemWidth', 'inChannels', 'imageSize', 'numClasses'] as const) checkPositiveInt(L, k, out[k]);
  return out;
}

/**
 * A 3×3 group convolution: the channels split into groups of `groupWidth`, each convolved on its
 * own. Stored as [G, 3, 3, g, g] (G·9·g² parameters) and run as one dense convolution with the
 * block-diagonal kernel, so a network of many small groups costs a few ops, not one conv per group.
 */
export class GroupConv2d extends Module {
  /** Per-group kernels, [G, 3, 3, g, g]. */
  readonly weight: tf.Variable;

  constructor(readonly channels: number, readonly groupWidth: number, readonly stride: number, rng: Rng = defaultRng()) {
    super();
    if (channels % groupWidth !== 0) throw new Error(`GroupConv2d: channels=${channels} must be a multiple of groupWidth=${groupWidth}`);
    const G = channels / groupWidth;
    this.weight = this.addParameter('weight', fanInUniform([G, 3, 3, groupWidth, groupWidth], 9 * groupWidth, rng));
  }

  /** The dense [3, 3, C, C] kernel: group i's [3, 3, g, g] block on the diagonal, zeros elsewhere. */
  kernel(): tf.Tensor4D {
    const G = this.channels / this.groupWidth;
    const g = this.groupWidth;
    return tf.tidy(() => {
      const w = tf.reshape(tf.transpose(this.weight, [1, 2, 0, 3, 4]), [3, 3, G, g, 1, g]); // (G, 3, 3, g, g) -> (3, 3, G, g, 1, g)
      const eye = tf.reshape(tf.eye(G), [1, 1, G, 1, G, 1]); // (G, G) -> (1, 1, G, 1, G, 1)
      return tf.reshape(tf.mul(w, eye), [3, 3, G * g, G * g]) as tf.Tensor4D; // (3, 3, G, g, G, g) -> (3, 3, C, C)
    });
  }

  /** (B, H, W, C) -> (B, H/stride, W/stride, C). */
  forward(x: tf.Tensor, _ctx?: ForwardContext): tf.Tensor {
    return tf.conv2d(x as tf.Tensor4D, this.kernel(), this.stride, 'same');
  }
}

/** The X block: 1×1 conv → BN → ReLU → 3×3 group conv (stride) → BN → ReLU → 1×1 conv → BN, plus the shortcut, then ReLU. */
export class XBlock extends Module {
  readonly a: Conv2d;
  readonly b: GroupConv2d;
  readonly c: Conv2d;
  /** 1×1 projection (stride) when the width or the resolution changes, else null. */
  readonly proj: Conv2d | null;
  private readonly bn = new BatchNormNoAffine();

  constructor(inWidth: number, spec: StageSpec, stride: number, rng: Rng = defaultRng()) {
    super();
    const inner = spec.width / spec.bottleneck;
    this.a = this.addModule('a', new Conv2d({ inChannels: inWidth, outChannels: inner, kernelSize: 1, bias: false }, rng));
    this.b = this.addModule('b', new GroupConv2d(inner, spec.groupWidth, stride, rng));
    this.c = this.addModule('c', new Conv2d({ inChannels: inner, outChannels: spec.width, kernelSize: 1, bias: false }, rng));
    this.proj = stride !== 1 || inWidth !== spec.width ? this.addModule('proj', new Conv2d({ inChannels: inWidth, outChannels: spec.width, kernelSize: 1, stride, padding: 'same', bias: false }, rng)) : null;
  }

  /** (B, H, W, in) -> (B, H/stride, W/stride, width). */
  forward(x: tf.Tensor, ctx?: ForwardContext): tf.Tensor {
    let h = tf.relu(this.bn.forward(this.a.forward(x, ctx)));
    h = tf.relu(this.bn.forward(this.b.forward(h, ctx)));
    h = this.bn.forward(this.c.forward(h, ctx));
    const skip = this.proj ? this.bn.forward(this.proj.forward(x, ctx)) : x;
    return tf.relu(tf.add(h, skip));
  }
}

/** An AnyNet classifier for small NHWC images: (B, S, S, C) -> (B, numClasses). */
export class AnyNet extends Module {
  readonly stem: Conv2d;
  /** Every block of every stage, in order. */
  readonly blocks: ModuleList<XBlock>;
  readonly head: Linear;
  /** The resolved config. */
  readonly config: Required<AnyNetConfig>;
  private readonly bn = new BatchNormNoAffine();

  constructor(config: AnyNetConfig, rng: Rng = defaultRng()) {
    super();
    this.config = resolveAnyNet(config);
    const c = this.config;
    this.stem = this.addModule('stem', new Conv2d({ inChannels: c.inChannels, outChannels: c.stemWidth, kernelSize: 3, padding: 'same', bias: false }, rng));
    const blocks: XBlock[] = [];
    let w = c.stemWidth;
    for (const s of c.stages) {
      for (let i = 0; i < s.depth; i++) {
        blocks.push(new XBlock(w, s, i === 0 ? 2 : 1, rng));
        w = s.width;
      }
    }
    this.blocks = this.addModule('blocks', new ModuleList(blocks));
    this.head = this.addModule('head', new Linear({ inFeatures: w, outFeatures: c.numClasses }, rng));
  }

  /** (B, S, S, C) -> (B, numClasses) logits. */
  forward(x: tf.Tensor, ctx?: ForwardContext): tf.Tensor {
    checkRank('AnyNet', 'x', x, 4, '(batch, height, width, channels) — NHWC');
    const { imageSize: S, inChannels: C } = this.config;
    if (x.shape[1] !== S || x.shape[2] !== S || x.shape[3] !== C) throw new Error(`AnyNet: x has shape [${x.shape}]; expected [batch, ${S}, ${S}, ${C}]`);
    let h = tf.relu(this.bn.forward(this.stem.forward(x, ctx)));
    for (const b of this.blocks.items) h = b.forward(h, ctx);
    return this.head.forward(tf.mean(h, [1, 2]), ctx); // global average pool: (B, H, W, w) -> (B, w) -> (B, classes)
  }
}

/** Stored parameters of an {@link AnyNet} from its config alone (no tensors). */
export function anynetParamCount(config: AnyNetConfig): number {
  const c = resolveAnyNet(config);
  let n = 9 * c.inChannels * c.stemWidth;
  let w = c.stemWidth;
  for (const s of c.stages) {
    const inner = s.width / s.bottleneck;
    for (let i = 0; i < s.depth; i++) {
      n += w * inner + 9 * inner * s.groupWidth + inner * s.width; // a, b (G·9·g² = 9·inner·g), c
      if (i === 0 || w !== s.width) n += w * s.width; // projection (every first block strides)
      w = s.width;
    }
  }
  return n + w * c.numClasses + c.numClasses;
}

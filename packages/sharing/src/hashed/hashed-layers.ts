// Hashed sharing (ROAST — Desai et al., arXiv:2207.10702; STABLE-RPS — "In defense of parameter
// sharing for model-compression", arXiv:2310.11611) for an Embedding and a Conv2d: the table
// [vocab, dim] or the kernel [k, k, in, out] is a HashedLinear's virtual weight, so both read one
// (own or global) hashed memory with the same maps, scaling and gradient rule.
import * as tf from '@tensorflow/tfjs-core';
import { Module, checkKnownKeys, defaultRng, type ForwardContext, type Rng } from '@weft/core';
import { checkOneOf, checkPositiveInt } from '@weft/core/internal';
import { HashedLinear, type HashMethod } from './hashed-linear.js';
import type { HashedMemory } from './memory.js';

/** Hashing options shared by {@link HashedEmbedding} and {@link HashedConv2d} (see HashedLinearConfig). */
export interface HashedOptions {
  /** 'roast' or 'stable-rps'. Default: 'stable-rps'. */
  method?: HashMethod;
  /** Virtual weights per stored value (own memory). Default: 8. */
  compression?: number;
  /** Hash seed. Default: 0. */
  hashSeed?: number;
}

const HASH_KEYS = ['method', 'compression', 'hashSeed'];

/** ids (...S) -> (...S, dim) from a hashed [vocab, dim] table. */
export class HashedEmbedding extends Module<tf.Tensor, tf.Tensor> {
  /** The hashed [vocab, dim] table (a HashedLinear without bias; its rows are the embeddings). */
  readonly table: HashedLinear;
  constructor(readonly config: { vocabSize: number; dim: number } & HashedOptions, rng: Rng = defaultRng(), memory?: HashedMemory) {
    super();
    checkKnownKeys('HashedEmbedding', config, ['vocabSize', 'dim', ...HASH_KEYS]);
    checkPositiveInt('HashedEmbedding', 'vocabSize', config.vocabSize);
    checkPositiveInt('HashedEmbedding', 'dim', config.dim);
    const { vocabSize, dim, ...hash } = config;
    this.table = this.addModule('table', new HashedLinear({ inFeatures: vocabSize, outFeatures: dim, bias: false, ...hash }, rng, memory));
  }
  forward(ids: tf.Tensor, _ctx?: ForwardContext): tf.Tensor {
    if (ids.dtype !== 'int32') throw new Error(`HashedEmbedding: ids have dtype ${ids.dtype}; expected int32 token ids`);
    return this.table.rows(ids);
  }
}

/** (B, H, W, in) -> (B, H', W', out): a convolution whose [k, k, in, out] kernel and bias are hashed. */
export class HashedConv2d extends Module<tf.Tensor, tf.Tensor> {
  /** The hashed kernel as a [k·k·in, out] HashedLinear (with the bias). */
  readonly kernel: HashedLinear;
  constructor(
    readonly config: { inChannels: number; outChannels: number; kernelSize: number; stride?: number; padding?: 'same' | 'valid' } & HashedOptions,
    rng: Rng = defaultRng(),
    memory?: HashedMemory,
  ) {
    super();
    const W = 'HashedConv2d';
    checkKnownKeys(W, config, ['inChannels', 'outChannels', 'kernelSize', 'stride', 'padding', ...HASH_KEYS]);
    for (const k of ['inChannels', 'outChannels', 'kernelSize'] as const) checkPositiveInt(W, k, config[k]);
    if (config.stride !== undefined) checkPositiveInt(W, 'stride', config.stride);
    checkOneOf(W, 'padding', config.padding ?? 'same', ['same', 'valid'] as const);
    const { inChannels, outChannels, kernelSize: k, stride: _s, padding: _p, ...hash } = config;
    this.kernel = this.addModule('kernel', new HashedLinear({ inFeatures: k * k * inChannels, outFeatures: outChannels, ...hash }, rng, memory));
  }
  forward(x: tf.Tensor, _ctx?: ForwardContext): tf.Tensor {
    const { inChannels: C, outChannels: O, kernelSize: k } = this.config;
    if (x.rank !== 4 || x.shape[3] !== C) throw new Error(`HashedConv2d: x has shape [${x.shape}]; expected [batch, height, width, ${C}] (NHWC)`);
    const { weight, bias } = this.kernel.weights();
    const kernel = tf.reshape(weight, [k, k, C, O]) as tf.Tensor4D; // (k·k·in, out) -> (k, k, in, out)
    const y = tf.conv2d(x as tf.Tensor4D, kernel, this.config.stride ?? 1, this.config.padding ?? 'same');
    return bias ? tf.add(y, bias) : y;
  }
}

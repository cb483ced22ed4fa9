// Hashed (randomized) parameter sharing for a Linear layer — ROAST ("Efficient model compression
// with Random Operation Access Specific Tile hashing", Desai et al.) and STABLE-RPS ("In defense
// of parameter sharing for model-compression", Desai & Shrivastava): every weight and bias of the
// layer is read from a shared array A through a fixed hash h(i) with a random sign g(i), scaled by
// λ so the recovered weights start at PyTorch's default init: wᵢ = λ·g(i)·A[h(i)].
// - 'roast': random chunked hashing; the gradient of A is the plain one (λ·Σ g·∂L/∂w), so the
//   effective step on w is λ² times the optimiser's: a small array init (large λ) diverges with SGD.
// - 'stable-rps': balanced permutation map (a bijection at compression 1) and the paper's gradient
//   scaling: A's gradient from this layer is divided by λ², so an SGD step on A moves w exactly as
//   an SGD step on an unshared w would — stable for any array init, and at compression 1 the
//   trajectory is the dense layer's. (Scaling a gradient does not change Adam's step: the
//   guarantee is for SGD/momentum; Adam's step on w is still λ·lr. Under Adam the dense trajectory
//   is recovered by giving the array lr/λ and ε/λ — exact at compression 1, hashed-compression-one.test.ts.)
// The index map is computed once (int32) and applied with a gather; its gradient is an
// UnsortedSegmentSum, for which Weft registers fast wasm/cpu kernels.
import * as tf from '@tensorflow/tfjs-core';
import { Module, checkKnownKeys, configKeys, defaultRng, type ForwardContext, type Rng, describeValue } from '@weft/core';
import { roastMap, stableRpsMap } from './hash.js';
import { HashedMemory } from './memory.js';
import { scaleGrad } from './scale-grad.js';

/** Hashing methods. */
export const HASH_METHODS = ['roast', 'stable-rps'] as const;
/** A hashing method. */
export type HashMethod = (typeof HASH_METHODS)[number];

/** Config of {@link HashedLinear}. */
export interface HashedLinearConfig {
  /** Input features. */
  inFeatures: number;
  /** Output features. */
  outFeatures: number;
  /** Learn a bias (hashed into the same array). Default: true. */
  bias?: boolean;
  /** 'roast' or 'stable-rps'. Default: 'stable-rps'. */
  method?: HashMethod;
  /** Virtual weights per stored value, ≥ 1 (own memory of ⌈n / compression⌉ slots). Ignored with `memory` or `memorySize`. Default: 8. */
  compression?: number;
  /** Size of the layer's own memory instead of `compression` (at most the layer's n weights). */
  memorySize?: number;
  /** U(−init, init) of the layer's own memory. Default: 1/√inFeatures, PyTorch's bound, so λ = 1 (a global memory has its own init). */
  memoryInit?: number;
  /** ROAST tile length (consecutive weights read contiguously). Default: 1. */
  chunkSize?: number;
  /** Seed of the hash / permutation: part of the architecture (a saved state dict loads into a layer with the same seed). Default: 0. */
  hashSeed?: number;
}

const KEYS = configKeys<HashedLinearConfig>({ inFeatures: true, outFeatures: true, bias: true, method: true, compression: true, memorySize: true, memoryInit: true, chunkSize: true, hashSeed: true });

/** A Linear whose [in, out] weight and bias are read from a (possibly global) hashed memory. */
export class HashedLinear extends Module {
  /** The shared array (own, or the global one given). */
  readonly memory: HashedMemory;
  /** Virtual weights n = in·out (+ out with bias). */
  readonly virtualSize: number;
  /** Scale λ = (1/√in) / memory.init applied to what is read. */
  readonly lambda: number;
  /** Resolved method. */
  readonly method: HashMethod;
  /** Index of each weight in [λ·A, −λ·A] (the sign folded into the index), [in, out] int32. */
  private readonly weightIndex: tf.Tensor2D;
  /** Same for the bias, [out] int32, or null. */
  private readonly biasIndex: tf.Tensor1D | null;

  constructor(readonly config: HashedLinearConfig, rng: Rng = defaultRng(), memory?: HashedMemory) {
    super();
    const L = 'HashedLinear';
    checkKnownKeys(L, config, KEYS);
    const { inFeatures, outFeatures } = config;
    for (const [k, v] of [['inFeatures', inFeatures], ['outFeatures', outFeatures]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new Error(`${L}: ${k}=${describeValue(v)} must be a positive integer`);
    }
    const method = config.method ?? 'stable-rps';
    if (!HASH_METHODS.includes(method)) throw new Error(`${L}: method=${describeValue(method)} must be one of ${HASH_METHODS.join(', ')}`);
    this.method = method;
    const bias = config.bias ?? true;
    const n = inFeatures * outFeatures + (bias ? outFeatures : 0);
    this.virtualSize = n;
    const chunk = config.chunkSize ?? 1;
    if (!Number.isInteger(chunk) || chunk < 1) throw new Error(`${L}: chunkSize=${describeValue(chunk)} must be a positive integer`);
    if (memory) {
      if (!(memory instanceof HashedMemory)) throw new Error(`${L}: memory must be a HashedMemory`);
      this.memory = memory;
    } else {
      let size: number;
      if (config.memorySize !== undefined) {
        size = config.memorySize;
        if (!Number.isInteger(size) || size < 1 || size > n) {
          throw new Error(`${L}: memorySize=${describeValue(size)} must be an integer in [1, ${n}] (a hash array larger than the layer's ${n} weights stores more than the layer itself)`);
        }
      } else {
        const c = config.compression ?? 8;
        if (!(typeof c === 'number' && c >= 1 && Number.isFinite(c))) throw new Error(`${L}: compression=${describeValue(c)} must be a finite number ≥ 1 (virtual weights per stored value)`);
        size = Math.ceil(n / c);
      }
      this.memory = new HashedMemory({ size, init: config.memoryInit ?? 1 / Math.sqrt(inFeatures) }, rng);
    }
    this.addModule('memory', this.memory);
    const m = this.memory.config.size;
    this.lambda = 1 / Math.sqrt(inFeatures) / this.memory.init;
    const seed = config.hashSeed ?? 0;
    if (!Number.isInteger(seed)) throw new Error(`${L}: hashSeed=${describeValue(seed)} must be an integer`);
    const offset = this.memory.allocate(n);
    const map = method === 'roast' ? roastMap(n, m, chunk, seed) : stableRpsMap(n, m, offset, seed);
    // Fold the sign into the index: weight i reads [λ·A, −λ·A] at h(i) (+ m when g(i) = −1), so the
    // forward pass is one gather straight into the [in, out] shape — no per-weight multiply, slice or pad.
    const folded = new Int32Array(n);
    for (let i = 0; i < n; i++) folded[i] = map.index[i]! + (map.sign[i]! < 0 ? m : 0);
    this.weightIndex = tf.keep(tf.tensor2d(folded.subarray(0, inFeatures * outFeatures), [inFeatures, outFeatures], 'int32'));
    this.biasIndex = n > inFeatures * outFeatures ? tf.keep(tf.tensor1d(folded.subarray(inFeatures * outFeatures), 'int32')) : null;
  }

  /** The ledger counts the memory n/m times through this layer, so effective = the n virtual weights. */
  override usesOf(name: string): number {
    return name === 'memory' ? this.virtualSize / this.memory.config.size : 1;
  }

  /** The recovered dense weight [in, out] and bias [out] (or null); STABLE-RPS scales the memory's gradient by λ⁻². */
  weights(): { weight: tf.Tensor2D; bias: tf.Tensor1D | null } {
    const A = this.method === 'stable-rps' ? scaleGrad(this.memory.weight, 1 / (this.lambda * this.lambda)) : this.memory.weight;
    return this.weightsFrom(A);
  }

  /** The weight and bias this layer reads from memory values `A` (m), with no gradient scaling. */
  weightsFrom(A: tf.Tensor): { weight: tf.Tensor2D; bias: tf.Tensor1D | null } {
    const scaled = tf.mul(A, this.lambda); // (m)
    const signed = tf.concat([scaled, tf.neg(scaled)]); // (m) -> (2m): [λ·A, −λ·A]
    const weight = tf.gather(signed, this.weightIndex) as tf.Tensor2D; // (2m) -> (in, out)
    const bias = this.biasIndex ? (tf.gather(signed, this.biasIndex) as tf.Tensor1D) : null; // (2m) -> (out)
    return { weight, bias };
  }

  /**
   * Rows `ids` of the recovered weight, (...S) int32 -> (...S, out), reading only those rows' slots
   * (an embedding lookup: row i of a [vocab, dim] table is its weight row i); same gradient scaling.
   */
  rows(ids: tf.Tensor): tf.Tensor {
    const A = this.method === 'stable-rps' ? scaleGrad(this.memory.weight, 1 / (this.lambda * this.lambda)) : this.memory.weight;
    const scaled = tf.mul(A, this.lambda); // (m)
    const signed = tf.concat([scaled, tf.neg(scaled)]); // (m) -> (2m)
    return tf.gather(signed, tf.gather(this.weightIndex, ids)); // (...S) -> (...S, out) slot indices -> values
  }

  /** (..., in) -> (..., out). */
  forward(x: tf.Tensor, _ctx?: ForwardContext): tf.Tensor {
    const { inFeatures: I, outFeatures: O } = this.config;
    if (x.shape[x.rank - 1] !== I) throw new Error(`HashedLinear: input last dimension ${x.shape[x.rank - 1]} (shape [${x.shape}]) must equal inFeatures=${I}`);
    const { weight, bias } = this.weights();
    const x2 = x.rank === 2 ? x : tf.reshape(x, [-1, I]); // (..., I) -> (N, I)
    let y: tf.Tensor = tf.matMul(x2, weight);
    if (bias) y = tf.add(y, bias);
    return x.rank === 2 ? y : tf.reshape(y, [...x.shape.slice(0, -1), O]); // (N, O) -> (..., O)
  }

  /** Dispose the parameters and the index map. */
  override dispose(): void {
    super.dispose();
    this.disposeMaps();
  }

  /** Dispose only the index map and signs (a parent that disposes the parameters itself calls this). */
  disposeMaps(): void {
    this.weightIndex.dispose();
    this.biasIndex?.dispose();
  }
}

// MoS: Unleashing Parameter Efficiency of Low-Rank Adaptation with Mixture of Shards (arXiv:2410.00938).
// Every layer's LoRA factors are assembled from shards: A's r vectors (length in) and B's r vectors
// (length out) are each a concatenation of length-s shards, gathered by fixed per-layer indices
// (subset selection, drawn from the config's seed and the layer path) from two global pools shared by every adapted layer (pair
// dissociation: A and B index different pools; vector sharding: a vector is many shards) plus a few
// shards private to the layer (shard privatisation). The pools are one variable registered in
// every layer (sharing by identity): the ledger stores them once. ΔW = (α/r) A B as LoRA.
// Departure: the selection is a fixed random index per shard slot (the paper's routing without
// learned gates), and the private shards of a layer replace the first slots of its index table.
import * as tf from '@tensorflow/tfjs-core';
import type { ForwardContext, Rng } from '@weft/core';
import { AdditiveAdapter, kaimingBound } from '../adapter-layer.js';
import { applyFlat, channelMatMul, fanIn, type BaseOp } from '../base-op.js';

/** The global pools of one MoS injection. */
export interface MosPools {
  /** Shards of the A side, [poolSize, s]. */
  a: tf.Variable;
  /** Shards of the B side, [poolSize, s] (zero: every adapter starts as a no-op). */
  b: tf.Variable;
  /** Layers using the pools (the last one to be disposed disposes them). */
  refs: number;
}

/** Per-layer settings of a MoS adapter. */
export interface MosLayerOptions {
  r: number;
  alpha: number;
  shardSize: number;
  privateShards: number;
  /** The shard-selection stream of this layer (from the config's seed and the layer's path). */
  selection: Rng;
}

/** A MoS adapter on one Linear or Conv2d base. */
export class MosLayer extends AdditiveAdapter {
  readonly method = 'mos';
  readonly scaling: number;
  /** Index of each A / B shard slot in [pool; private] (int32). */
  private readonly idxA: tf.Tensor1D;
  private readonly idxB: tf.Tensor1D;
  readonly privateA: tf.Variable | null;
  readonly privateB: tf.Variable | null;

  constructor(base: BaseOp, readonly options: MosLayerOptions, readonly pools: MosPools, rng: Rng) {
    super(base);
    const { r, shardSize: s, privateShards: p } = options;
    const [i, o] = [fanIn(base), base.outFeatures];
    this.scaling = options.alpha / r;
    this.addParameter('pool_a', pools.a); // shared by identity
    this.addParameter('pool_b', pools.b);
    pools.refs++;
    const poolSize = pools.a.shape[0]!;
    this.privateA = p > 0 ? this.addParameter('private_a', tf.tensor2d(rng.uniformArray(p * s, -kaimingBound(i), kaimingBound(i)), [p, s])) : null;
    this.privateB = p > 0 ? this.addParameter('private_b', tf.zeros([p, s])) : null;
    const slots = (n: number) => {
      const idx = Int32Array.from({ length: n }, () => options.selection.int(poolSize));
      for (let k = 0; k < Math.min(p, n); k++) idx[Math.floor((k * n) / Math.max(p, 1))] = poolSize + k; // spread the private shards
      return tf.tensor1d(idx, 'int32');
    };
    this.idxA = slots((r * i) / s);
    this.idxB = slots((r * o) / s);
  }

  private side(pool: tf.Variable, priv: tf.Variable | null, idx: tf.Tensor1D): tf.Tensor {
    const table = priv ? tf.concat([pool, priv], 0) : pool;
    return tf.gather(table, idx); // (slots, s)
  }

  /** A [fanIn, r] and B [r, out] assembled from shards (fanIn = kh·kw·in on a conv base). */
  factors(): [tf.Tensor2D, tf.Tensor2D] {
    const { r } = this.options;
    const [i, o] = [fanIn(this.base), this.base.outFeatures];
    const a = tf.transpose(tf.reshape(this.side(this.pools.a, this.privateA, this.idxA), [r, i])) as tf.Tensor2D; // (r·i/s, s) -> (r, i) -> (i, r)
    const b = tf.reshape(this.side(this.pools.b, this.privateB, this.idxB), [r, o]) as tf.Tensor2D; // (r·o/s, s) -> (r, o)
    return [a, b];
  }

  deltaWeight(): tf.Tensor2D {
    return tf.tidy(() => {
      const [a, b] = this.factors();
      return tf.mul(tf.matMul(a, b), this.scaling) as tf.Tensor2D;
    });
  }

  override transformOutput(x: tf.Tensor, y: tf.Tensor, _yBase: tf.Tensor, _ctx: ForwardContext): tf.Tensor {
    const [a, b] = this.factors();
    return tf.add(y, tf.mul(channelMatMul(applyFlat(this.base, x, a), b), this.scaling)); // conv: A a kernel [kh, kw, in, r], B a 1×1 conv
  }

  override dispose(): void {
    // The pools are shared: dispose them with the last layer that uses them.
    if (--this.pools.refs === 0) tf.dispose([this.pools.a, this.pools.b]);
    this.idxA.dispose();
    this.idxB.dispose();
    this.privateA?.dispose();
    this.privateB?.dispose();
  }
}

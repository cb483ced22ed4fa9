// MoS: Unleashing Parameter Efficiency of Low-Rank Adaptation with Mixture of Shards (arXiv:2410.00938).
// Every layer's LoRA factors are assembled from shards: A's r vectors (length fanIn) and B's r vectors
// (length out) are each a concatenation of length-s shards taken from two global pools shared by
// every adapted layer (pair dissociation: A and B index different pools; vector sharding: a vector is
// many shards) plus a few shards private to the layer (shard privatisation). Subset selection: each
// shard slot has a row of `candidates` pool indices in the layer's index matrix (drawn from the
// config's seed and the layer path); with one candidate the slot is that shard, with more a learned
// MoE-like router (one logit per candidate) keeps the slot's topK candidates and mixes them by a
// softmax of their logits. The pools are one variable registered in every layer (sharing by
// identity): the ledger stores them once. ΔW = (α/r) A B as LoRA; conv bases use A [kh·kw·in, r].
// Departures: the router's logits are per slot, not functions of the input (so the adapter merges,
// keeping LoRA's linearity); the paper's method text was not available here, only its abstract and
// figure ("an independent index matrix and a MoE-like router per layer"); the private shards of a
// layer replace some slots of its index matrix.
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
  /** Candidate shards per slot (1: a fixed index). */
  candidates: number;
  /** Candidates each slot mixes. */
  topK: number;
}

/** A MoS adapter on one Linear or Conv2d base. */
export class MosLayer extends AdditiveAdapter {
  readonly method = 'mos';
  readonly scaling: number;
  /** The index matrices: each A / B shard slot's candidates in [pool; private], [slots, candidates] (int32). */
  readonly idxA: tf.Tensor2D;
  readonly idxB: tf.Tensor2D;
  /** Router logits per slot and candidate [slots, candidates] (null with one candidate). */
  readonly routeA: tf.Variable | null;
  readonly routeB: tf.Variable | null;
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
    const C = options.candidates;
    const slots = (n: number) => {
      const idx = new Int32Array(n * C);
      for (let k = 0; k < n; k++) {
        const row: number[] = []; // C distinct candidates (one: the fixed-index stream)
        while (row.length < C) {
          const v = options.selection.int(poolSize);
          if (!row.includes(v)) row.push(v);
        }
        idx.set(row, k * C);
      }
      for (let k = 0; k < Math.min(p, n); k++) idx.fill(poolSize + k, Math.floor((k * n) / Math.max(p, 1)) * C, (Math.floor((k * n) / Math.max(p, 1)) + 1) * C); // spread the private shards
      return tf.tensor2d(idx, [n, C], 'int32');
    };
    this.idxA = slots((r * i) / s);
    this.idxB = slots((r * o) / s);
    // Small random logits: no ties, so each slot starts from one random subset of its candidates.
    const logits = (n: number) => tf.tensor2d(rng.normalArray(n * C, 0, 0.01), [n, C]);
    this.routeA = C > 1 ? this.addParameter('route_a', logits(this.idxA.shape[0])) : null;
    this.routeB = C > 1 ? this.addParameter('route_b', logits(this.idxB.shape[0])) : null;
  }

  /**
   * The routing weights [slots, C]: a softmax over each slot's topK largest logits, 0 elsewhere. A
   * candidate is kept when at most topK logits of its slot are ≥ its own (GreaterEqual, whose
   * gradient is zero, so only the softmax carries gradient to the logits).
   */
  routing(logits: tf.Tensor): tf.Tensor2D {
    const [n, C] = logits.shape as [number, number];
    const ge = tf.cast(tf.greaterEqual(tf.reshape(logits, [n, 1, C]), tf.reshape(logits, [n, C, 1])), 'float32'); // (n, C, C): [s, c, j] = l_j ≥ l_c
    const kept = tf.greaterEqual(tf.scalar(this.options.topK), tf.sum(ge, 2)); // (n, C): rank of c ≤ topK
    return tf.softmax(tf.where(kept, logits, tf.fill([n, C], -1e9))) as tf.Tensor2D;
  }

  private side(pool: tf.Variable, priv: tf.Variable | null, idx: tf.Tensor2D, route: tf.Variable | null): tf.Tensor {
    const table = priv ? tf.concat([pool, priv], 0) : pool;
    const [n, C] = idx.shape;
    if (!route) return tf.gather(table, tf.reshape(idx, [n])); // (slots, s)
    const cand = tf.reshape(tf.gather(table, tf.reshape(idx, [n * C])), [n, C, -1]); // (slots·C, s) -> (slots, C, s)
    return tf.sum(tf.mul(cand, tf.expandDims(this.routing(route), 2)), 1); // (slots, C, s) -> (slots, s)
  }

  /** A [fanIn, r] and B [r, out] assembled from shards (fanIn = kh·kw·in on a conv base). */
  factors(): [tf.Tensor2D, tf.Tensor2D] {
    const { r } = this.options;
    const [i, o] = [fanIn(this.base), this.base.outFeatures];
    const a = tf.transpose(tf.reshape(this.side(this.pools.a, this.privateA, this.idxA, this.routeA), [r, i])) as tf.Tensor2D; // (r·i/s, s) -> (r, i) -> (i, r)
    const b = tf.reshape(this.side(this.pools.b, this.privateB, this.idxB, this.routeB), [r, o]) as tf.Tensor2D; // (r·o/s, s) -> (r, o)
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
    this.routeA?.dispose();
    this.routeB?.dispose();
  }
}

// Product-key memory — Lample et al., "Large Memory Layers with Product Keys", arXiv:1907.05242.
// A query q (from x) is split in two halves; each half is scored against its own n sub-keys; the
// k best of each give k² candidate keys (the product set), whose score is the sum of the two halves'
// scores; the k best candidates select k of the n² memory values, mixed by a softmax of their scores.
// The search is exact (the top-k of the n² sums is always among the k × k candidates) and costs
// O(n + k²) per token instead of O(n²). Multi-head: H independent queries/sub-key sets share the values.
// Departs from the paper: no batch norm on the query (a LayerNorm-free linear query).
import * as tf from '@tensorflow/tfjs-core';
import { Linear, Module, checkKnownKeys, configKeys, defaultRng, fanInUniform, normalInit, type ForwardContext, type Rng, pickColumns } from '@weft/core';
import { checkInt, checkPositiveInt } from '@weft/core/internal';
import { untaped } from './routers/router.js';

/** Config of {@link ProductKeyMemory}. */
export interface ProductKeyMemoryConfig {
  /** Input width d. */
  dim: number;
  /** Output (value) width. Default: dim. */
  valueDim?: number;
  /** Sub-keys per half n (the memory has n² slots). Default: 16. */
  numSubKeys?: number;
  /** Query / key width, split in two halves; must be even. Default: dim rounded up to even. */
  keyDim?: number;
  /** Memory slots read per token and head, k (≤ n). Default: 4. */
  topK?: number;
  /** Heads H. Default: 1. */
  heads?: number;
}

/** Every key of {@link ProductKeyMemoryConfig}, for the unknown-key check. */
const PKM_KEYS = configKeys<ProductKeyMemoryConfig>({ dim: true, valueDim: true, numSubKeys: true, keyDim: true, topK: true, heads: true });

/** A product-key memory layer: (..., d) -> (..., valueDim). */
export class ProductKeyMemory extends Module {
  readonly n: number;
  readonly k: number;
  readonly heads: number;
  readonly keyDim: number;
  readonly valueDim: number;
  /** Query projection [d, H·keyDim]. */
  readonly query: Linear;
  /** Sub-keys of the first half [H, n, keyDim/2]. */
  readonly keys1: tf.Variable;
  /** Sub-keys of the second half [H, n, keyDim/2]. */
  readonly keys2: tf.Variable;
  /** Memory values [n², valueDim]. */
  readonly values: tf.Variable;

  constructor(readonly config: ProductKeyMemoryConfig, rng: Rng = defaultRng()) {
    super();
    const who = 'ProductKeyMemory';
    checkKnownKeys(who, config, PKM_KEYS);
    checkPositiveInt(who, 'dim', config.dim);
    this.valueDim = checkPositiveInt(who, 'valueDim', config.valueDim ?? config.dim);
    this.n = checkPositiveInt(who, 'numSubKeys', config.numSubKeys ?? 16);
    this.keyDim = checkInt(who, 'keyDim', config.keyDim ?? config.dim + (config.dim % 2), 2);
    if (this.keyDim % 2 !== 0) throw new Error(`${who}: keyDim=${this.keyDim} must be even (it is split in two halves)`);
    this.k = checkInt(who, 'topK', config.topK ?? 4, 1, this.n);
    this.heads = checkPositiveInt(who, 'heads', config.heads ?? 1);
    const h = this.keyDim / 2;
    this.query = this.addModule('query', new Linear({ inFeatures: config.dim, outFeatures: this.heads * this.keyDim, bias: false }, rng));
    this.keys1 = this.addParameter('keys1', fanInUniform([this.heads, this.n, h], h, rng));
    this.keys2 = this.addParameter('keys2', fanInUniform([this.heads, this.n, h], h, rng));
    this.values = this.addParameter('values', normalInit([this.n * this.n, this.valueDim], 1 / Math.sqrt(this.valueDim), rng));
  }

  /** A token reads k·H of the n² value rows; queries and sub-keys are all used. */
  override activeShareOf(name: string): number {
    return name === 'values' ? Math.min(1, (this.k * this.heads) / (this.n * this.n)) : 1;
  }

  /** Memory slots and weights of N queries: indices (N, H·k) int32 and weights (N, H·k). */
  lookup(x: tf.Tensor2D, ctx: ForwardContext): { index: tf.Tensor2D; weight: tf.Tensor2D } {
    const [N] = x.shape;
    const { n, k, heads: H, keyDim } = this;
    const half = keyDim / 2;
    const q = tf.reshape(this.query.forward(x, ctx), [N, H, 2, half]); // (N, H·keyDim) -> (N, H, 2, half)
    const indices: tf.Tensor2D[] = [];
    const weights: tf.Tensor2D[] = [];
    for (let h = 0; h < H; h++) {
      const qh = tf.reshape(tf.slice(q, [0, h, 0, 0], [N, 1, 2, half]), [N, 2, half]);
      const q1 = tf.reshape(tf.slice(qh, [0, 0, 0], [N, 1, half]), [N, half]);
      const q2 = tf.reshape(tf.slice(qh, [0, 1, 0], [N, 1, half]), [N, half]);
      const k1 = tf.reshape(tf.slice(this.keys1, [h, 0, 0], [1, n, half]), [n, half]);
      const k2 = tf.reshape(tf.slice(this.keys2, [h, 0, 0], [1, n, half]), [n, half]);
      const s1 = tf.matMul(q1, k1, false, true) as tf.Tensor2D; // (N, n)
      const s2 = tf.matMul(q2, k2, false, true) as tf.Tensor2D;
      const i1 = untaped(() => tf.topk(s1, k).indices as tf.Tensor2D); // (N, k)
      const i2 = untaped(() => tf.topk(s2, k).indices as tf.Tensor2D);
      const v1 = pickColumns(s1, i1);
      const v2 = pickColumns(s2, i2);
      const cand = tf.reshape(tf.add(tf.reshape(v1, [N, k, 1]), tf.reshape(v2, [N, 1, k])), [N, k * k]) as tf.Tensor2D; // (N, k, k) -> (N, k²)
      const best = untaped(() => tf.topk(cand, k).indices as tf.Tensor2D); // (N, k) into the k² candidates
      const score = pickColumns(cand, best);
      // Candidate c = a·k + b -> memory slot i1[a]·n + i2[b].
      const slot = untaped(() => {
        const a = tf.floorDiv(best, tf.scalar(k, 'int32')) as tf.Tensor2D;
        const b = tf.sub(best, tf.mul(a, tf.scalar(k, 'int32'))) as tf.Tensor2D;
        return tf.add(tf.mul(pickColumns(tf.cast(i1, 'float32') as tf.Tensor2D, a), n), pickColumns(tf.cast(i2, 'float32') as tf.Tensor2D, b));
      });
      indices.push(tf.cast(slot, 'int32') as tf.Tensor2D);
      weights.push(tf.softmax(score) as tf.Tensor2D);
    }
    return { index: H === 1 ? indices[0]! : (tf.concat(indices, 1) as tf.Tensor2D), weight: H === 1 ? weights[0]! : (tf.concat(weights, 1) as tf.Tensor2D) };
  }

  /** (..., d) -> (..., valueDim). */
  forward(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    const d = this.config.dim;
    if (x.shape[x.rank - 1] !== d) throw new Error(`ProductKeyMemory: input last dimension ${x.shape[x.rank - 1]} (shape [${x.shape}]) must equal dim=${d}`);
    const flat = tf.reshape(x, [-1, d]) as tf.Tensor2D; // (..., d) -> (N, d)
    const N = flat.shape[0];
    const { index, weight } = this.lookup(flat, ctx);
    const m = index.shape[1];
    const rows = tf.reshape(tf.gather(this.values, tf.reshape(index, [N * m])), [N, m, this.valueDim]); // (N·m, dv) -> (N, m, dv)
    const out = tf.reshape(tf.matMul(tf.reshape(weight, [N, 1, m]), rows), [N, this.valueDim]); // (N, 1, dv) -> (N, dv)
    return tf.reshape(out, [...x.shape.slice(0, -1), this.valueDim]);
  }
}

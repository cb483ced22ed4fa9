// 3-in-1: 2D Rotary Adaptation (RoAd, arXiv:2409.00119): the base output y (bias included) is
// rotated and scaled in 2D pairs, y'ₚ = fₚ yₚ − sₚ y_q, y'_q = f_q y_q + s_q yₚ (q = p + g/2 in each
// group of g outputs; f = α cos θ, s = α sin θ, PEFT's pairing and variants). Element-wise, so a batch
// whose examples use different RoAd adapters is one pass over gathered (f, s) rows; merging is
// W' = R W, b' = R b, unmerging applies R⁻¹ pair by pair.
import * as tf from '@tensorflow/tfjs-core';
import type { ForwardContext, Rng } from '@weft/core';
import { AdapterLayer } from '../adapter-layer.js';
import { flatWeight, toWeightShape, type BaseOp } from '../base-op.js';
import { roadSize, type ROAD_VARIANTS } from './config.js';

/** Per-layer settings of a RoAd adapter. */
export interface RoadLayerOptions {
  variant: (typeof ROAD_VARIANTS)[number];
  groupSize: number;
  initWeights: boolean;
}

/** `y` (…, out) with each group's halves swapped and the new first half negated: (−h₂, h₁). */
function rotateHalf(y: tf.Tensor, groupSize: number): tf.Tensor {
  const out = y.shape[y.rank - 1]!;
  const g = tf.reshape(y, [-1, out / groupSize, 2, groupSize / 2]); // (N, G, 2, g/2)
  const [h1, h2] = tf.split(g, 2, 2);
  return tf.reshape(tf.concat([tf.neg(h2!), h1!], 2), y.shape); // (N, G, 2, g/2) -> (…, out)
}

/** A RoAd adapter on one base layer (its output channels are rotated). */
export class RoadLayer extends AdapterLayer {
  readonly method = 'road';
  /** Angles θ: out/2, out or 2·out values by variant. */
  readonly theta: tf.Variable;
  /** Scales α, the same size as θ. */
  readonly alpha: tf.Variable;

  constructor(base: BaseOp, readonly options: RoadLayerOptions, rng: Rng) {
    super(base);
    const out = base.outFeatures;
    if (out % options.groupSize !== 0) throw new Error(`RoAd: groupSize=${options.groupSize} must divide the layer's out=${out}`);
    const n = roadSize(options.variant, out);
    this.theta = this.addParameter('road_theta', options.initWeights ? tf.zeros([n]) : tf.tensor1d(rng.normalArray(n, 0, 0.5)));
    this.alpha = this.addParameter('road_alpha', options.initWeights ? tf.ones([n]) : tf.tensor1d(rng.normalArray(n, 1, 0.5)));
  }

  /** The per-output coefficients (f, s), each [out]: y' = y ⊙ f + rotateHalf(y) ⊙ s (PEFT's _prepare_cols). */
  columns(): [tf.Tensor1D, tf.Tensor1D] {
    return tf.tidy(() => {
      const g = this.options.groupSize, out = this.base.outFeatures;
      if (this.options.variant === 'road_4') {
        const t = tf.reshape(this.theta, [-1, 2, g]), a = tf.reshape(this.alpha, [-1, 2, g]); // (G, 2, g): cos half, sin half
        const [t1, t2] = tf.split(t, 2, 1), [a1, a2] = tf.split(a, 2, 1);
        return [tf.reshape(tf.mul(a1!, tf.cos(t1!)), [out]), tf.reshape(tf.mul(a2!, tf.sin(t2!)), [out])];
      }
      // road_1: one (θ, α) per pair, shared by both halves of the group: (G, g/2) -> (G, 2, g/2) -> [out].
      const spread = (v: tf.Tensor) => (this.options.variant === 'road_1' ? tf.reshape(tf.tile(tf.reshape(v, [-1, 1, g / 2]), [1, 2, 1]), [out]) : v);
      const t = spread(this.theta), a = spread(this.alpha);
      return [tf.mul(a, tf.cos(t)), tf.mul(a, tf.sin(t))] as [tf.Tensor1D, tf.Tensor1D];
    });
  }

  /** R applied to the last axis of `y` with coefficients (f, s) broadcast over the leading axes. */
  static rotate(y: tf.Tensor, f: tf.Tensor, s: tf.Tensor, groupSize: number): tf.Tensor {
    return tf.add(tf.mul(y, f), tf.mul(rotateHalf(y, groupSize), s));
  }

  transformOutput(_x: tf.Tensor, y: tf.Tensor, _yBase: tf.Tensor, _ctx: ForwardContext): tf.Tensor {
    const [f, s] = this.columns();
    return RoadLayer.rotate(y, f, s, this.options.groupSize);
  }

  /** One element-wise pass: each row's (f, s) gathered from the peers' stacked columns (identity for a row without adapter). */
  override mixedBatchOutput(x: tf.Tensor, y: tf.Tensor, yBase: tf.Tensor, ctx: ForwardContext, peers: ReadonlyArray<AdapterLayer | null>, rows: tf.Tensor1D): tf.Tensor {
    const all = peers.map((p) => (p === null ? null : (p as RoadLayer)));
    const g = this.options.groupSize;
    if (all.some((p) => p !== null && p.options.groupSize !== g)) return super.mixedBatchOutput(x, y, yBase, ctx, peers, rows);
    return tf.tidy(() => {
      const out = this.base.outFeatures;
      const cols = all.map((p) => (p === null ? [tf.ones([out]), tf.zeros([out])] : p.columns()));
      const f = tf.gather(tf.stack(cols.map((c) => c[0]!)), rows); // (A, out) -> (N, out)
      const s = tf.gather(tf.stack(cols.map((c) => c[1]!)), rows);
      return RoadLayer.rotate(y, f, s, g);
    });
  }

  deltaWeight(): tf.Tensor2D {
    return tf.tidy(() => {
      const w = flatWeight(this.base); // [fanIn, out]: each row is rotated like an output
      const [f, s] = this.columns();
      return tf.sub(RoadLayer.rotate(w, f, s, this.options.groupSize), w) as tf.Tensor2D;
    });
  }

  /** Apply (f, s) to the base weight's rows and to its bias. */
  private transformBase(inverse: boolean): void {
    const g = this.options.groupSize;
    const [f, s] = tf.tidy(() => {
      const [f0, s0] = this.columns();
      if (!inverse) return [f0, s0];
      // R⁻¹ per pair: det = fₚf_q + sₚs_q; f' = swap(f)/det, s' = −s/det.
      const det = tf.add(tf.mul(f0, swapHalves(f0, g)), tf.mul(s0, swapHalves(s0, g)));
      return [tf.div(swapHalves(f0, g), det), tf.div(tf.neg(s0), det)];
    });
    const w = this.base.weight;
    w.assign(tf.tidy(() => toWeightShape(this.base, RoadLayer.rotate(flatWeight(this.base), f, s, g))));
    const b = this.base.bias;
    // On the rank-1 bias itself: a reshaped result keeps its source's shape in the wasm backend, whose
    // FusedConv2D (a tfjs Conv2D's own call after unload) then refuses it as a rank-2 bias.
    if (b) b.assign(tf.tidy(() => RoadLayer.rotate(b, f, s, g)));
    f.dispose();
    s.dispose();
  }

  merge(): void {
    this.transformBase(false);
  }

  unmerge(): void {
    this.transformBase(true);
  }
}

/** Swap the two halves of every group of `v` ([out]): element i ↔ i + g/2. */
function swapHalves(v: tf.Tensor, g: number): tf.Tensor {
  const grouped = tf.reshape(v, [-1, 2, g / 2]); // [out] -> (G, 2, g/2)
  const [h1, h2] = tf.split(grouped, 2, 1);
  return tf.reshape(tf.concat([h2!, h1!], 1), [v.size]);
}

// ETHER: Efficient Finetuning of Large-Scale Models with Hyperplane Reflections (arXiv:2405.20271).
// ETHER: W' = H W (PyTorch layout) with the block-diagonal Householder reflection
// H = diag(I − 2ûᵢûᵢᵀ), acting on the output side; in Weft's [in, out] layout y = (x W) H + b.
// ETHER+: the relaxed H⁺ = diag(I − ûᵢûᵢᵀ + v̂ᵢv̂ᵢᵀ) on both sides, y = ((x H⁺ᵢₙ) W) H⁺ₒᵤₜ + b.
// Applied to activations, never materialised: h H = h − 2 (h·û) ûᵀ per block. ETHER starts from a
// random reflection (as the paper); ETHER+ starts at the identity (v = u). Merge folds H into W;
// ETHER unmerges exactly (H² = I), ETHER+ restores a kept copy. Conv bases: H acts on the channels
// of every pixel (input side: of every kernel tap of W).
import * as tf from '@tensorflow/tfjs-core';
import type { ForwardContext, Rng } from '@weft/core';
import { AdapterLayer } from '../adapter-layer.js';
import { flatWeight, toWeightShape, type BaseOp } from '../base-op.js';

/** Per-layer settings of an ETHER adapter. */
export interface EtherLayerOptions {
  plus: boolean;
  blocks: number;
}

/** h (..., d) times the block-diagonal transform of unit vectors u (and v for ETHER+), blocks n. */
function transform(h: tf.Tensor, u: tf.Tensor, v: tf.Tensor | null, n: number): tf.Tensor {
  const d = h.shape[h.rank - 1]!;
  const lead = h.shape.slice(0, -1);
  const hb = tf.reshape(h, [-1, n, d / n]); // (..., d) -> (N, n, d/n)
  const unit = (w: tf.Tensor) => tf.div(w, tf.norm(w, 'euclidean', 1, true)); // rows of (n, d/n) normalised
  const proj = (w: tf.Tensor) => tf.mul(tf.sum(tf.mul(hb, w), 2, true), w); // (h·ŵ) ŵ per block
  const uu = unit(u);
  const out = v ? tf.add(tf.sub(hb, proj(uu)), proj(unit(v))) : tf.sub(hb, tf.mul(proj(uu), 2));
  return tf.reshape(out, [...lead, d]); // (N, n, d/n) -> (..., d)
}

/** An ETHER / ETHER+ adapter on one base layer. */
export class EtherLayer extends AdapterLayer {
  readonly method = 'ether';
  readonly uOut: tf.Variable;
  readonly vOut: tf.Variable | null;
  readonly uIn: tf.Variable | null;
  readonly vIn: tf.Variable | null;
  private backup: tf.Tensor | null = null;

  constructor(base: BaseOp, readonly options: EtherLayerOptions, rng: Rng) {
    super(base);
    const n = options.blocks;
    const [i, o] = [base.inFeatures, base.outFeatures];
    const rand = (d: number) => tf.tensor2d(rng.normalArray(d), [n, d / n]);
    this.uOut = this.addParameter('u_out', rand(o));
    if (options.plus) {
      this.vOut = this.addParameter('v_out', tf.clone(this.uOut));
      this.uIn = this.addParameter('u_in', rand(i));
      this.vIn = this.addParameter('v_in', tf.clone(this.uIn));
    } else {
      this.vOut = this.uIn = this.vIn = null;
    }
  }

  override transformInput(x: tf.Tensor, _ctx: ForwardContext): tf.Tensor {
    if (!this.uIn) return x;
    // Per pixel on a conv input: conv(x H, W) = conv(x, H W), H acting on the input channels.
    return transform(x, this.uIn, this.vIn, this.options.blocks);
  }

  override transformOutput(_x: tf.Tensor, y: tf.Tensor, yBase: tf.Tensor, _ctx: ForwardContext): tf.Tensor {
    return tf.add(tf.sub(y, yBase), transform(yBase, this.uOut, this.vOut, this.options.blocks));
  }

  /** H_in W H_out, flat [fanIn, out]. */
  private transformed(): tf.Tensor2D {
    let w: tf.Tensor = flatWeight(this.base);
    if (this.uIn) {
      // H symmetric: H W = (Wᵀ H)ᵀ, on the input-channel axis of each kernel tap (one tap for Linear).
      const [k, i, o] = [w.shape[0]! / this.base.inFeatures, this.base.inFeatures, this.base.outFeatures];
      const wt = tf.transpose(tf.reshape(w, [k, i, o]), [0, 2, 1]); // (kh·kw·in, out) -> (kh·kw, in, out) -> (kh·kw, out, in)
      w = tf.reshape(tf.transpose(transform(wt, this.uIn, this.vIn, this.options.blocks), [0, 2, 1]), [k * i, o]); // -> (kh·kw·in, out)
    }
    return transform(w, this.uOut, this.vOut, this.options.blocks) as tf.Tensor2D;
  }

  deltaWeight(): tf.Tensor2D {
    return tf.tidy(() => tf.sub(this.transformed(), flatWeight(this.base)) as tf.Tensor2D);
  }

  merge(): void {
    if (this.options.plus) this.backup = tf.keep(tf.clone(this.base.weight));
    this.base.weight.assign(tf.tidy(() => toWeightShape(this.base, this.transformed())));
  }

  unmerge(): void {
    if (this.backup) {
      this.base.weight.assign(this.backup);
      this.backup.dispose();
      this.backup = null;
      return;
    }
    this.base.weight.assign(tf.tidy(() => toWeightShape(this.base, this.transformed()))); // a reflection is its own inverse
  }

  override dispose(): void {
    this.backup?.dispose();
    this.backup = null;
    super.dispose();
  }
}

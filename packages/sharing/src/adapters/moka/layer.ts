// MoKA: Mixture of Kronecker Adapters (arXiv:2508.03527).
// ΔW(x) = α Σₖ gₖ(x) · kron(Aₖ, Bₖ) with a softmax gate g(x) = softmax(x G) over K Kronecker terms
// (Weft layout: Aₖ [in_m, out_l], Bₖ [in_n, out_k], kron [in, out]). Each term is applied without
// materialising the Kronecker product: x·kron(A, B) = vec(Aᵀ X B) with X = x reshaped [in_m, in_n]
// (the paper's reformulation as standard matrix products). The Bₖ start at zero, so the adapter
// starts as a no-op. The gate depends on the input, so the mixture cannot be merged into W.
// Conv bases (as LoKr on Conv2d): in/out channels are factored and Bₖ carries the kernel
// [kh·kw·in_n, out_k]; the gate is a conv of the input (softmax per output pixel over its receptive
// field), and each term is a conv by the materialised kron kernel (all K in one conv).
// Departure: the gate is a single linear map of the layer input (the paper's gating network may differ).
import * as tf from '@tensorflow/tfjs-core';
import type { ForwardContext, Rng } from '@weft/core';
import { AdapterLayer, kaimingBound } from '../adapter-layer.js';
import { applyFlat, fanIn, type BaseOp } from '../base-op.js';
import { kronKernel } from '../conv-layout.js';
import { lokrFactorization } from '@weft/core';

/** Per-layer settings of a MoKA adapter. */
export interface MokaLayerOptions {
  experts: number;
  decomposeFactor: number;
  alpha: number;
}

/** A MoKA adapter on one Linear or Conv2d base. */
export class MokaLayer extends AdapterLayer {
  readonly method = 'moka';
  /** Stacked left factors [K, in_m, out_l]. */
  readonly a: tf.Variable;
  /** Stacked right factors [K, in_n, out_k] ([K, kh·kw·in_n, out_k] on a conv base). */
  readonly b: tf.Variable;
  /** Gate [fanIn, K]. */
  readonly gate: tf.Variable;
  readonly shape: { inM: number; inN: number; outL: number; outK: number };

  constructor(base: BaseOp, readonly options: MokaLayerOptions, rng: Rng) {
    super(base);
    const K = options.experts;
    const k = fanIn(base);
    const kk = k / base.inFeatures; // kernel taps kh·kw (1 on Linear)
    const [inM, inN] = lokrFactorization(base.inFeatures, options.decomposeFactor);
    const [outL, outK] = lokrFactorization(base.outFeatures, options.decomposeFactor);
    this.shape = { inM, inN, outL, outK };
    this.a = this.addParameter('kron_a', tf.tensor3d(rng.uniformArray(K * inM * outL, -kaimingBound(inM), kaimingBound(inM)), [K, inM, outL]));
    this.b = this.addParameter('kron_b', tf.zeros([K, kk * inN, outK]));
    this.gate = this.addParameter('gate', tf.tensor2d(rng.uniformArray(k * K, -kaimingBound(k), kaimingBound(k)), [k, K]));
  }

  override transformOutput(x: tf.Tensor, y: tf.Tensor, _yBase: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    if (this.base.kind === 'conv2d') return this.convOutput(x, y, ctx);
    const { inM, inN, outL, outK } = this.shape;
    const K = this.options.experts;
    const n = x.shape[0]!;
    const g = tf.softmax(tf.matMul(x as tf.Tensor2D, this.gate)); // (N, K)
    ctx.addStat(`${ctx.keyOf(this, 'moka')}/gate`, tf.mean(g, 0)); // per layer: its path in the trainer's model
    const X = tf.reshape(x, [n, inM, inN]); // (N, in) -> (N, in_m, in_n)
    let delta: tf.Tensor | null = null;
    for (let k = 0; k < K; k++) {
      const ak = tf.reshape(tf.slice(this.a, [k, 0, 0], [1, inM, outL]), [inM, outL]);
      const bk = tf.reshape(tf.slice(this.b, [k, 0, 0], [1, inN, outK]), [inN, outK]);
      // Aᵀ X B per token: (N, in_m, in_n) -> (N, out_l, out_k) -> (N, out)
      const xb = tf.reshape(tf.matMul(tf.reshape(X, [n * inM, inN]), bk), [n, inM, outK]);
      const axb = tf.matMul(tf.transpose(xb, [0, 2, 1]), tf.tile(tf.expandDims(ak, 0), [n, 1, 1])); // (N, out_k, out_l)
      const term = tf.reshape(tf.transpose(axb, [0, 2, 1]), [n, outL * outK]); // (N, out_l, out_k) -> (N, out)
      const weighted = tf.mul(term, tf.slice(g, [0, k], [-1, 1]));
      delta = delta ? tf.add(delta, weighted) : weighted;
    }
    return tf.add(y, tf.mul(delta!, this.options.alpha));
  }

  /** Conv base: y + α Σₖ gₖ ⊙ conv(x, kron(Aₖ, Bₖ)) with g = softmax(conv(x, G)) per output pixel. */
  private convOutput(x: tf.Tensor, y: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    const K = this.options.experts;
    const kernel = this.base.conv!.kernel;
    const { inM, outL, outK } = this.shape;
    const g = tf.softmax(applyFlat(this.base, x, this.gate)); // (B, H', W', K)
    ctx.addStat(`${ctx.keyOf(this, 'moka')}/gate`, tf.mean(g, [0, 1, 2]));
    const kernels: tf.Tensor[] = [];
    for (let e = 0; e < K; e++) {
      const ae = tf.reshape(tf.slice(this.a, [e, 0, 0], [1, inM, outL]), [inM, outL]);
      const be = tf.reshape(tf.slice(this.b, [e, 0, 0], [1, -1, outK]), [-1, outK]); // (kh·kw·in_n, out_k)
      kernels.push(kronKernel(ae, be, kernel)); // (kh·kw·in, out)
    }
    const o = outL * outK;
    const terms = applyFlat(this.base, x, tf.concat(kernels, 1)); // (B, H', W', K·out)
    const [b, h, w] = terms.shape as number[];
    const mixed = tf.sum(tf.mul(tf.reshape(terms, [b!, h!, w!, K, o]), tf.expandDims(g, 4)), 3); // (B, H', W', K, out) -> (B, H', W', out)
    return tf.add(y, tf.mul(mixed, this.options.alpha));
  }

  deltaWeight(): tf.Tensor2D {
    throw new Error('MoKA: the gate depends on the input; there is no single ΔW');
  }

  merge(): void {
    throw new Error('MoKA: an input-gated mixture cannot be merged into the base weights');
  }

  unmerge(): void {}
}

// LoKr: Kronecker-product adapters (LyCORIS, arXiv:2309.14859), as PEFT's LoKr.
// ΔW = s · kron(K1, K2), s = alpha / r, K1 [in_m, out_l], K2 [in_n, out_k] (PEFT's lokr_w1, lokr_w2
// transposed, since kron(A, B)ᵀ = kron(Aᵀ, Bᵀ)); each factor is full or a rank-r product, chosen by
// PEFT's rule from r and the factorisation. Conv bases (as PEFT): in/out channels are factored and the
// kernel lives in K2 [kh·kw·in_n, out_k] (conv-layout.ts's kronKernel); with effectiveConv2d a low-rank
// K2 is in Tucker form tucker(T2 [kh, kw, r, r], [in_n, r], [r, out_k]) (PEFT's lokr_t2).
import * as tf from '@tensorflow/tfjs-core';
import type { ForwardContext, Rng } from '@weft/core';
import { lokrShape } from '@weft/core';
import { AdditiveAdapter, kaimingBound } from '../adapter-layer.js';
import { applyWeight, toWeightShape, type BaseOp } from '../base-op.js';
import { kronKernel, tuckerKernel } from '../conv-layout.js';
import { moduleDropped, rankDropout } from '../lycoris.js';

/** Per-layer settings of a LoKr adapter. */
export interface LokrLayerOptions {
  r: number;
  alpha: number;
  decomposeBoth: boolean;
  decomposeFactor: number;
  rankDropout: number;
  rankDropoutScale: boolean;
  moduleDropout: number;
  initWeights: boolean;
  /** A low-rank K2 in Tucker form on a conv base whose kernel is above 1×1 (PEFT's use_effective_conv2d). */
  effectiveConv2d: boolean;
}

/** kron(a [p, q], b [s, t]) → [p·s, q·t], as torch.kron. */
export function kron(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  const [p, q] = a.shape;
  const [s, t] = b.shape;
  // (p, 1, q, 1) · (1, s, 1, t) -> (p, s, q, t) -> (p·s, q·t)
  return tf.reshape(tf.mul(tf.reshape(a, [p, 1, q, 1]), tf.reshape(b, [1, s, 1, t])), [p * s, q * t]);
}

/** One Kronecker factor: a full matrix or a rank-r product. Names are PEFT's (w1 or w1_a/w1_b). */
export interface LokrFactor {
  full: tf.Variable | null;
  /** Weft layout: left = PEFT's _b transposed [rows, r], right = PEFT's _a transposed [r, cols]. */
  left: tf.Variable | null;
  right: tf.Variable | null;
  /** Tucker core [kh, kw, r, r] (K2 with effectiveConv2d; then left is [in_n, r]), or null. */
  core: tf.Variable | null;
}

/** A LoKr adapter on one Linear or Conv2d base. */
export class LokrLayer extends AdditiveAdapter {
  readonly method = 'lokr';
  readonly scaling: number;
  /** PyTorch shapes ((out_l, out_k), (in_m, in_n)). */
  readonly shape: [[number, number], [number, number]];
  /** W1 [in_m, out_l] (Weft layout) and W2 [kh·kw·in_n, out_k] (kh = kw = 1 on Linear). */
  readonly f1: LokrFactor;
  readonly f2: LokrFactor;
  /** The base's kernel size ([1, 1] for Linear). */
  readonly kernel: [number, number];

  constructor(base: BaseOp, readonly options: LokrLayerOptions, rng: Rng) {
    super(base);
    const { r, decomposeBoth, decomposeFactor } = options;
    this.scaling = options.alpha / r;
    // PEFT's factorisation and full/low-rank choice, the same function core's calculator counts with.
    const { inM, inN, outL, outK, fullW1: useW1, fullW2: useW2 } = lokrShape(base.inFeatures, base.outFeatures, r, decomposeBoth, decomposeFactor);
    this.shape = [[outL, outK], [inM, inN]];
    const init = options.initWeights;
    this.kernel = base.conv?.kernel ?? [1, 1];
    const kk = this.kernel[0] * this.kernel[1];
    const tucker = !useW2 && options.effectiveConv2d && kk > 1;
    // Weft layout of w1 [out_l, in_m] is [in_m, out_l]; PyTorch fan-ins are the second PyTorch dim
    // times the kernel (w2 [out_k, in_n, kh, kw] → in_n·kh·kw; Tucker: w2_a [r, out_k] → out_k, t2 → r·kh·kw).
    const u = (shape: number[], fan: number, zero = false) =>
      zero ? tf.zeros(shape) : tf.tensor(rng.uniformArray(shape.reduce((a, b) => a * b, 1), -kaimingBound(fan), kaimingBound(fan)), shape);
    this.f1 = useW1
      ? { full: this.addParameter('lokr_w1', u([inM, outL], inM, init)), left: null, right: null, core: null }
      : { full: null, left: this.addParameter('lokr_w1_b', u([inM, r], inM)), right: this.addParameter('lokr_w1_a', u([r, outL], r, init)), core: null };
    this.f2 = useW2
      ? { full: this.addParameter('lokr_w2', u([kk * inN, outK], kk * inN)), left: null, right: null, core: null }
      : tucker
        ? { full: null, left: this.addParameter('lokr_w2_b', u([inN, r], inN)), right: this.addParameter('lokr_w2_a', u([r, outK], outK)), core: this.addParameter('lokr_t2', u([...this.kernel, r, r], r * kk)) }
        : { full: null, left: this.addParameter('lokr_w2_b', u([kk * inN, r], kk * inN)), right: this.addParameter('lokr_w2_a', u([r, outK], r)), core: null };
  }

  private factor(f: LokrFactor): tf.Tensor2D {
    if (f.core) return tuckerKernel(f.core, f.left!, f.right!);
    return (f.full ?? tf.matMul(f.left!, f.right!)) as tf.Tensor2D;
  }

  deltaWeight(ctx?: ForwardContext): tf.Tensor2D {
    return tf.tidy(() => {
      const d = tf.mul(kronKernel(this.factor(this.f1), this.factor(this.f2), this.kernel), this.scaling) as tf.Tensor2D;
      return ctx ? rankDropout(d, this.options.rankDropout, this.options.rankDropoutScale, ctx) : d;
    });
  }

  override transformOutput(x: tf.Tensor, y: tf.Tensor, _yBase: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    if (moduleDropped(this.options.moduleDropout, ctx)) return y;
    return tf.add(y, applyWeight(this.base, x, toWeightShape(this.base, this.deltaWeight(ctx))));
  }
}

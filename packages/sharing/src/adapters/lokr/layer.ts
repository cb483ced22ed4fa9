// LoKr: Kronecker-product adapters (LyCORIS, arXiv:2309.14859), as PEFT's LoKr.
// ΔW = s · kron(K1, K2), s = alpha / r, K1 [in_m, out_l], K2 [in_n, out_k] (PEFT's lokr_w1, lokr_w2
// transposed, since kron(A, B)ᵀ = kron(Aᵀ, Bᵀ)); each factor is full or a rank-r product, chosen by
// PEFT's rule from r and the factorisation. Linear bases only (no effective-conv2d / lokr_t2).
import * as tf from '@tensorflow/tfjs-core';
import type { ForwardContext, Rng } from '@weft/core';
import { lokrShape } from '@weft/core';
import { AdditiveAdapter, kaimingBound } from '../adapter-layer.js';
import type { BaseOp } from '../base-op.js';
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
}

/** A LoKr adapter on one Linear base. */
export class LokrLayer extends AdditiveAdapter {
  readonly method = 'lokr';
  readonly scaling: number;
  /** PyTorch shapes ((out_l, out_k), (in_m, in_n)). */
  readonly shape: [[number, number], [number, number]];
  /** W1 [in_m, out_l] (Weft layout) and W2 [in_n, out_k]. */
  readonly f1: LokrFactor;
  readonly f2: LokrFactor;

  constructor(base: BaseOp, readonly options: LokrLayerOptions, rng: Rng) {
    super(base);
    if (base.kind !== 'linear') throw new Error('LoKr: only Linear/Dense layers are supported (got a conv2d layer)');
    const { r, decomposeBoth, decomposeFactor } = options;
    this.scaling = options.alpha / r;
    // PEFT's factorisation and full/low-rank choice, the same function core's calculator counts with.
    const { inM, inN, outL, outK, fullW1: useW1, fullW2: useW2 } = lokrShape(base.inFeatures, base.outFeatures, r, decomposeBoth, decomposeFactor);
    this.shape = [[outL, outK], [inM, inN]];
    const init = options.initWeights;
    // Weft layout of w1 [out_l, in_m] is [in_m, out_l]; PyTorch fan-ins are the second PyTorch dim.
    const u = (rows: number, cols: number, fan: number, zero = false) =>
      zero ? tf.zeros([rows, cols]) : tf.tensor2d(rng.uniformArray(rows * cols, -kaimingBound(fan), kaimingBound(fan)), [rows, cols]);
    this.f1 = useW1
      ? { full: this.addParameter('lokr_w1', u(inM, outL, inM, init)), left: null, right: null }
      : { full: null, left: this.addParameter('lokr_w1_b', u(inM, r, inM)), right: this.addParameter('lokr_w1_a', u(r, outL, r, init)) };
    this.f2 = useW2
      ? { full: this.addParameter('lokr_w2', u(inN, outK, inN)), left: null, right: null }
      : { full: null, left: this.addParameter('lokr_w2_b', u(inN, r, inN)), right: this.addParameter('lokr_w2_a', u(r, outK, r)) };
  }

  private factor(f: LokrFactor): tf.Tensor2D {
    return (f.full ?? tf.matMul(f.left!, f.right!)) as tf.Tensor2D;
  }

  deltaWeight(ctx?: ForwardContext): tf.Tensor2D {
    return tf.tidy(() => {
      const d = tf.mul(kron(this.factor(this.f1), this.factor(this.f2)), this.scaling) as tf.Tensor2D;
      return ctx ? rankDropout(d, this.options.rankDropout, this.options.rankDropoutScale, ctx) : d;
    });
  }

  override transformOutput(x: tf.Tensor, y: tf.Tensor, _yBase: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    if (moduleDropped(this.options.moduleDropout, ctx)) return y;
    return tf.add(y, tf.matMul(x as tf.Tensor2D, this.deltaWeight(ctx)));
  }
}

// AlphaNet: Improved Training of Supernets with Alpha-Divergence (arXiv 2102.07954), §3: the
// distillation loss of a student q against a teacher p,
//   D_α(p‖q) = 1/(α(α−1)) · Σ_i q_i ((p_i/q_i)^α − 1)        (α ≠ 0; α = 1: its limit KL(p‖q)),
// made adaptive, max(D_α−, D_α+) per example (α− < 0 penalises a student that over-estimates the
// teacher's uncertainty, α+ > 0 one that under-estimates it), with the gradient's importance
// weight (p_i/q_i)^α clipped at β: ∂D_α/∂q_i = −(p_i/q_i)^α/α − 1/(α(α−1)), and Σ_i q_i = 1 makes the
// constant vanish through the softmax. The value returned is the unclipped divergence, averaged
// over the batch; its gradient is the clipped one. The teacher gets no gradient.
import * as tf from '@tensorflow/tfjs-core';
import { describeValue } from '@weft/core';
import { checkNumber } from '@weft/core/internal';
import { stopGradient } from './search/gdas.js';

/** Options of {@link alphaDivergence}. */
export interface AlphaDivergenceOptions {
  /** α− (< 0). Default −1 (AlphaNet). */
  alphaMin?: number;
  /** α+ (> 0; 1 is KL(p‖q)). Default 1. */
  alphaMax?: number;
  /** Clip β of the importance weight in the gradient. Default 5 (AlphaNet). Infinity = no clipping. */
  clip?: number;
}

/** Per-example D_α(p‖q) from probabilities, (B, C) -> (B,). */
function divergence(p: tf.Tensor, q: tf.Tensor, alpha: number): tf.Tensor {
  if (alpha === 1) return tf.sum(tf.mul(p, tf.sub(tf.log(tf.maximum(p, 1e-30)), tf.log(q))), -1); // the limit, KL(p‖q)
  const r = tf.div(p, q);
  return tf.div(tf.sum(tf.mul(q, tf.sub(tf.pow(r, alpha), 1)), -1), alpha * (alpha - 1));
}

/** Adaptive, clipped α-divergence of student logits against teacher logits (both (B, C)); the batch mean. */
export function alphaDivergence(studentLogits: tf.Tensor, teacherLogits: tf.Tensor, options: AlphaDivergenceOptions = {}): tf.Scalar {
  const aMin = options.alphaMin ?? -1;
  const aMax = options.alphaMax ?? 1;
  const clip = options.clip ?? 5;
  checkNumber('alphaDivergence', 'alphaMin', aMin, -Infinity, -1e-6);
  checkNumber('alphaDivergence', 'alphaMax', aMax, 1e-6);
  if (!(clip > 0)) throw new Error(`alphaDivergence: clip=${describeValue(clip)} must be > 0 (Infinity: no clipping)`);
  if (studentLogits.rank !== 2 || teacherLogits.rank !== 2 || studentLogits.shape.some((d, i) => d !== teacherLogits.shape[i])) {
    throw new Error(`alphaDivergence: student logits [${studentLogits.shape}] and teacher logits [${teacherLogits.shape}] must both be (B, C)`);
  }
  return tf.tidy(() => {
    // Probabilities floored at 1e-12: a teacher probability that underflows to 0 made D_α− (q²/p) infinite.
    const p = tf.maximum(tf.softmax(stopGradient(teacherLogits), -1), 1e-12);
    const logq = tf.logSoftmax(studentLogits, -1);
    const q = tf.exp(logq);
    const qc = tf.maximum(stopGradient(q), 1e-12);
    const [dMin, dMax] = [divergence(p, qc, aMin), divergence(p, qc, aMax)];
    const useMax = tf.greaterEqual(dMax, dMin); // (B,) which α is adaptive's max
    const value = tf.where(useMax, dMax, dMin);
    // Surrogate with the clipped gradient: Σ_i stop(−min(r^α, β)/α) · q_i, for the chosen α per example.
    const weight = (a: number) => tf.div(tf.minimum(tf.pow(tf.div(p, qc), a), clip), -a);
    const w = stopGradient(tf.where(tf.expandDims(useMax, 1), weight(aMax), weight(aMin))); // (B, C)
    const surrogate = tf.sum(tf.mul(w, q), -1); // (B,)
    const perExample = tf.add(tf.sub(surrogate, stopGradient(surrogate)), value);
    return tf.mean(perExample) as tf.Scalar;
  });
}

/** KL(p‖q) of student logits against teacher logits (in-place distillation's usual loss), the batch mean. */
export function klDistillation(studentLogits: tf.Tensor, teacherLogits: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const logp = tf.logSoftmax(stopGradient(teacherLogits), -1);
    return tf.mean(tf.sum(tf.mul(tf.exp(logp), tf.sub(logp, tf.logSoftmax(studentLogits, -1))), -1)) as tf.Scalar;
  });
}

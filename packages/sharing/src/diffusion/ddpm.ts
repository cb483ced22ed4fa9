// Denoising diffusion (Ho et al., arXiv:2006.11239) for the DiT-Air toy: the linear β schedule, the
// ε-prediction training loss at random timesteps, and ancestral sampling. Used with DiTDenoiser.
import * as tf from '@tensorflow/tfjs-core';
import { Rng, type Module } from '@weft/core';
import { checkInt, checkPositiveInt } from '@weft/core/internal';

/** A DDPM noise schedule: β_t linear from βstart to βend over T steps, with ᾱ_t = Π (1 − β). */
export class DdpmSchedule {
  /** β_t, t = 0..T−1. */
  readonly beta: Float32Array;
  /** ᾱ_t. */
  readonly alphaBar: Float32Array;
  constructor(readonly steps = 50, betaStart = 1e-4, betaEnd = 0.2) {
    checkPositiveInt('DdpmSchedule', 'steps', steps);
    if (!(betaStart > 0 && betaEnd < 1 && betaStart <= betaEnd)) throw new Error(`DdpmSchedule: need 0 < betaStart=${betaStart} ≤ betaEnd=${betaEnd} < 1`);
    this.beta = Float32Array.from({ length: steps }, (_, t) => betaStart + ((betaEnd - betaStart) * t) / Math.max(1, steps - 1));
    this.alphaBar = new Float32Array(steps);
    let p = 1;
    this.beta.forEach((b, t) => (this.alphaBar[t] = p *= 1 - b));
  }
}

/** The ε-prediction loss mean‖ε − ε̂(√ᾱ_t·x₀ + √(1 − ᾱ_t)·ε, t)‖² at uniform random timesteps (drawn from `rng`). */
export function ddpmLoss(model: Module<{ x: tf.Tensor; t: tf.Tensor }, tf.Tensor>, x0: tf.Tensor, schedule: DdpmSchedule, rng: Rng): tf.Scalar {
  const B = x0.shape[0]!;
  const ts = Int32Array.from({ length: B }, () => rng.int(schedule.steps));
  const t = tf.tensor1d(ts, 'int32');
  const ab = tf.tensor2d(Float32Array.from(ts, (i) => schedule.alphaBar[i]!), [B, 1]);
  const eps = tf.tensor(rng.normalArray(x0.size), x0.shape);
  const xt = tf.add(tf.mul(tf.sqrt(ab), x0), tf.mul(tf.sqrt(tf.sub(1, ab)), eps));
  return tf.mean(tf.square(tf.sub(eps, model.call({ x: xt, t })))) as tf.Scalar;
}

/**
 * Ancestral sampling: x_T ~ N(0, I), then x_{t−1} = (x_t − β_t/√(1 − ᾱ_t)·ε̂)/√(1 − β_t) + σ_t·z with
 * σ_t² = β_t (z = 0 at t = 0). Returns n points (flat, n·dim values) read back with one `data()`.
 */
export async function ddpmSample(model: Module<{ x: tf.Tensor; t: tf.Tensor }, tf.Tensor>, schedule: DdpmSchedule, n: number, dim: number, rng: Rng): Promise<Float32Array> {
  checkPositiveInt('ddpmSample', 'n', n);
  checkInt('ddpmSample', 'dim', dim, 1);
  model.eval();
  let x: tf.Tensor = tf.tensor(rng.normalArray(n * dim), [n, dim]);
  for (let t = schedule.steps - 1; t >= 0; t--) {
    const next = tf.tidy(() => {
      const b = schedule.beta[t]!;
      const eps = model.call({ x, t: tf.fill([n], t, 'int32') });
      const mean = tf.div(tf.sub(x, tf.mul(b / Math.sqrt(1 - schedule.alphaBar[t]!), eps)), Math.sqrt(1 - b));
      return t > 0 ? tf.add(mean, tf.mul(Math.sqrt(b), tf.tensor(rng.normalArray(n * dim), [n, dim]))) : mean;
    });
    x.dispose();
    x = next;
  }
  const out = (await x.data()) as Float32Array;
  x.dispose();
  model.train();
  return out;
}

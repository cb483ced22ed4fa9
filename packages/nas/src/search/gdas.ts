// GDAS: Searching for A Robust Neural Architecture in Four GPU Hours (arXiv 1910.04465): each
// edge samples one op by Gumbel-softmax with the straight-through hard one-hot
// h = onehot(argmax((log softmax α + g)/τ)) − sg(soft) + soft, τ annealed linearly 10 → 0.1.
// Departure: the sampled index stays on the device (no per-step readback), so every candidate
// is computed and multiplied by h (the forward value is GDAS's single op exactly; compute and
// memory are DARTS'). Bilevel first order as in the paper.
import * as tf from '@tensorflow/tfjs-core';
import { rowsOf } from '../supernet.js';
import type { StepContext, StepOutput } from '@weft/core';
import type { ArchSampler } from '../supernet.js';
import type { SearchNetwork } from '../supernet.js';
import { DartsSearch, DARTS_DEFAULTS, type DartsConfig } from './darts.js';
import type { SearchBatch, TaskLoss } from './bilevel.js';

/** Config of {@link GdasSearch}. */
export interface GdasConfig extends DartsConfig {
  /** Initial Gumbel temperature. Default 10 (GDAS). */
  tauMax: number;
  /** Final temperature. Default 0.1 (GDAS). */
  tauMin: number;
  /** Steps over which τ anneals linearly. Default 200. */
  annealSteps: number;
}

/** Defaults of {@link GdasConfig}. */
export const GDAS_DEFAULTS: GdasConfig = { ...DARTS_DEFAULTS, order: 1, tauMax: 10, tauMin: 0.1, annealSteps: 200 };

/** Identity forward, zero gradient (tfjs has no stop_gradient op). */
export const stopGradient = tf.customGrad(((x: tf.Tensor) => ({ value: tf.clone(x), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) })) as never) as (x: tf.Tensor) => tf.Tensor;

/** A Gumbel straight-through sampler at temperature `tau()`; noise from the forward context's seeded stream. */
export function gumbelSampler(tau: () => number): ArchSampler {
  return (_kind, alpha, ctx) => {
    const [E, n] = alpha.shape as [number, number];
    const u = ctx.rng.uniformArray(E * n, 1e-10, 1 - 1e-10);
    const g = tf.neg(tf.log(tf.neg(tf.log(tf.tensor2d(u, [E, n])))));
    const soft = tf.softmax(tf.div(tf.add(tf.logSoftmax(alpha, -1), g), tau()), -1); // (E, n)
    const hard = tf.oneHot(tf.argMax(soft, -1), n); // (E, n)
    const h = tf.add(tf.sub(hard, stopGradient(soft)), soft);
    return rowsOf(h).map((weights) => ({ weights }));
  };
}

/** GDAS search. */
export class GdasSearch extends DartsSearch {
  override readonly method = 'gdas';
  private tau: number;

  constructor(net: SearchNetwork, loss: TaskLoss, config: Partial<GdasConfig> = {}) {
    const c = { ...GDAS_DEFAULTS, ...config, order: 1 as const };
    super(net, loss, c);
    if (!(c.tauMin > 0 && c.tauMax >= c.tauMin)) throw new Error(`gdas: need 0 < tauMin=${c.tauMin} ≤ tauMax=${c.tauMax}`);
    if (!Number.isInteger(c.annealSteps) || c.annealSteps < 1) throw new Error(`gdas: annealSteps=${c.annealSteps} must be an integer ≥ 1`);
    this.tau = c.tauMax;
    const cfg = c;
    this.anneal = (step) => {
      this.tau = cfg.tauMax - (cfg.tauMax - cfg.tauMin) * Math.min(1, step / cfg.annealSteps);
    };
    net.sampler = gumbelSampler(() => this.tau);
  }

  private readonly anneal: (step: number) => void;

  override step(batch: SearchBatch, s: StepContext): StepOutput {
    this.anneal(s.step);
    return super.step(batch, s);
  }

  /** Current temperature. */
  get temperature(): number {
    return this.tau;
  }
}

// GDAS: Searching for A Robust Neural Architecture in Four GPU Hours (arXiv 1910.04465): each
// edge samples one op by Gumbel-max, idx = argmax(log softmax α + g), and computes only that op,
// weighted by the straight-through hard one-hot h = onehot(idx) − sg(soft) + soft with
// soft = softmax((log softmax α + g)/τ), τ annealed linearly 10 → 0.1: the forward value is the
// sampled op's output and α gets soft's gradient. Bilevel first order as in the paper.
// Departure: the index is chosen on the host (GDAS reads it with `.item()`); Weft draws the
// Gumbel noise on the host and keeps a host copy of α that is refreshed after every step without
// blocking (read when the trainer next yields, so it may lag α by a few steps; `ready()` waits
// for it). h itself uses the current α on the device.
import * as tf from '@tensorflow/tfjs-core';
import { rowsOf } from '../supernet.js';
import { checkKnownKeys, configKeys, type ForwardContext, type StepContext, type StepOutput } from '@weft/core';
import type { ArchSampler, CellKind } from '../supernet.js';
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

/** Every key of {@link GdasConfig}. */
export const GDAS_KEYS = configKeys<GdasConfig>({ weightOptimizer: true, archOptimizer: true, warmupSteps: true, weightSchedule: true, order: true, xi: true, epsilonScale: true, tauMax: true, tauMin: true, annealSteps: true });

/** Defaults of {@link GdasConfig}. */
export const GDAS_DEFAULTS: GdasConfig = { ...DARTS_DEFAULTS, order: 1, tauMax: 10, tauMin: 0.1, annealSteps: 200 };

/** Identity forward, zero gradient (tfjs has no stop_gradient op). */
export const stopGradient = tf.customGrad(((x: tf.Tensor) => ({ value: tf.clone(x), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) })) as never) as (x: tf.Tensor) => tf.Tensor;

/**
 * A Gumbel straight-through sampler at temperature `tau()`: one active op per edge. `hostAlpha`
 * gives α of a cell type as host numbers (row-major (E, n)), or undefined before the first read
 * (then α is taken as 0, its value at initialisation up to 1e-3 noise). The noise comes from the
 * forward context's seeded stream.
 */
export function gumbelSampler(tau: () => number, hostAlpha: (kind: CellKind) => Float32Array | undefined): ArchSampler {
  return (kind: CellKind, alpha: tf.Tensor, ctx: ForwardContext) => {
    const [E, n] = alpha.shape as [number, number];
    const u = ctx.rng.uniformArray(E * n, 1e-10, 1 - 1e-10);
    const g = Float32Array.from(u, (v) => -Math.log(-Math.log(v)));
    const a = hostAlpha(kind);
    // argmax(log softmax α + g) = argmax(α + g): log softmax shifts a row by a constant.
    const idx = Array.from({ length: E }, (_, e) => {
      let best = 0;
      for (let o = 1; o < n; o++) if ((a?.[e * n + o] ?? 0) + g[e * n + o]! > (a?.[e * n + best] ?? 0) + g[e * n + best]!) best = o;
      return best;
    });
    const soft = tf.softmax(tf.div(tf.add(tf.logSoftmax(alpha, -1), tf.tensor2d(g, [E, n])), tau()), -1); // (E, n)
    const hard = tf.oneHot(tf.tensor1d(idx, 'int32'), n); // (E, n)
    const h = tf.add(tf.sub(hard, stopGradient(soft)), soft);
    return rowsOf(h).map((weights, e) => ({ weights, active: [idx[e]!] }));
  };
}

/** GDAS search. */
export class GdasSearch extends DartsSearch {
  override readonly method = 'gdas';
  private tau: number;

  constructor(net: SearchNetwork, loss: TaskLoss, config: Partial<GdasConfig> = {}) {
    checkKnownKeys('gdas', config, GDAS_KEYS);
    const c = { ...GDAS_DEFAULTS, ...config, order: 1 as const };
    const { tauMax: _max, tauMin: _min, annealSteps: _steps, ...darts } = c;
    super(net, loss, darts);
    if (net.alphaCells) throw new Error('gdas: the space has cellAlphas=true (one α per cell, D-DARTS); GDAS samples from a host copy of α per cell type, so give a space without it');
    if (!(c.tauMin > 0 && c.tauMax >= c.tauMin)) throw new Error(`gdas: need 0 < tauMin=${c.tauMin} ≤ tauMax=${c.tauMax}`);
    if (!Number.isInteger(c.annealSteps) || c.annealSteps < 1) throw new Error(`gdas: annealSteps=${c.annealSteps} must be an integer ≥ 1`);
    this.tau = c.tauMax;
    const cfg = c;
    this.anneal = (step) => {
      this.tau = cfg.tauMax - (cfg.tauMax - cfg.tauMin) * Math.min(1, step / cfg.annealSteps);
    };
    net.sampler = gumbelSampler(() => this.tau, (k) => this.host.get(k));
    this.refresh();
  }

  private readonly host = new Map<CellKind, Float32Array>();
  private reads: Promise<void> | null = null;

  /** Start reading α to the host unless a read is under way (never blocks). */
  private refresh(): void {
    if (this.reads) return;
    const net = this.net;
    // Read clones: the next architecture step assigns α, which frees the variable's old data while
    // a webgpu read of it may still be pending (a clone holds a reference to that data).
    const copies = net.kinds().map((k) => [k, tf.keep(tf.clone(net.alpha(k)))] as const);
    this.reads = Promise.all(
      copies.map(async ([k, t]) => {
        try {
          this.host.set(k, (await t.data()) as Float32Array);
        } finally {
          t.dispose();
        }
      }),
    ).then(() => {
      this.reads = null;
    });
  }

  /** Resolves when the host copy of α is current. */
  async ready(): Promise<void> {
    while (this.reads) await this.reads;
    this.refresh();
    await this.reads;
  }

  private readonly anneal: (step: number) => void;

  override step(batch: SearchBatch, s: StepContext): StepOutput {
    this.anneal(s.step);
    const out = super.step(batch, s);
    this.refresh();
    return out;
  }

  /** Current temperature. */
  get temperature(): number {
    return this.tau;
  }
}

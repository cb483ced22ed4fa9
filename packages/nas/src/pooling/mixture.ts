// Balanced Mixture of SuperNets for Learning the CNN Pooling Architecture (arXiv 2306.11982): M
// supernets (weight models) over the pooling space, and a learned association p(m | c) =
// softmax(θ_c) of every pooling configuration c with the models. A step samples c uniformly and
// m ~ p(· | c), and trains model m under configuration c; the associations then descend
//   J(θ) = (1/C) Σ_c Σ_m p(m|c) L̂(c, m) + λ · KL(q ‖ uniform),  q = (1/C) Σ_c p(· | c),
// where L̂(c, m) is a running mean of the training loss of c on m: each configuration moves toward
// the model it trains best on, and the balance term keeps the configurations spread over the models
// (without it they pile onto one, which is one supernet again). A configuration is ranked by its
// accuracy on its most associated model. Departures: the objective is written from the abstract
// (learned association, balanced); L̂ is an exponential running mean; θ is updated on the host.
import * as tf from '@tensorflow/tfjs-core';
import { ForwardContext, Rng, accuracy, makeOptimizer, resolveConfig, softmaxCrossEntropy } from '@weft/core';
import { checkInt, checkNumber, checkPositive } from '@weft/core/internal';
import type { Batch } from '../search/bilevel.js';
import { PoolingNetwork, poolingConfigs, resolvePoolingSpace, type PoolingSpaceConfig } from './network.js';

/** Config of a {@link BalancedMixture}. */
export interface BalancedMixtureConfig {
  /** Weight models M (1 = one supernet). Default 2. */
  supernets: number;
  /** Adam rate of the weights. Default 0.01. */
  learningRate: number;
  /** Step size of the association logits θ (plain gradient descent). Default 2. */
  assocLearningRate: number;
  /** λ of the balance term. Default 1. */
  balance: number;
  /** Momentum of the running loss L̂(c, m). Default 0.9. */
  lossMomentum: number;
  /** Seed of the models' initialisation and of the sampling. Default 0. */
  seed: number;
}

/** Defaults of {@link BalancedMixtureConfig}. */
export const BALANCED_MIXTURE_DEFAULTS: BalancedMixtureConfig = { supernets: 2, learningRate: 0.01, assocLearningRate: 2, balance: 1, lossMomentum: 0.9, seed: 0 };

/** Row-wise softmax of a (C, M) row-major array. */
function softmaxRows(theta: ArrayLike<number>, C: number, M: number): Float64Array {
  const p = new Float64Array(C * M);
  for (let c = 0; c < C; c++) {
    let mx = -Infinity;
    for (let m = 0; m < M; m++) mx = Math.max(mx, theta[c * M + m]!);
    let s = 0;
    for (let m = 0; m < M; m++) s += p[c * M + m] = Math.exp(theta[c * M + m]! - mx);
    for (let m = 0; m < M; m++) p[c * M + m]! /= s;
  }
  return p;
}

/** The association objective J(θ) of the file comment; θ and L̂ are row-major (C, M). */
export function associationObjective(theta: ArrayLike<number>, lossEst: ArrayLike<number>, C: number, M: number, balance: number): number {
  const p = softmaxRows(theta, C, M);
  let j = 0;
  const q = new Float64Array(M);
  for (let c = 0; c < C; c++) for (let m = 0; m < M; m++) {
    j += (p[c * M + m]! * lossEst[c * M + m]!) / C;
    q[m]! += p[c * M + m]! / C;
  }
  for (let m = 0; m < M; m++) j += balance * q[m]! * Math.log(M * q[m]!);
  return j;
}

/** ∂J/∂θ, row-major (C, M): Σ_m ∂J/∂p_cm · p_cm(δ_mk − p_ck), ∂J/∂p_cm = (L̂_cm + λ(log(M q_m) + 1)) / C. */
export function associationGradient(theta: ArrayLike<number>, lossEst: ArrayLike<number>, C: number, M: number, balance: number): Float64Array {
  const p = softmaxRows(theta, C, M);
  const q = new Float64Array(M);
  for (let c = 0; c < C; c++) for (let m = 0; m < M; m++) q[m]! += p[c * M + m]! / C;
  const g = new Float64Array(C * M);
  for (let c = 0; c < C; c++) {
    const dp = Array.from({ length: M }, (_, m) => (lossEst[c * M + m]! + balance * (Math.log(M * q[m]!) + 1)) / C);
    const avg = dp.reduce((s, v, m) => s + v * p[c * M + m]!, 0);
    for (let k = 0; k < M; k++) g[c * M + k] = p[c * M + k]! * (dp[k]! - avg);
  }
  return g;
}

/** M pooling supernets with learned, balanced configuration–model associations. */
export class BalancedMixture {
  readonly config: BalancedMixtureConfig;
  readonly space: PoolingSpaceConfig;
  /** The pooling configurations, in {@link poolingConfigs} order. */
  readonly configs: number[][];
  /** The weight models. */
  readonly nets: PoolingNetwork[];
  /** Association logits θ, row-major (configurations, models). */
  readonly theta: Float64Array;
  /** Running training loss L̂(c, m), row-major (configurations, models); starts at log(classes). */
  readonly lossEst: Float64Array;
  /** Training steps each model has had. */
  readonly modelSteps: number[];
  private readonly opt: tf.Optimizer;
  private readonly rng: Rng;

  constructor(space: Partial<PoolingSpaceConfig> = {}, config: Partial<BalancedMixtureConfig> = {}) {
    this.space = resolvePoolingSpace(space);
    const c = (this.config = resolveConfig('BalancedMixture', BALANCED_MIXTURE_DEFAULTS, config));
    checkInt('BalancedMixture', 'supernets', c.supernets, 1, 64);
    checkPositive('BalancedMixture', 'learningRate', c.learningRate);
    checkNumber('BalancedMixture', 'assocLearningRate', c.assocLearningRate, 0);
    checkNumber('BalancedMixture', 'balance', c.balance, 0);
    checkNumber('BalancedMixture', 'lossMomentum', c.lossMomentum, 0, 1);
    checkInt('BalancedMixture', 'seed', c.seed, 0);
    this.configs = poolingConfigs(this.space.layers);
    const rng = new Rng(c.seed);
    this.nets = Array.from({ length: c.supernets }, (_, m) => new PoolingNetwork(this.space, rng.fork(`net${m}`)));
    this.theta = new Float64Array(this.configs.length * c.supernets);
    this.lossEst = new Float64Array(this.configs.length * c.supernets).fill(Math.log(this.space.numOutputs));
    this.modelSteps = new Array<number>(c.supernets).fill(0);
    this.opt = makeOptimizer({ name: 'adam', learningRate: c.learningRate });
    this.rng = rng.fork('sampling');
  }

  /** p(m | c), row-major (configurations, models). */
  associations(): Float64Array {
    return softmaxRows(this.theta, this.configs.length, this.config.supernets);
  }

  /** The model configuration `c` is most associated with (ties: the lower index). */
  modelOf(c: number): number {
    const M = this.config.supernets;
    const p = this.associations();
    let best = 0;
    for (let m = 1; m < M; m++) if (p[c * M + m]! > p[c * M + best]!) best = m;
    return best;
  }

  /** One step: c uniform, m ~ p(·|c), an Adam step of model m under c on `b`, then the association step. Returns the loss. */
  async step(b: Batch): Promise<number> {
    const C = this.configs.length;
    const M = this.config.supernets;
    const c = this.rng.int(C);
    const p = this.associations();
    let m = 0;
    for (let u = this.rng.next(), acc = p[c * M]!; u > acc && m < M - 1; acc += p[c * M + ++m]!);
    const net = this.nets[m]!;
    this.modelSteps[m]!++;
    net.pooling = [...this.configs[c]!];
    const l = tf.tidy(() => this.opt.minimize(() => softmaxCrossEntropy(net.forward(b.x, new ForwardContext({ training: true })), b.y), true, net.trainableParameters())!);
    const loss = (await l.data())[0]!;
    l.dispose();
    const mu = this.config.lossMomentum;
    this.lossEst[c * M + m] = mu * this.lossEst[c * M + m]! + (1 - mu) * loss;
    if (M > 1) {
      const g = associationGradient(this.theta, this.lossEst, C, M, this.config.balance);
      for (let i = 0; i < g.length; i++) this.theta[i]! -= this.config.assocLearningRate * g[i]!;
    }
    return loss;
  }

  /** `steps` steps on seeded batches of `batchSize` drawn from `train`. */
  async train(train: Batch, steps: number, batchSize = 64): Promise<void> {
    checkInt('BalancedMixture.train', 'steps', steps, 1);
    const n = train.x.shape[0]!;
    for (let s = 0; s < steps; s++) {
      const idx = tf.tensor1d(Int32Array.from({ length: Math.min(batchSize, n) }, () => this.rng.int(n)), 'int32');
      const b = { x: tf.gather(train.x, idx), y: tf.gather(train.y, idx) };
      try {
        await this.step(b);
      } finally {
        tf.dispose([idx, b.x, b.y]);
      }
    }
  }

  /** Held-out accuracy of every configuration on its most associated model (its ranking score). */
  async scores(val: Batch): Promise<number[]> {
    const out: number[] = [];
    for (let c = 0; c < this.configs.length; c++) {
      const net = this.nets[this.modelOf(c)]!;
      net.pooling = [...this.configs[c]!];
      const a = tf.tidy(() => accuracy(net.forward(val.x, new ForwardContext({ training: false })), val.y));
      out.push((await a.data())[0]!);
      a.dispose();
    }
    return out;
  }

  dispose(): void {
    this.opt.dispose();
    for (const n of this.nets) n.dispose();
  }
}

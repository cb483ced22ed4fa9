// ParZC: Parametric Zero-Cost Proxies for Efficient NAS (arXiv 2402.02105): a learned aggregator
// of node-wise zero-cost statistics (node-stats.ts), trained on architectures with known accuracy
// to rank unseen ones. The model is a small mixer (token mixing across nodes, channel mixing across
// statistics, both residual) whose head gives every node a Gaussian estimate (μ_n, σ²_n) of the
// architecture's standardised accuracy; the score is their precision-weighted mean
// Σ μ_n/σ²_n / Σ 1/σ²_n, so uncertain nodes count less. It is trained with DiffKendall, the
// differentiable Kendall τ (1/P) Σ_{i<j} tanh(a(ŷ_i − ŷ_j)) · sign(y_i − y_j), plus the nodes'
// Gaussian negative log-likelihood, which is what makes σ²_n an uncertainty. Departures: node
// uncertainty is a predicted variance (heteroscedastic head) rather than MABN's Bayesian-network
// weight posteriors; the statistics are grad-norm, SNIP, SynFlow and the parameter count, logged.
import * as tf from '@tensorflow/tfjs-core';
import { Linear, Module, Rng, makeOptimizer, resolveConfig, softmaxCrossEntropy, type ForwardContext } from '@weft/core';
import { checkInt, checkNumber, checkPositive } from '@weft/core/internal';
import { NODE_STATS, nodeStatistics, type NodeStatistics } from './node-stats.js';
import { SubnetNetwork } from './entangled/subnet.js';
import { benchmarkData, benchmarkSubnets, type RankingBenchmark } from './ranking/benchmark.js';

/** Config of ParZC's model and its training. */
export interface ParzcConfig {
  /** Hidden width of the mixer's MLPs. Default 16. */
  hidden: number;
  /** Full-batch Adam steps. Default 300. */
  steps: number;
  /** Adam learning rate. Default 0.01. */
  learningRate: number;
  /** a in DiffKendall's tanh(a·Δŷ). Default 5. */
  sharpness: number;
  /** Weight of the nodes' Gaussian NLL next to −DiffKendall. Default 0.1. */
  nllWeight: number;
  /** Seed of the initialisation. Default 0. */
  seed: number;
}

/** Defaults of {@link ParzcConfig}. */
export const PARZC_DEFAULTS: ParzcConfig = { hidden: 16, steps: 300, learningRate: 0.01, sharpness: 5, nllWeight: 0.1, seed: 0 };

/** Node-wise statistics of a set of architectures, aligned to a fixed node count. */
export interface ParzcData {
  /** (count, nodes, stats) features, row-major: log of each statistic; 0 where a node is absent. */
  x: Float32Array;
  /** (count, nodes): 1 where the architecture has the node. */
  mask: Float32Array;
  count: number;
  nodes: number;
  stats: number;
}

/**
 * Align node-wise statistics to `nodes` positions: an architecture's nodes fill the first
 * positions in order, its last node (the output head) goes last, positions between stay absent.
 */
export function parzcData(archs: readonly NodeStatistics[][], nodes: number): ParzcData {
  checkInt('parzcData', 'nodes', nodes, 1);
  const S = NODE_STATS.length;
  const x = new Float32Array(archs.length * nodes * S);
  const mask = new Float32Array(archs.length * nodes);
  archs.forEach((a, i) => {
    if (a.length === 0 || a.length > nodes) throw new Error(`parzcData: architecture ${i} has ${a.length} nodes; allowed 1…${nodes}`);
    a.forEach((st, k) => {
      const pos = k === a.length - 1 ? nodes - 1 : k;
      mask[i * nodes + pos] = 1;
      NODE_STATS.forEach((name, s) => (x[(i * nodes + pos) * S + s] = Math.log(Math.max(Math.abs(st[name]), 1e-12))));
    });
  });
  return { x, mask, count: archs.length, nodes, stats: S };
}

/** DiffKendall: (1/P) Σ_{i<j} tanh(a(ŷ_i − ŷ_j)) · sign(y_i − y_j) over the P = n(n−1)/2 pairs; → Kendall τ-a as a → ∞. */
export function diffKendall(pred: tf.Tensor, target: tf.Tensor, sharpness: number): tf.Scalar {
  checkPositive('diffKendall', 'sharpness', sharpness);
  const n = pred.shape[0]!;
  if (pred.rank !== 1 || target.rank !== 1 || target.shape[0] !== n || n < 2) throw new Error(`diffKendall: pred [${pred.shape}] and target [${target.shape}] must be equally long vectors of ≥ 2`);
  const dp = tf.sub(tf.expandDims(pred, 1), tf.expandDims(pred, 0)); // (n, n): ŷ_i − ŷ_j
  const dt = tf.sign(tf.sub(tf.expandDims(target, 1), tf.expandDims(target, 0))); // (n, n)
  // Every unordered pair appears twice, (i, j) and (j, i), with the same product; the diagonal is 0.
  return tf.div(tf.sum(tf.mul(tf.tanh(tf.mul(dp, sharpness)), dt)), n * (n - 1)) as tf.Scalar;
}

/** ParZC's mixer with per-node Gaussian heads (see the file comment). */
export class ParzcModel extends Module {
  readonly tokenIn: Linear;
  readonly tokenOut: Linear;
  readonly channelIn: Linear;
  readonly channelOut: Linear;
  readonly head: Linear;

  constructor(readonly nodes: number, readonly stats: number, readonly hidden: number, rng: Rng) {
    super();
    this.tokenIn = this.addModule('tokenIn', new Linear({ inFeatures: nodes, outFeatures: hidden }, rng));
    this.tokenOut = this.addModule('tokenOut', new Linear({ inFeatures: hidden, outFeatures: nodes }, rng));
    this.channelIn = this.addModule('channelIn', new Linear({ inFeatures: stats, outFeatures: hidden }, rng));
    this.channelOut = this.addModule('channelOut', new Linear({ inFeatures: hidden, outFeatures: stats }, rng));
    this.head = this.addModule('head', new Linear({ inFeatures: stats, outFeatures: 2 }, rng));
  }

  /** Per-node μ and log σ² (B, N) of standardised features x (B, N, S). */
  gaussians(x: tf.Tensor, ctx?: ForwardContext): { mu: tf.Tensor; logvar: tf.Tensor } {
    const [B, N, S] = x.shape as [number, number, number];
    const t = tf.reshape(tf.transpose(x, [0, 2, 1]), [B * S, N]); // (B, N, S) -> (B·S, N)
    const tm = tf.reshape(this.tokenOut.forward(tf.relu(this.tokenIn.forward(t, ctx!)), ctx!), [B, S, N]); // (B·S, N) -> (B, S, N)
    const h = tf.add(x, tf.transpose(tm, [0, 2, 1])); // (B, N, S)
    const c = tf.reshape(h, [B * N, S]); // (B, N, S) -> (B·N, S)
    const h2 = tf.add(c, this.channelOut.forward(tf.relu(this.channelIn.forward(c, ctx!)), ctx!)); // (B·N, S)
    const out = tf.reshape(this.head.forward(h2, ctx!), [B, N, 2]); // (B·N, 2) -> (B, N, 2)
    const mu = tf.reshape(tf.slice(out, [0, 0, 0], [B, N, 1]), [B, N]); // (B, N, 1) -> (B, N)
    const logvar = tf.reshape(tf.slice(out, [0, 0, 1], [B, N, 1]), [B, N]);
    return { mu, logvar };
  }

  /** The precision-weighted mean of the present nodes' μ: Σ μ_n/σ²_n / Σ 1/σ²_n over nodes with mask 1. (B, N, S), (B, N) -> (B,). */
  score(x: tf.Tensor, mask: tf.Tensor, ctx?: ForwardContext): tf.Tensor {
    const { mu, logvar } = this.gaussians(x, ctx);
    const w = tf.softmax(tf.add(tf.neg(logvar), tf.mul(tf.sub(1, mask), -1e9)), -1); // ∝ 1/σ² on present nodes
    return tf.sum(tf.mul(w, mu), -1);
  }

  forward(): never {
    throw new Error('ParzcModel: call score(x, mask) or gaussians(x)');
  }
}

/** A fitted ParZC: its model and the feature standardisation of its training rows. */
export interface ParzcFit {
  model: ParzcModel;
  /** Per statistic: mean and standard deviation over the present nodes of the training rows. */
  mean: number[];
  std: number[];
}

function resolveParzc(config: Partial<ParzcConfig>): ParzcConfig {
  const c = resolveConfig('ParZC', PARZC_DEFAULTS, config);
  checkInt('ParZC', 'hidden', c.hidden, 1);
  checkInt('ParZC', 'steps', c.steps, 1);
  checkPositive('ParZC', 'learningRate', c.learningRate);
  checkPositive('ParZC', 'sharpness', c.sharpness);
  checkNumber('ParZC', 'nllWeight', c.nllWeight, 0);
  checkInt('ParZC', 'seed', c.seed, 0);
  return c;
}

function checkRows(where: string, d: ParzcData, rows: readonly number[]): void {
  const bad = rows.find((r) => !Number.isInteger(r) || r < 0 || r >= d.count);
  if (bad !== undefined) throw new Error(`${where}: row ${bad} is not an architecture index in [0, ${d.count})`);
}

/** Standardised features and mask of some rows, as tensors (B, N, S) and (B, N). */
function inputs(d: ParzcData, rows: readonly number[], mean: number[], std: number[]): { x: tf.Tensor; mask: tf.Tensor } {
  const { nodes: N, stats: S } = d;
  const x = new Float32Array(rows.length * N * S);
  const mask = new Float32Array(rows.length * N);
  rows.forEach((r, i) => {
    for (let n = 0; n < N; n++) {
      const m = d.mask[r * N + n]!;
      mask[i * N + n] = m;
      if (m) for (let s = 0; s < S; s++) x[(i * N + n) * S + s] = (d.x[(r * N + n) * S + s]! - mean[s]!) / std[s]!;
    }
  });
  return { x: tf.tensor3d(x, [rows.length, N, S]), mask: tf.tensor2d(mask, [rows.length, N]) };
}

/** Train ParZC on the architectures `rows` of `d` with accuracies `targets[r]` (higher = better). */
export function fitParzc(d: ParzcData, targets: readonly number[], rows: readonly number[], config: Partial<ParzcConfig> = {}): ParzcFit {
  const c = resolveParzc(config);
  checkRows('fitParzc', d, rows);
  if (targets.length !== d.count) throw new Error(`fitParzc: targets has ${targets.length} entries; expected one per architecture (${d.count})`);
  if (rows.length < 2) throw new Error(`fitParzc: rows has ${rows.length} architectures; a ranking needs ≥ 2`);
  const { nodes: N, stats: S } = d;
  const mean: number[] = [];
  const std: number[] = [];
  for (let s = 0; s < S; s++) {
    const v = rows.flatMap((r) => Array.from({ length: N }, (_, n) => n).filter((n) => d.mask[r * N + n]).map((n) => d.x[(r * N + n) * S + s]!));
    const m = v.reduce((a, b) => a + b, 0) / v.length;
    mean.push(m);
    std.push(Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length) || 1);
  }
  const t = rows.map((r) => targets[r]!);
  const tm = t.reduce((a, b) => a + b, 0) / t.length;
  const ts = Math.sqrt(t.reduce((a, b) => a + (b - tm) ** 2, 0) / t.length) || 1;
  const model = new ParzcModel(N, S, c.hidden, new Rng(c.seed));
  const { x, mask } = inputs(d, rows, mean, std);
  const y = tf.tensor1d(t.map((v) => (v - tm) / ts));
  const opt = makeOptimizer({ name: 'adam', learningRate: c.learningRate });
  try {
    for (let step = 0; step < c.steps; step++) {
      tf.tidy(() => {
        opt.minimize(() => {
          const { mu, logvar } = model.gaussians(x);
          const w = tf.softmax(tf.add(tf.neg(logvar), tf.mul(tf.sub(1, mask), -1e9)), -1);
          const pred = tf.sum(tf.mul(w, mu), -1);
          // Gaussian NLL of each present node's estimate of the standardised accuracy.
          const nll = tf.div(tf.sum(tf.mul(mask, tf.add(tf.div(tf.square(tf.sub(tf.expandDims(y, 1), mu)), tf.mul(tf.exp(logvar), 2)), tf.mul(logvar, 0.5)))), tf.sum(mask));
          return tf.add(tf.neg(diffKendall(pred, y, c.sharpness)), tf.mul(nll, c.nllWeight)) as tf.Scalar;
        }, false, model.trainableParameters());
      });
    }
  } finally {
    opt.dispose();
    tf.dispose([x, mask, y]);
  }
  return { model, mean, std };
}

/** ParZC's scores of the architectures `rows` (higher = predicted better). */
export async function parzcScores(fit: ParzcFit, d: ParzcData, rows: readonly number[]): Promise<number[]> {
  checkRows('parzcScores', d, rows);
  const s = tf.tidy(() => {
    const { x, mask } = inputs(d, rows, fit.mean, fit.std);
    return fit.model.score(x, mask);
  });
  const out = Array.from(await s.data());
  s.dispose();
  return out;
}

/**
 * Held-out ParZC scores of every architecture: the rows are shuffled by `seed` into `folds` folds,
 * and each fold is scored by a ParZC trained on the other folds (seed also seeds each model).
 */
export async function parzcCrossValidated(d: ParzcData, targets: readonly number[], folds: number, config: Partial<ParzcConfig> = {}): Promise<number[]> {
  checkInt('parzcCrossValidated', 'folds', folds, 2, d.count);
  const c = resolveParzc(config);
  const order = Array.from(new Rng(c.seed).fork('folds').permutation(d.count));
  const out = new Array<number>(d.count).fill(0);
  for (let f = 0; f < folds; f++) {
    const test = order.filter((_, i) => i % folds === f);
    const fit = fitParzc(d, targets, order.filter((_, i) => i % folds !== f), c);
    try {
      (await parzcScores(fit, d, test)).forEach((v, i) => (out[test[i]!] = v));
    } finally {
      fit.model.dispose();
    }
  }
  return out;
}

/**
 * Node-wise statistics of a ranking benchmark's subnets as {@link ParzcData}: each subnet freshly
 * initialised (init seed 0) and scored on the first 64 training examples, as the cached table's
 * raw proxies are (one node per layer plus the head; the space's deepest subnet fixes the count).
 */
export async function benchmarkParzcData(b: RankingBenchmark): Promise<ParzcData> {
  const data = benchmarkData(b);
  const x = tf.slice(data.train.x, 0, 64); // first axis: (N, …) -> (64, …)
  const y = tf.slice(data.train.y, 0, 64);
  const archs: NodeStatistics[][] = [];
  try {
    for (const s of benchmarkSubnets(b)) {
      const net = new SubnetNetwork(b.space, s, new Rng(0));
      try {
        archs.push(await nodeStatistics({ model: net, x, y, loss: softmaxCrossEntropy }));
      } finally {
        net.dispose();
      }
    }
  } finally {
    tf.dispose([x, y, data.train.x, data.train.y, data.val.x, data.val.y]);
  }
  return parzcData(archs, b.space.depthChoices.at(-1)! + 1);
}

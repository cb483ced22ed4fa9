// ROME: Robustifying Memory-Efficient NAS via Topology Disentanglement and Gradient Accumulation
// (arXiv 2011.11233), §4. Single-path search (as GDAS) with the topology disentangled from the op
// choice: each edge has topology logits β besides its op logits α. Every step samples K subnets;
// in each, every node keeps 2 incoming edges by Gumbel-Top2 on β (the in-degree the derived cell
// has) and each kept edge runs 1 op by Gumbel-max on α; only those ops are computed. Both are
// straight-through: the forward value is the hard choice, the gradient that of the soft
// softmax((logits + g)/τ), τ annealed linearly as GDAS. The gradients of the K subnets are
// accumulated (averaged) into one α/β update on a validation batch and one w update on a training
// batch. The genotype: per node the 2 edges of largest β, on each the largest non-`none` α.
// Departures: the K subnets of a step serve both its α/β and its w update (ROME draws separately);
// `none` stays in the op list but is never sampled (its α is unused); as in Weft's GDAS, choices
// are made on the host from a host copy of α and β refreshed without blocking (it may lag a step).
import * as tf from '@tensorflow/tfjs-core';
import { ForwardContext, checkKnownKeys, configKeys, type StepContext, type StepOutput } from '@weft/core';
import { checkInt } from '@weft/core/internal';
import type { EdgeChoice } from '../cell.js';
import { parseGenotype, type Genotype } from '../genotype.js';
import { NONE } from '../ops.js';
import type { CellKind, SearchNetwork } from '../supernet.js';
import { BilevelOptimizers, lossOn, resolveBilevel, type BilevelConfig, type Batch, type SearchBatch, type Searcher, type TaskLoss } from './bilevel.js';
import { gradsOf } from './darts.js';
import { stopGradient } from './gdas.js';

/** Config of {@link RomeSearch}. */
export interface RomeConfig extends BilevelConfig {
  /** Subnets K sampled per step, whose gradients are accumulated. Default 4. */
  samples: number;
  /** Initial Gumbel temperature. Default 10 (as GDAS). */
  tauMax: number;
  /** Final temperature. Default 0.1. */
  tauMin: number;
  /** Steps over which τ anneals linearly. Default 200. */
  annealSteps: number;
}

/** Every key of {@link RomeConfig}. */
export const ROME_KEYS = configKeys<RomeConfig>({ weightOptimizer: true, archOptimizer: true, warmupSteps: true, weightSchedule: true, samples: true, tauMax: true, tauMin: true, annealSteps: true });

/** Defaults of {@link RomeConfig}. */
export const ROME_DEFAULTS: RomeConfig = { ...resolveBilevel(), samples: 4, tauMax: 10, tauMin: 0.1, annealSteps: 200 };

/** The incoming edges of every node, as [first edge, count] in α order (node i has i + 2). */
function nodeRanges(steps: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = 0, start = 0; i < steps; start += i + 2, i++) out.push([start, i + 2]);
  return out;
}

/** The indices of the 2 largest of `v` (ties: the lower index), or all when fewer. */
export function top2(v: ArrayLike<number>): number[] {
  const idx = Array.from({ length: v.length }, (_, i) => i).sort((a, b) => v[b]! - v[a]! || a - b);
  return idx.slice(0, 2).sort((a, b) => a - b);
}

/**
 * ROME's choices for one cell type from host logits and Gumbel noise: per node the 2 edges of
 * largest β + g_β (Gumbel-Top2), per edge the op of largest α + g_α among the ops that are not
 * `none`. `alpha` and `gAlpha` are row-major (E, n); `beta` and `gBeta` (E,).
 */
export function romeChoices(alpha: ArrayLike<number>, beta: ArrayLike<number>, gAlpha: ArrayLike<number>, gBeta: ArrayLike<number>, ops: readonly string[], steps: number): { edges: boolean[]; op: number[] } {
  const n = ops.length;
  const E = beta.length;
  const edges = new Array<boolean>(E).fill(false);
  for (const [start, count] of nodeRanges(steps)) {
    for (const j of top2(Array.from({ length: count }, (_, j) => beta[start + j]! + gBeta[start + j]!))) edges[start + j] = true;
  }
  const op = Array.from({ length: E }, (_, e) => {
    let best = -1;
    for (let o = 0; o < n; o++) if (ops[o] !== NONE && (best < 0 || alpha[e * n + o]! + gAlpha[e * n + o]! > alpha[e * n + best]! + gAlpha[e * n + best]!)) best = o;
    return best;
  });
  return { edges, op };
}

/** ROME search (see the file comment). */
export class RomeSearch implements Searcher<Genotype> {
  readonly method = 'rome';
  readonly config: RomeConfig;
  /** Topology logits β of each cell type, (E,), one per edge. */
  readonly beta = new Map<CellKind, tf.Variable>();
  private readonly opts: BilevelOptimizers;
  private readonly host = new Map<CellKind, { alpha: Float32Array; beta: Float32Array }>();
  private reads: Promise<void> | null = null;
  private tau: number;
  /** The op-mask row that keeps `none` out of the soft op choice: 0 for ops, −1e9 for `none`. */
  private readonly noneMask: Float32Array;

  constructor(readonly net: SearchNetwork, readonly loss: TaskLoss, config: Partial<RomeConfig> = {}) {
    checkKnownKeys('rome', config, ROME_KEYS);
    this.config = { ...ROME_DEFAULTS, ...resolveBilevel(config), ...config };
    const c = this.config;
    checkInt('rome', 'samples', c.samples, 1);
    checkInt('rome', 'annealSteps', c.annealSteps, 1);
    if (!(c.tauMin > 0 && c.tauMax >= c.tauMin)) throw new Error(`rome: need 0 < tauMin=${c.tauMin} ≤ tauMax=${c.tauMax}`);
    if (net.space.ops.filter((o) => o !== NONE).length === 0) throw new Error(`rome: ops=[${net.space.ops}] has no op besides "${NONE}" to sample`);
    if (net.space.edgeNormalization) throw new Error('rome: edgeNormalization=true (PC-DARTS β) would scale the edges ROME samples; use a space without it');
    this.tau = c.tauMax;
    this.noneMask = Float32Array.from(net.space.ops, (o) => (o === NONE ? -1e9 : 0));
    const E = net.alpha('normal').shape[0]!;
    for (const k of net.kinds()) this.beta.set(k, tf.tidy(() => tf.variable(tf.zeros([E]), true)));
    this.opts = new BilevelOptimizers(this.config);
    this.refresh();
  }

  /** Start reading α and β to the host unless a read is under way (never blocks). */
  private refresh(): void {
    if (this.reads) return;
    // Clones: the next update frees the variables' old data while a webgpu read may be pending.
    const copies = this.net.kinds().map((k) => [k, tf.keep(tf.clone(this.net.alpha(k))), tf.keep(tf.clone(this.beta.get(k)!))] as const);
    this.reads = Promise.all(
      copies.map(async ([k, a, b]) => {
        try {
          this.host.set(k, { alpha: (await a.data()) as Float32Array, beta: (await b.data()) as Float32Array });
        } finally {
          tf.dispose([a, b]);
        }
      }),
    ).then(() => {
      this.reads = null;
    });
  }

  /** Resolves when the host copy of α and β is current. */
  async ready(): Promise<void> {
    while (this.reads) await this.reads;
    this.refresh();
    await this.reads;
  }

  /** One sampled subnet's edge choices for cell type `kind` (noise from the context's stream). */
  private sample(kind: CellKind, alpha: tf.Tensor, ctx: ForwardContext): EdgeChoice[] {
    const [E, n] = alpha.shape as [number, number];
    const gumbel = (m: number) => Float32Array.from(ctx.rng.uniformArray(m, 1e-10, 1 - 1e-10), (u) => -Math.log(-Math.log(u)));
    const gA = gumbel(E * n);
    const gB = gumbel(E);
    const h = this.host.get(kind);
    const { edges, op } = romeChoices(h?.alpha ?? new Float32Array(E * n), h?.beta ?? new Float32Array(E), gA, gB, this.net.space.ops, this.net.space.steps);
    // Op: straight-through one-hot of the sampled op, soft = softmax((log softmax α + g)/τ) over the ops that are not none.
    const logits = tf.add(tf.logSoftmax(tf.add(alpha, tf.tensor1d(this.noneMask)), -1), tf.tensor2d(gA, [E, n])); // (E, n)
    const soft = tf.softmax(tf.div(logits, this.tau), -1); // (E, n)
    const hOp = tf.add(tf.sub(tf.oneHot(tf.tensor1d(op, 'int32'), n), stopGradient(soft)), soft); // (E, n)
    // Topology: straight-through top-2 mask per node, soft = softmax((β + g)/τ) over the node's edges.
    const beta = this.beta.get(kind)!;
    const parts = nodeRanges(this.net.space.steps).map(([start, count]) => tf.softmax(tf.div(tf.add(tf.slice(beta, start, count), tf.tensor1d(gB.subarray(start, start + count))), this.tau)));
    const softT = tf.concat(parts); // (E,)
    const mask = tf.add(tf.sub(tf.tensor1d(edges.map(Number)), stopGradient(softT)), softT); // (E,)
    const w = tf.mul(hOp, tf.expandDims(mask, 1)); // (E, n)
    return Array.from({ length: E }, (_, e) => ({
      weights: tf.reshape(tf.slice(w, [e, 0], [1, n]), [n]), // (1, n) -> (n,)
      active: edges[e] ? [op[e]!] : [],
    }));
  }

  /** The mean loss over K sampled subnets on `b` and the mean gradients of `vars`. */
  private accumulate(vars: tf.Variable[], b: Batch, seed: number): { loss: tf.Scalar; grads: tf.Tensor[] } {
    const K = this.config.samples;
    let sum: tf.Tensor[] = [];
    const losses: tf.Scalar[] = [];
    for (let k = 0; k < K; k++) {
      // One context per subnet: its own noise, and aux losses that do not pile up across subnets.
      const ctx = new ForwardContext({ training: true, seed: seed * K + k });
      const { value, grads } = gradsOf(() => lossOn(this.net, b, this.loss, ctx), vars);
      sum = k === 0 ? grads : sum.map((g, i) => tf.add(g, grads[i]!));
      losses.push(value);
    }
    return { loss: tf.div(tf.addN(losses), K) as tf.Scalar, grads: sum.map((g) => tf.div(g, K)) };
  }

  /** K subnets' accumulated α/β step on the validation batch (after warm-up), then their accumulated w step. */
  step(batch: SearchBatch, s: StepContext): StepOutput {
    const c = this.config;
    this.tau = c.tauMax - (c.tauMax - c.tauMin) * Math.min(1, s.step / c.annealSteps);
    const seed = s.ctx.rng.seed;
    const saved = this.net.sampler;
    this.net.sampler = (kind, alpha, ctx) => this.sample(kind, alpha, ctx);
    try {
      const metrics: Record<string, tf.Scalar> = {};
      if (s.step >= c.warmupSteps) {
        const arch = [...this.net.kinds().map((k) => this.net.alpha(k)), ...this.beta.values()];
        const { loss, grads } = this.accumulate(arch, batch.val, seed);
        this.opts.archOpt.applyGradients(Object.fromEntries(arch.map((v, i) => [v.name, grads[i]!])));
        metrics.valLoss = loss;
      }
      this.opts.scheduleWeights(s.step);
      const w = this.net.weightParameters();
      const { loss, grads } = this.accumulate(w, batch.train, seed);
      this.opts.weightOpt.applyGradients(Object.fromEntries(w.map((v, i) => [v.name, grads[i]!])));
      return { loss, metrics };
    } finally {
      this.net.sampler = saved;
      this.refresh();
    }
  }

  /**
   * Per cell type, rows that DARTS' parse turns into ROME's genotype: edge e's op distribution
   * softmax(α_e) over the ops that are not `none` (none: 0), scaled so its strongest op has the
   * edge's topology weight softmax(β) over the node's incoming edges. Bars of these rows read as
   * "how strongly ROME keeps this edge, and with which op".
   */
  async edgeWeights(): Promise<Record<CellKind, number[][]>> {
    const out: Record<CellKind, number[][]> = { normal: [], reduce: [] };
    const n = this.net.space.ops.length;
    for (const k of this.net.kinds()) {
      const [q, p] = tf.tidy((): tf.Tensor[] => [
        tf.softmax(tf.add(this.net.alpha(k), tf.tensor1d(this.noneMask)), -1),
        tf.concat(nodeRanges(this.net.space.steps).map(([start, count]) => tf.softmax(tf.slice(this.beta.get(k)!, start, count)))),
      ]);
      const [qd, pd] = [(await q!.data()) as Float32Array, (await p!.data()) as Float32Array];
      tf.dispose([q!, p!]);
      out[k] = Array.from({ length: pd.length }, (_, e) => {
        const row = Array.from(qd.subarray(e * n, (e + 1) * n));
        const top = Math.max(...row);
        return row.map((v) => (v / top) * pd[e]!);
      });
    }
    return out;
  }

  /** The genotype: per node the 2 edges of largest β, each with its largest non-`none` α. */
  async result(): Promise<Genotype> {
    return parseGenotype(await this.edgeWeights(), this.net.space);
  }

  /** Current temperature. */
  get temperature(): number {
    return this.tau;
  }

  dispose(): void {
    this.opts.dispose();
    for (const v of this.beta.values()) v.dispose();
    this.beta.clear();
  }
}

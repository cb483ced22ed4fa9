// Unified Scaling Laws for Routed Language Models — Clark et al., arXiv:2202.01169.
// The paper's law log L(N, E) = a·log N + b·log Ê + c·log N·log Ê + d, with N the dense model's
// parameter count, E the expert count and Ê its saturating transform 1/Ê = 1/(E − 1 + (1/E_start −
// 1/E_max)⁻¹) + 1/E_max; a least-squares fit of (a, b, c, d) (given E_start, E_max, or E_max chosen on a
// grid by the residual); and a toy sweep over width and E (top-1 Switch routing) on a seeded order-2
// Markov-chain language. Departs from the paper: N counts the toy's non-embedding dense parameters; the
// paper also fits E_start, here it is given (default 1, so a dense model has Ê = 1 and log Ê = 0).
import * as tf from '@tensorflow/tfjs-core';
import { Embedding, ForwardContext, Linear, makeOptimizer, MLP, Module, resolveConfig, Rng, softmaxCrossEntropy } from '@weft/core';
import { checkInt, checkNumber, checkPositive, checkPositiveInt } from '@weft/core/internal';
import { MoE } from './moe.js';

/** The saturating transform Ê(E) of the paper: Ê(1) = eStart, Ê → eMax as E → ∞ (eMax = ∞: Ê = E − 1 + eStart). */
export function saturatedExperts(e: number, eStart = 1, eMax = Infinity): number {
  const who = 'saturatedExperts';
  checkNumber(who, 'e', e, 1);
  checkNumber(who, 'eStart', eStart, 1);
  if (!(typeof eMax === 'number' && eMax > eStart)) throw new Error(`${who}: eMax=${String(eMax)} must be a number > eStart=${eStart} (Infinity for no saturation)`);
  return 1 / (1 / (e - 1 + 1 / (1 / eStart - 1 / eMax)) + 1 / eMax);
}

/** One measured point: the dense parameter count N, the expert count E and the loss L. */
export interface ScalingPoint {
  n: number;
  e: number;
  loss: number;
}

/** The fitted law log L = a·log N + b·log Ê + c·log N·log Ê + d (natural logs). */
export interface RoutedScalingFit {
  a: number;
  b: number;
  c: number;
  d: number;
  /** E_start and E_max used in Ê. */
  eStart: number;
  eMax: number;
  /** Root mean squared residual of log L. */
  rms: number;
}

/** Options of {@link fitRoutedScalingLaw}. */
export interface RoutedScalingFitOptions {
  /** Ê(1). Default: 1. */
  eStart: number;
  /** Saturation of Ê, or null to pick the best of 2, 4, …, 4096 and ∞ by the residual. Default: null. */
  eMax: number | null;
}

/** Defaults of {@link RoutedScalingFitOptions}. */
export const ROUTED_SCALING_FIT_DEFAULTS: RoutedScalingFitOptions = { eStart: 1, eMax: null };

/** Least squares of y ≈ X·β (rows of X given), solved by Householder QR in float64. */
function leastSquares(rows: number[][], y: number[]): number[] {
  const m = rows.length;
  const p = rows[0]!.length;
  const A = rows.map((r) => [...r]);
  const b = [...y];
  for (let k = 0; k < p; k++) {
    let norm = 0;
    for (let i = k; i < m; i++) norm += A[i]![k]! ** 2;
    norm = Math.sqrt(norm);
    if (norm === 0) throw new Error('fitRoutedScalingLaw: the points do not determine the law (a column of [log N, log Ê, log N·log Ê, 1] is zero)');
    const alpha = A[k]![k]! > 0 ? -norm : norm;
    const v = A.map((r, i) => (i < k ? 0 : r[k]!));
    v[k]! -= alpha;
    const vv = v.reduce((s, x) => s + x * x, 0);
    const reflect = (col: (i: number) => number, set: (i: number, x: number) => void) => {
      let dot = 0;
      for (let i = k; i < m; i++) dot += v[i]! * col(i);
      for (let i = k; i < m; i++) set(i, col(i) - (2 * dot * v[i]!) / vv);
    };
    for (let j = k; j < p; j++) reflect((i) => A[i]![j]!, (i, x) => (A[i]![j] = x));
    reflect((i) => b[i]!, (i, x) => (b[i] = x));
  }
  const beta = new Array<number>(p).fill(0);
  for (let k = p - 1; k >= 0; k--) {
    if (Math.abs(A[k]![k]!) < 1e-12 * Math.abs(A[0]![0]!)) throw new Error('fitRoutedScalingLaw: the points do not determine the law (rank-deficient: vary both N and E, with at least 4 points)');
    let s = b[k]!;
    for (let j = k + 1; j < p; j++) s -= A[k]![j]! * beta[j]!;
    beta[k] = s / A[k]![k]!;
  }
  return beta;
}

/** Fit log L = a·log N + b·log Ê + c·log N·log Ê + d by least squares over the points. */
export function fitRoutedScalingLaw(points: readonly ScalingPoint[], options: Partial<RoutedScalingFitOptions> = {}): RoutedScalingFit {
  const who = 'fitRoutedScalingLaw';
  const o = resolveConfig(who, ROUTED_SCALING_FIT_DEFAULTS, options);
  if (!Array.isArray(points) || points.length < 4) throw new Error(`${who}: points must be a list of at least 4 { n, e, loss } (got ${Array.isArray(points) ? points.length : typeof points})`);
  points.forEach((p, i) => {
    checkPositive(who, `points[${i}].n`, p.n);
    checkNumber(who, `points[${i}].e`, p.e, 1);
    checkPositive(who, `points[${i}].loss`, p.loss);
  });
  const fitWith = (eMax: number): RoutedScalingFit => {
    const rows = points.map((p) => {
      const ln = Math.log(p.n);
      const le = Math.log(saturatedExperts(p.e, o.eStart, eMax));
      return [ln, le, ln * le, 1];
    });
    const y = points.map((p) => Math.log(p.loss));
    const [a, b, c, d] = leastSquares(rows, y) as [number, number, number, number];
    const rms = Math.sqrt(rows.reduce((s, r, i) => s + (a * r[0]! + b * r[1]! + c * r[2]! + d - y[i]!) ** 2, 0) / rows.length);
    return { a, b, c, d, eStart: o.eStart, eMax, rms };
  };
  if (o.eMax !== null) return fitWith(o.eMax);
  const grid = [...Array.from({ length: 12 }, (_, i) => 2 ** (i + 1)).filter((g) => g > o.eStart), Infinity];
  return grid.map(fitWith).reduce((best, f) => (f.rms < best.rms ? f : best));
}

/** The law's prediction of L at (N, E). */
export function routedScalingLoss(fit: RoutedScalingFit, n: number, e: number): number {
  const ln = Math.log(n);
  const le = Math.log(saturatedExperts(e, fit.eStart, fit.eMax));
  return Math.exp(fit.a * ln + fit.b * le + fit.c * ln * le + fit.d);
}

/** Config of {@link routedScalingSweep}. */
export interface RoutedScalingSweepConfig {
  /** Model widths d (N grows with d). Default: [8, 16, 32]. */
  widths: number[];
  /** Expert counts E (top-1 routing; E = 1 is the dense model). Default: [1, 2, 4, 8]. */
  experts: number[];
  /** Seeds (language, init, batches). Default: [0, 1]. */
  seeds: number[];
  /** Vocabulary V of the order-2 Markov language (V² contexts). Default: 24. */
  vocabSize: number;
  /** Sharpness of each context's next-token distribution (softmax of N(0, 1)·this). Default: 3. */
  sharpness: number;
  /** Tokens of the training text (a held-out text of a quarter of that is the test set). Default: 16384. */
  tokens: number;
  /** Adam steps, batch size and learning rate. Default: 250, 128, 0.01. */
  steps: number;
  batchSize: number;
  learningRate: number;
}

/** Defaults of {@link RoutedScalingSweepConfig}. */
export const ROUTED_SCALING_SWEEP_DEFAULTS: RoutedScalingSweepConfig = {
  widths: [8, 16, 32], experts: [1, 2, 4, 8], seeds: [0, 1], vocabSize: 24, sharpness: 3, tokens: 16384, steps: 250, batchSize: 128, learningRate: 0.01,
};

/**
 * Next-token LM over the two previous tokens: embed both, project 2d → d, a residual MoE (top-1 Switch,
 * expert hidden 2d; for E = 1 the dense GELU MLP of that hidden), d → V logits.
 */
export class TrigramMoELM extends Module {
  readonly embed: Embedding;
  readonly proj: Linear;
  /** The MoE, or the dense MLP when E = 1. */
  readonly mid: Module;
  readonly out: Linear;
  constructor(readonly vocabSize: number, readonly width: number, numExperts: number, rng: Rng) {
    super();
    this.embed = this.addModule('embed', new Embedding({ numEmbeddings: vocabSize, embeddingDim: width }, rng));
    this.proj = this.addModule('proj', new Linear({ inFeatures: 2 * width, outFeatures: width }, rng));
    const hidden = 2 * width;
    this.mid = this.addModule('mid', numExperts === 1 ? new MLP({ dim: width, hidden }, rng) : new MoE({ dim: width, numExperts, topK: 1, hidden, router: 'switch' }, rng));
    this.out = this.addModule('out', new Linear({ inFeatures: width, outFeatures: vocabSize }, rng));
  }

  /** The dense parameter count N: proj, one expert, out (no embedding, no router). */
  denseParameters(): number {
    const d = this.width;
    const h = 2 * d;
    return 2 * d * d + d + (d * h + h + h * d + d) + d * this.vocabSize + this.vocabSize;
  }

  /** ids (B, 2) int32 → logits (B, V). */
  forward(ids: tf.Tensor2D, ctx: ForwardContext): tf.Tensor2D {
    const [b] = ids.shape;
    const e = tf.reshape(this.embed.forward(ids, ctx), [b, 2 * this.width]); // (B, 2, d) -> (B, 2d)
    const h = this.proj.forward(e, ctx) as tf.Tensor2D;
    return this.out.forward(tf.add(h, this.mid.forward(h, ctx) as tf.Tensor), ctx) as tf.Tensor2D;
  }
}

/** A seeded order-2 Markov text: each context (a, b) has its own next-token distribution softmax(N(0, 1)·sharpness). */
function markovText(vocab: number, sharpness: number, length: number, rng: Rng): Int32Array {
  const table = Array.from({ length: vocab * vocab }, () => {
    const z = rng.normalArray(vocab, 0, sharpness);
    const max = Math.max(...z);
    const p = Array.from(z, (v) => Math.exp(v - max));
    const s = p.reduce((x, y) => x + y, 0);
    let acc = 0;
    return p.map((v) => (acc += v / s)); // cumulative
  });
  const text = new Int32Array(length);
  text[0] = rng.int(vocab);
  text[1] = rng.int(vocab);
  for (let t = 2; t < length; t++) {
    const cum = table[text[t - 2]! * vocab + text[t - 1]!]!;
    const u = rng.uniform();
    let k = cum.findIndex((c) => u < c);
    if (k < 0) k = vocab - 1;
    text[t] = k;
  }
  return text;
}

/** One sweep point per (width, E): N, E and the test loss (mean over seeds), with each seed's loss. */
export interface RoutedScalingSweepPoint extends ScalingPoint {
  width: number;
  perSeed: number[];
}

/** One finished run of {@link routedScalingSweep}. */
export interface RoutedScalingRun {
  width: number;
  /** Expert count E and dense parameter count N. */
  e: number;
  n: number;
  seed: number;
  /** Test cross-entropy (nats per token). */
  loss: number;
  /** Runs done so far (this one included) and in all. */
  done: number;
  total: number;
}

/** Optional hooks of {@link routedScalingSweep} (not config: a function and a signal). */
export interface RoutedScalingHooks {
  /** Called after each run (awaited), e.g. to draw the points as they come. */
  onRun?: (run: RoutedScalingRun) => void | Promise<void>;
  /** Aborting stops the sweep before its next run; the sweep then rejects with an error saying so. */
  signal?: AbortSignal;
}

/** What {@link routedScalingSweep} measured, and the law fitted to it. */
export interface RoutedScalingSweepResult {
  points: RoutedScalingSweepPoint[];
  fit: RoutedScalingFit;
}

/** Train the toy routed LM at every (width, E) and seed, and fit the law to the mean test losses. */
export async function routedScalingSweep(config: Partial<RoutedScalingSweepConfig> = {}, hooks: RoutedScalingHooks = {}): Promise<RoutedScalingSweepResult> {
  const who = 'routedScalingSweep';
  const c = resolveConfig(who, ROUTED_SCALING_SWEEP_DEFAULTS, config);
  for (const [name, list] of [['widths', c.widths], ['experts', c.experts], ['seeds', c.seeds]] as const) {
    if (!Array.isArray(list) || list.length === 0) throw new Error(`${who}: ${name} must be a non-empty list of integers`);
    list.forEach((v, i) => checkInt(who, `${name}[${i}]`, v, name === 'seeds' ? 0 : 1));
  }
  checkInt(who, 'vocabSize', c.vocabSize, 2, 256);
  checkPositive(who, 'sharpness', c.sharpness);
  checkInt(who, 'tokens', c.tokens, 64);
  checkPositiveInt(who, 'steps', c.steps);
  checkPositiveInt(who, 'batchSize', c.batchSize);
  checkPositive(who, 'learningRate', c.learningRate);
  const total = c.seeds.length * c.widths.length * c.experts.length;
  let done = 0;
  const points: RoutedScalingSweepPoint[] = [];
  const losses = new Map<string, number[]>();
  for (const seed of c.seeds) {
    const text = markovText(c.vocabSize, c.sharpness, c.tokens + Math.floor(c.tokens / 4), new Rng(seed));
    const ctxOf = (from: number, to: number) => {
      const n = to - from - 2;
      const x = new Int32Array(2 * n);
      for (let i = 0; i < n; i++) x.set([text[from + i]!, text[from + i + 1]!], 2 * i);
      return { x: tf.tensor2d(x, [n, 2], 'int32'), y: tf.tensor1d(text.slice(from + 2, to), 'int32') };
    };
    const tr = ctxOf(0, c.tokens);
    const te = ctxOf(c.tokens, text.length);
    const n = tr.x.shape[0];
    for (const width of c.widths) {
      for (const e of c.experts) {
        if (hooks.signal?.aborted) {
          tf.dispose([tr.x, tr.y, te.x, te.y]);
          throw new Error(`${who}: aborted after ${done} of ${total} runs`);
        }
        const model = new TrigramMoELM(c.vocabSize, width, e, new Rng(seed + 1));
        const opt = makeOptimizer({ name: 'adam', learningRate: c.learningRate });
        const draw = new Rng(seed + 2);
        for (let s = 0; s < c.steps; s++) {
          const idx = tf.tensor1d(Int32Array.from({ length: c.batchSize }, () => draw.int(n)), 'int32');
          const yb = tf.gather(tr.y, idx); // the labels live through the backward pass (core's fused cross-entropy reads them there)
          const loss = opt.minimize(() => {
            const ctx = new ForwardContext({ training: true });
            const task = softmaxCrossEntropy(model.forward(tf.gather(tr.x, idx) as tf.Tensor2D, ctx), yb);
            return ctx.withAuxLosses(task);
          }, true);
          tf.dispose([idx, yb, loss!]);
        }
        const test = tf.tidy(() => softmaxCrossEntropy(model.forward(te.x, new ForwardContext()), te.y));
        const v = (await test.data())[0]!;
        test.dispose();
        const key = `${width}/${e}`;
        losses.set(key, [...(losses.get(key) ?? []), v]);
        if (seed === c.seeds[0]) points.push({ width, e, n: model.denseParameters(), loss: NaN, perSeed: [] });
        const dense = model.denseParameters();
        opt.dispose();
        model.dispose();
        await hooks.onRun?.({ width, e, n: dense, seed, loss: v, done: ++done, total });
      }
    }
    tf.dispose([tr.x, tr.y, te.x, te.y]);
  }
  for (const p of points) {
    p.perSeed = losses.get(`${p.width}/${p.e}`)!;
    p.loss = p.perSeed.reduce((s, v) => s + v, 0) / p.perSeed.length;
  }
  return { points, fit: fitRoutedScalingLaw(points) };
}

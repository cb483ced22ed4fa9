// μ-Parametrization for Mixture of Experts — Małaśnicki et al., arXiv:2508.09752.
// μP (Tensor Programs V's Adam table) applied to a MoE model: each weight has a role, and its init std
// and Adam learning-rate multiplier follow from the role, its fan-in and the width multiplier
// m = width / baseWidth. Expert matrices (w1: d → h, w2: h → d, h ∝ d) are hidden weights; the router
// (d → E, E fixed as d grows) follows μP's rule for an output weight (init variance ∝ 1/d², Adam LR ∝ 1/d),
// the rule for a weight whose fan-out stays fixed (only the abstract was at hand here, not the paper's
// table: if it prescribes another router rule, change the 'router' branch of muPRule). At m = 1 μP equals the standard
// parametrisation (SP), so a learning rate tuned at the base width is the same run under both.
// Departs from the paper: no attention (a toy in → MoE → out regressor); biases start at 0.
import * as tf from '@tensorflow/tfjs-core';
import { clusterTasks, FusedAdam, ForwardContext, Module, mse, resolveConfig, Rng, split, toTensors, type ClusterTasksConfig } from '@weft/core';
import { checkInt, checkNumber, checkOneOf, checkPositive, checkPositiveInt } from '@weft/core/internal';
import { MoE } from './moe.js';
import { Regressor } from './specialisation.js';

/** What a weight is to the width: `input` (fan-in fixed), `hidden` (both grow), `output`/`router` (fan-out fixed), or a `bias`. */
export type MuPRole = 'input' | 'hidden' | 'output' | 'router' | 'bias';

/** The roles, in order. */
export const MUP_ROLES = ['input', 'hidden', 'output', 'router', 'bias'] as const;

/** Config of {@link muPRule} and {@link muParametrise}. */
export interface MuPConfig {
  /** `'mup'` (μP) or `'sp'` (standard: std σ/√fanIn, one learning rate). Default: 'mup'. */
  parametrisation: 'mup' | 'sp';
  /** Model width d (the router's and experts' input width). Default: 16. */
  width: number;
  /** Width at which μP equals SP (where the learning rate is tuned). Default: 16. */
  baseWidth: number;
  /** Init scale σ: std = σ/√fanIn for input and hidden weights. Default: 1. */
  sigma: number;
}

/** Defaults of {@link MuPConfig}. */
export const MUP_DEFAULTS: MuPConfig = { parametrisation: 'mup', width: 16, baseWidth: 16, sigma: 1 };

/** Init std and Adam learning-rate multiplier of one weight. */
export interface MuPScale {
  /** Standard deviation of the normal init (0: start at zero). */
  initStd: number;
  /** Multiplier of the base learning rate. */
  lrMultiplier: number;
}

function resolve(who: string, config: Partial<MuPConfig> | undefined): MuPConfig {
  const c = resolveConfig(who, MUP_DEFAULTS, config);
  checkOneOf(who, 'parametrisation', c.parametrisation, ['mup', 'sp'] as const);
  checkPositive(who, 'width', c.width);
  checkPositive(who, 'baseWidth', c.baseWidth);
  checkPositive(who, 'sigma', c.sigma);
  return c;
}

/**
 * The rule for one weight, with m = width / baseWidth:
 * - SP: std σ/√fanIn, LR ×1 (biases 0, ×1);
 * - μP input: std σ/√fanIn, LR ×1; hidden: std σ/√fanIn, LR ×1/m;
 *   output and router: std σ/(√fanIn·√m) (= σ·√baseWidth/width when fanIn = width, variance ∝ 1/d²), LR ×1/m;
 *   bias: 0, LR ×1.
 */
export function muPRule(role: MuPRole, fanIn: number, config?: Partial<MuPConfig>): MuPScale {
  const who = 'muPRule';
  const c = resolve(who, config);
  checkOneOf(who, 'role', role, MUP_ROLES);
  checkPositiveInt(who, 'fanIn', fanIn);
  if (role === 'bias') return { initStd: 0, lrMultiplier: 1 };
  const std = c.sigma / Math.sqrt(fanIn);
  if (c.parametrisation === 'sp' || role === 'input') return { initStd: std, lrMultiplier: 1 };
  const m = c.width / c.baseWidth;
  if (role === 'hidden') return { initStd: std, lrMultiplier: 1 / m };
  return { initStd: std / Math.sqrt(m), lrMultiplier: 1 / m }; // output, router
}

/** One parametrised weight. */
export interface MuPParameter extends MuPScale {
  /** Its path in the model. */
  path: string;
  /** The variable. */
  variable: tf.Variable;
  /** Its role. */
  role: MuPRole;
  /** Its fan-in (second-to-last axis; 1 for a bias). */
  fanIn: number;
}

/**
 * Roles of a {@link Regressor} around a MoE (`inp`, `mid` = MoE with FFN experts, `out`): `inp.weight`
 * input, `out.weight` output, `mid.router.*.weight` router, `mid.experts.w1/w2` hidden, 1-d weights bias.
 */
export function regressorMoERole(path: string, variable: tf.Variable): MuPRole {
  if (variable.rank === 1 || /\.b\d$/.test(path)) return 'bias';
  if (path === 'inp.weight') return 'input';
  if (path === 'out.weight') return 'output';
  if (path.startsWith('mid.router.')) return 'router';
  if (path.startsWith('mid.experts.')) return 'hidden';
  throw new Error(`regressorMoERole: no role for parameter '${path}' [${variable.shape}]`);
}

/**
 * Re-initialise every trainable parameter of `model` by its role's rule (normal, seeded) and return
 * the table of scales, which {@link MuPAdam} reads for the per-parameter learning rates.
 */
export function muParametrise(model: Module, roleOf: (path: string, v: tf.Variable) => MuPRole, config?: Partial<MuPConfig>, rng: Rng = new Rng(0)): MuPParameter[] {
  const c = resolve('muParametrise', config);
  const seen = new Set<tf.Variable>();
  const out: MuPParameter[] = [];
  for (const [path, variable] of model.namedParameters()) {
    if (!variable.trainable || seen.has(variable)) continue;
    seen.add(variable);
    const role = roleOf(path, variable);
    const fanIn = role === 'bias' ? 1 : variable.shape[variable.rank - 2]!;
    const s = muPRule(role, fanIn, c);
    tf.tidy(() => variable.assign(s.initStd === 0 ? tf.zerosLike(variable) : tf.tensor(rng.normalArray(variable.size, 0, s.initStd), variable.shape)));
    out.push({ path, variable, role, fanIn, ...s });
  }
  return out;
}

/** Adam with a learning rate per parameter: base rate × the parameter's multiplier (one core FusedAdam per distinct multiplier). */
export class MuPAdam {
  private readonly groups: Array<{ opt: FusedAdam; vars: tf.Variable[] }> = [];
  private readonly vars: tf.Variable[];

  /** @param params from {@link muParametrise}; @param learningRate the base rate (> 0). */
  constructor(params: readonly MuPParameter[], readonly learningRate: number) {
    checkPositive('MuPAdam', 'learningRate', learningRate);
    if (!Array.isArray(params) || params.length === 0) throw new Error('MuPAdam: params must be a non-empty list from muParametrise');
    const byMult = new Map<number, tf.Variable[]>();
    for (const p of params) byMult.set(p.lrMultiplier, [...(byMult.get(p.lrMultiplier) ?? []), p.variable]);
    for (const [mult, vars] of byMult) this.groups.push({ opt: new FusedAdam(learningRate * mult), vars });
    this.vars = params.map((p) => p.variable);
  }

  /** One step on the scalar `f` returns; returns the loss (the caller disposes it). */
  minimize(f: () => tf.Scalar): tf.Scalar {
    return tf.tidy(() => {
      const { value, grads } = tf.variableGrads(f, this.vars);
      for (const { opt, vars } of this.groups) opt.applyGradients(vars.map((v) => ({ name: v.name, tensor: grads[v.name]! })));
      return value;
    });
  }

  /** Free the moments. */
  dispose(): void {
    for (const { opt } of this.groups) opt.dispose();
  }
}

/** Config of {@link muTransferSweep}. */
export interface MuTransferConfig {
  /** Widths d swept (the first is the base width). Default: [16, 32, 64]. */
  widths: number[];
  /** Base learning rates swept. Default: 0.00125 … 0.08, ×2 apart. */
  learningRates: number[];
  /** Seeds (data, split, init). Default: [0, 1]. */
  seeds: number[];
  /** Adam steps per run. Default: 120. */
  steps: number;
  /** Examples per step. Default: 128. */
  batchSize: number;
  /** Experts E and k per token; expert hidden = width (so it grows with d). Default: 4, 2. */
  numExperts: number;
  topK: number;
  /** Data (clusterTasks). Default: 4 clusters in 2-d, nonlinear targets, 2048 points. */
  data: Partial<ClusterTasksConfig>;
}

/** Defaults of {@link MuTransferConfig}. */
export const MU_TRANSFER_DEFAULTS: MuTransferConfig = {
  widths: [16, 32, 64],
  learningRates: [0.00125, 0.0025, 0.005, 0.01, 0.02, 0.04, 0.08],
  seeds: [0, 1],
  steps: 120,
  batchSize: 128,
  numExperts: 4,
  topK: 2,
  data: { n: 2048, clusters: 4, dim: 2, target: 'nonlinear', outputs: 1 },
};

/** One parametrisation's sweep: `loss[w][l]` test MSE (mean over seeds) at widths[w], learningRates[l]. */
export interface MuTransferCurves {
  /** Mean test MSE over seeds, [width][rate] (NaN/∞ runs count as +∞). */
  loss: number[][];
  /** Per seed, the learning rate with the lowest test MSE at each width: [seed][width]. */
  argminPerSeed: number[][];
  /** The learning rate with the lowest mean test MSE at each width. */
  argmin: number[];
}

/** One finished run of {@link muTransferSweep}. */
export interface MuTransferRun {
  parametrisation: 'mup' | 'sp';
  width: number;
  learningRate: number;
  seed: number;
  /** Test MSE (+∞ for a run that diverged). */
  loss: number;
  /** Runs done so far (this one included) and in all. */
  done: number;
  total: number;
}

/** Optional hooks of {@link muTransferSweep} (not config: functions and a signal). */
export interface MuTransferHooks {
  /** Called after each run (awaited), e.g. to draw the sweep as it fills in. */
  onRun?: (run: MuTransferRun) => void | Promise<void>;
  /** Aborting stops the sweep before its next run; the sweep then rejects with an error saying so. */
  signal?: AbortSignal;
}

/** What {@link muTransferSweep} measured, for μP and SP. */
export interface MuTransferResult {
  widths: number[];
  learningRates: number[];
  mup: MuTransferCurves;
  sp: MuTransferCurves;
}

async function run(c: MuTransferConfig, parametrisation: 'mup' | 'sp', width: number, lr: number, seed: number): Promise<number> {
  const ds = clusterTasks(c.data, seed);
  const [trainSet, testSet] = split(ds, [0.75, 0.25], seed + 1);
  const tr = toTensors(trainSet!);
  const te = toTensors(testSet!);
  const model = new Regressor(ds.xShape[1]!, ds.yShape[1] ?? 1, width, (r) => new MoE({ dim: width, numExperts: c.numExperts, topK: c.topK, hidden: width, router: 'mixtral', loadBalance: 'none', zLossWeight: 0 }, r), new Rng(seed + 2));
  const params = muParametrise(model, regressorMoERole, { parametrisation, width, baseWidth: c.widths[0]! }, new Rng(seed + 3));
  const opt = new MuPAdam(params, lr);
  const draw = new Rng(seed + 4);
  const n = tr.x.shape[0]!;
  for (let s = 0; s < c.steps; s++) {
    const idx = tf.tensor1d(Int32Array.from({ length: c.batchSize }, () => draw.int(n)), 'int32');
    const loss = opt.minimize(() => {
      const xb = tf.gather(tr.x, idx);
      const yb = tf.gather(tr.y, idx);
      return mse(model.forward(xb, new ForwardContext({ training: true })) as tf.Tensor, yb);
    });
    tf.dispose([idx, loss]);
  }
  const test = tf.tidy(() => mse(model.forward(te.x, new ForwardContext()) as tf.Tensor, te.y));
  const v = (await test.data())[0]!;
  tf.dispose([test, tr.x, tr.y, te.x, te.y, ...Object.values(tr.extra), ...Object.values(te.extra)]);
  opt.dispose();
  model.dispose();
  return Number.isFinite(v) ? v : Infinity;
}

/**
 * The μTransfer experiment: a learning-rate sweep at several widths, under μP and under SP, on a
 * clusterTasks regressor (in → MoE residual → out). The paper's claim: under μP the best learning
 * rate stays put as the width grows; under SP it drifts (down, for Adam).
 */
export async function muTransferSweep(config: Partial<MuTransferConfig> = {}, hooks: MuTransferHooks = {}): Promise<MuTransferResult> {
  const who = 'muTransferSweep';
  const c = resolveConfig(who, MU_TRANSFER_DEFAULTS, config);
  for (const [name, list] of [['widths', c.widths], ['learningRates', c.learningRates], ['seeds', c.seeds]] as const) {
    if (!Array.isArray(list) || list.length === 0) throw new Error(`${who}: ${name} must be a non-empty list of numbers`);
  }
  c.widths.forEach((w, i) => checkPositiveInt(who, `widths[${i}]`, w));
  c.learningRates.forEach((l, i) => checkPositive(who, `learningRates[${i}]`, l));
  c.seeds.forEach((s, i) => checkInt(who, `seeds[${i}]`, s, 0));
  checkPositiveInt(who, 'steps', c.steps);
  checkPositiveInt(who, 'batchSize', c.batchSize);
  checkPositiveInt(who, 'numExperts', c.numExperts);
  checkInt(who, 'topK', c.topK, 1, c.numExperts);
  checkNumber(who, 'data.n', c.data.n ?? 1, 2);
  const total = 2 * c.seeds.length * c.widths.length * c.learningRates.length;
  let done = 0;
  const sweep = async (p: 'mup' | 'sp'): Promise<MuTransferCurves> => {
    const perSeed: number[][][] = []; // [seed][width][rate]
    for (const seed of c.seeds) {
      const grid: number[][] = [];
      for (const w of c.widths) {
        const row: number[] = [];
        for (const lr of c.learningRates) {
          if (hooks.signal?.aborted) throw new Error(`${who}: aborted after ${done} of ${total} runs`);
          const loss = await run(c, p, w, lr, seed);
          row.push(loss);
          await hooks.onRun?.({ parametrisation: p, width: w, learningRate: lr, seed, loss, done: ++done, total });
        }
        grid.push(row);
      }
      perSeed.push(grid);
    }
    const best = (row: number[]) => c.learningRates[row.reduce((b, v, i) => (v < row[b]! ? i : b), 0)]!;
    const loss = c.widths.map((_, wi) => c.learningRates.map((_, li) => perSeed.reduce((s, g) => s + g[wi]![li]!, 0) / perSeed.length));
    return { loss, argminPerSeed: perSeed.map((g) => g.map(best)), argmin: loss.map(best) };
  };
  return { widths: c.widths, learningRates: c.learningRates, mup: await sweep('mup'), sp: await sweep('sp') };
}

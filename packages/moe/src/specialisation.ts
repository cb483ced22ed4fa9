// The specialisation experiment of the issue: on core's Gaussian clusters with a different target
// function per cluster (`clusterTasks`), a top-k MoE regressor (Linear in → MoE → Linear out) should
// learn routing whose expert assignment matches the clusters (normalised mutual information between
// each point's first-choice expert and its cluster) and beat a dense FFN regressor with the same
// active expert parameters (one MLP of hidden k·h, since k experts of hidden h are active per token).
import * as tf from '@tensorflow/tfjs-core';
import { checkKnownKeys, clusterTasks, ForwardContext, Linear, makeOptimizer, MLP, Module, mse, parameterLedger, resolveConfig, Rng, split, toTensors, train, type ClusterTasksConfig } from '@weft/core';
import { checkInt, checkPositive, checkPositiveInt } from '@weft/core/internal';
import { normalizedMutualInformation } from './metrics.js';
import { MoE, MOE_CONFIG_KEYS, type MoEConfig } from './moe.js';

/** in → (MoE | MLP) → out, with a residual around the middle. */
export class Regressor extends Module {
  /** Input projection. */
  readonly inp: Linear;
  /** The MoE or dense FFN. */
  readonly mid: Module;
  /** Output head. */
  readonly out: Linear;
  constructor(inFeatures: number, outFeatures: number, width: number, mid: (rng: Rng) => Module, rng: Rng) {
    super();
    this.inp = this.addModule('inp', new Linear({ inFeatures, outFeatures: width }, rng));
    this.mid = this.addModule('mid', mid(rng));
    this.out = this.addModule('out', new Linear({ inFeatures: width, outFeatures }, rng));
  }
  forward(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    const h = this.inp.forward(x, ctx);
    return this.out.forward(tf.add(h, this.mid.forward(h, ctx)), ctx);
  }
}

/** Config of {@link specialisationExperiment}. */
export interface SpecialisationConfig {
  /** Data (clusterTasks config). Default: 8 clusters in 2-d, nonlinear targets, 4096 points. */
  data: Partial<ClusterTasksConfig>;
  /** MoE options (dim is `width`). Default: 8 experts, top-2, hidden 16, mixtral router, Switch balance 0.1. */
  moe: Omit<MoEConfig, 'dim'>;
  /** Model width. Default: 16. */
  width: number;
  /** Adam steps. Default: 600. */
  steps: number;
  /** Examples per step (seeded draws from the training split), or 0 for the full batch. Default: 256. */
  batchSize: number;
  /** Learning rate. Default: 0.01. */
  learningRate: number;
  /** Seed (data, split, init). Default: 0. */
  seed: number;
}

/** Defaults of {@link SpecialisationConfig}. */
export const SPECIALISATION_DEFAULTS: SpecialisationConfig = {
  data: { n: 4096, clusters: 8, dim: 2, target: 'nonlinear', outputs: 1 },
  moe: { numExperts: 8, topK: 2, hidden: 16, router: 'mixtral', loadBalance: 'switch', loadBalanceWeight: 0.1 },
  width: 16,
  steps: 600,
  batchSize: 256,
  learningRate: 0.01,
  seed: 0,
};

/** What {@link specialisationExperiment} measured. */
export interface SpecialisationResult {
  /** NMI(first-choice expert, cluster) on the test points. */
  nmi: number;
  /** NMI of the same router at initialisation (before training): a linear router already cuts the input space, and compact clusters fall whole into its regions. */
  nmiAtInit: number;
  /** NMI of the trained assignment against a seeded random permutation of the cluster labels (chance level). */
  nmiChance: number;
  /** Test MSE of the MoE regressor. */
  moeMse: number;
  /** Test MSE of the dense regressor with the same active expert parameters. */
  denseMse: number;
  /** Active parameters per token (ledger) of the MoE regressor and the dense one. */
  activeMoe: number;
  activeDense: number;
  /** Cluster × expert counts of first choices on the test points. */
  confusion: number[][];
}

/** Train an MoE and a dense regressor on clusterTasks and compare. */
export async function specialisationExperiment(config: Partial<SpecialisationConfig> = {}): Promise<SpecialisationResult> {
  const who = 'specialisationExperiment';
  const top = resolveConfig(who, SPECIALISATION_DEFAULTS, config);
  // The nested configs merge over their defaults; MoE and clusterTasks refuse their own unknown keys (the width is the MoE's dim).
  checkKnownKeys(`${who}.moe`, config.moe, MOE_CONFIG_KEYS.filter((k) => k !== 'dim'));
  const c = { ...top, moe: { ...SPECIALISATION_DEFAULTS.moe, ...config.moe }, data: { ...SPECIALISATION_DEFAULTS.data, ...config.data } };
  checkPositiveInt(who, 'width', c.width);
  checkPositiveInt(who, 'steps', c.steps);
  checkInt(who, 'batchSize', c.batchSize, 0);
  checkPositive(who, 'learningRate', c.learningRate);
  checkInt(who, 'seed', c.seed, 0);
  const ds = clusterTasks(c.data, c.seed);
  const [trainSet, testSet] = split(ds, [0.75, 0.25], c.seed + 1);
  const tr = toTensors(trainSet!);
  const te = toTensors(testSet!);
  const inF = ds.xShape[1]!;
  const outF = ds.yShape[1] ?? 1;
  const k = c.moe.topK ?? 2;
  const h = c.moe.hidden ?? 4 * c.width;
  const moe = new Regressor(inF, outF, c.width, (r) => new MoE({ ...c.moe, dim: c.width }, r), new Rng(c.seed + 2));
  const dense = new Regressor(inF, outF, c.width, (r) => new MLP({ dim: c.width, hidden: k * h }, r), new Rng(c.seed + 2));
  const clusterOf = testSet!.extra!.cluster as Int32Array;
  const firstChoice = async (): Promise<Int32Array> => {
    const ctx = new ForwardContext({ collectStats: true });
    const prefix = (c.moe.name ?? 'moe') + '.weights';
    tf.tidy(() => void moe.forward(te.x, ctx));
    const w = ctx.stats.get(prefix) as tf.Tensor;
    const arg = tf.argMax(w, 1);
    const out = (await arg.data()) as Int32Array;
    arg.dispose();
    ctx.disposeStats();
    return out;
  };
  const nmiAtInit = normalizedMutualInformation(await firstChoice(), clusterOf);
  const fit = async (model: Module) => {
    const opt = makeOptimizer({ name: 'adam', learningRate: c.learningRate });
    const n = tr.x.shape[0]!;
    const draw = new Rng(c.seed + 4);
    const batch = c.batchSize > 0 && c.batchSize < n
      ? () => {
          const idx = tf.tensor1d(Int32Array.from({ length: c.batchSize }, () => draw.int(n)), 'int32');
          const b = { x: tf.gather(tr.x, idx), y: tf.gather(tr.y, idx) };
          idx.dispose();
          return b;
        }
      : () => tr;
    await train({ model, steps: c.steps, optimizer: opt, batch, loss: (o, b) => mse(o, b.y), reportEvery: c.steps, seed: c.seed });
    opt.dispose();
    model.eval();
    const m = tf.tidy(() => mse(model.forward(te.x, new ForwardContext()), te.y));
    const v = (await m.data())[0]!;
    m.dispose();
    return v;
  };
  const moeMse = await fit(moe);
  const denseMse = await fit(dense);
  const assignment = await firstChoice();
  const e = c.moe.numExperts ?? 8;
  const clusters = c.data.clusters ?? 4;
  const confusion = Array.from({ length: clusters }, () => new Array<number>(e).fill(0));
  for (let i = 0; i < assignment.length; i++) confusion[clusterOf[i]!]![assignment[i]!]! += 1;
  const result: SpecialisationResult = {
    nmi: normalizedMutualInformation(assignment, clusterOf),
    nmiAtInit,
    nmiChance: normalizedMutualInformation(assignment, shuffled(clusterOf, new Rng(c.seed + 3))),
    moeMse,
    denseMse,
    activeMoe: parameterLedger(moe).totals.active,
    activeDense: parameterLedger(dense).totals.active,
    confusion,
  };
  tf.dispose([tr.x, tr.y, te.x, te.y, ...Object.values(tr.extra), ...Object.values(te.extra)]);
  moe.dispose();
  dense.dispose();
  return result;
}

function shuffled(a: Int32Array, rng: Rng): Int32Array {
  const out = a.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

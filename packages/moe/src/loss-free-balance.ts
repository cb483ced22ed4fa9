// Auxiliary-loss-free load balancing — Wang et al., "Auxiliary-Loss-Free Load Balancing Strategy for
// Mixture-of-Experts", arXiv:2408.15664, as DeepSeek-V3 (arXiv:2412.19437) uses it: the experiment
// of its claim on a toy task. A regressor (Linear → MoE with the 'deepseek-v3' router → Linear) on
// core's clusterTasks, trained with (a) no balancing at all, (b) the selection bias updated at speed
// γ and no aux loss, (c) the sequence-wise aux loss alone; each reports the load spread of its
// trained router on held-out points (MaxVio = max_e load_e / mean load − 1, the paper's measure)
// and the test MSE.
import * as tf from '@tensorflow/tfjs-core';
import { clusterTasks, ForwardContext, makeOptimizer, mse, resolveConfig, Rng, split, toTensors, train } from '@weft/core';
import { checkInt, checkNumber, checkPositive, checkPositiveInt } from '@weft/core/internal';
import { MoE } from './moe.js';
import { Regressor } from './specialisation.js';

/** Config of {@link lossFreeBalanceExperiment}. */
export interface LossFreeBalanceConfig {
  /** Balancing: 'none' (γ = 0, no aux loss), 'bias' (γ = biasUpdateSpeed, no aux loss), 'aux' (γ = 0, sequence-wise loss). Default: 'bias'. */
  balance: 'none' | 'bias' | 'aux';
  /**
   * Bias update speed γ for 'bias'. Default: 0.01 (DeepSeek-V3 uses 0.001 over trillions of tokens;
   * in 400 toy steps that moves a bias at most 0.4, too little: MaxVio 1.86 ± 0.40 over seeds 0–2).
   */
  biasUpdateSpeed: number;
  /** Weight of the sequence-wise loss for 'aux'. Default: 0.01. */
  auxWeight: number;
  /** Routed experts. Default: 16. */
  numExperts: number;
  /** Experts per token. Default: 2. */
  topK: number;
  /** Adam steps. Default: 400. */
  steps: number;
  /** Points per step (one "sequence" each step). Default: 256. */
  batchSize: number;
  /** Learning rate. Default: 0.01. */
  learningRate: number;
  /** Seed (data, split, init, batches). Default: 0. */
  seed: number;
}

/** Defaults of {@link LossFreeBalanceConfig}. */
export const LOSS_FREE_BALANCE_DEFAULTS: LossFreeBalanceConfig = {
  balance: 'bias', biasUpdateSpeed: 0.01, auxWeight: 0.01, numExperts: 16, topK: 2, steps: 400, batchSize: 256, learningRate: 0.01, seed: 0,
};

/** What {@link lossFreeBalanceExperiment} measured. */
export interface LossFreeBalanceResult {
  /** max_e load_e / mean load − 1 over the test points' k choices (0 = perfectly even). */
  maxVio: number;
  /** Share of the test points' choices per expert. */
  load: number[];
  /** Test MSE. */
  mse: number;
}

/** Train the toy regressor with one balancing strategy and measure its load spread. */
export async function lossFreeBalanceExperiment(config: Partial<LossFreeBalanceConfig> = {}): Promise<LossFreeBalanceResult> {
  const who = 'lossFreeBalanceExperiment';
  const c = resolveConfig(who, LOSS_FREE_BALANCE_DEFAULTS, config);
  if (!['none', 'bias', 'aux'].includes(c.balance)) throw new Error(`${who}: balance=${JSON.stringify(c.balance)}; allowed: "none", "bias", "aux"`);
  checkNumber(who, 'biasUpdateSpeed', c.biasUpdateSpeed, 0);
  checkNumber(who, 'auxWeight', c.auxWeight, 0);
  checkPositiveInt(who, 'numExperts', c.numExperts);
  checkInt(who, 'topK', c.topK, 1, c.numExperts);
  checkPositiveInt(who, 'steps', c.steps);
  checkPositiveInt(who, 'batchSize', c.batchSize);
  checkPositive(who, 'learningRate', c.learningRate);
  checkInt(who, 'seed', c.seed, 0);
  const ds = clusterTasks({ n: 4096, clusters: 8, dim: 2, target: 'nonlinear', outputs: 1 }, c.seed);
  const [trainSet, testSet] = split(ds, [0.75, 0.25], c.seed + 1);
  const tr = toTensors(trainSet!);
  const te = toTensors(testSet!);
  const width = 16;
  const moeOf = (r: Rng) =>
    new MoE({
      dim: width, numExperts: c.numExperts, topK: c.topK, hidden: 8, router: 'deepseek-v3',
      routerConfig: { biasUpdateSpeed: c.balance === 'bias' ? c.biasUpdateSpeed : 0 },
      loadBalance: c.balance === 'aux' ? 'sequence' : 'none', loadBalanceWeight: c.auxWeight, zLossWeight: 0,
    }, r);
  const model = new Regressor(ds.xShape[1]!, 1, width, moeOf, new Rng(c.seed + 2));
  const opt = makeOptimizer({ name: 'adam', learningRate: c.learningRate });
  const n = tr.x.shape[0]!;
  const draw = new Rng(c.seed + 4);
  const batch = () =>
    tf.tidy(() => {
      const idx = tf.tensor1d(Int32Array.from({ length: c.batchSize }, () => draw.int(n)), 'int32');
      return { x: tf.gather(tr.x, idx), y: tf.gather(tr.y, idx) };
    });
  await train({ model, steps: c.steps, optimizer: opt, batch, loss: (o, b) => mse(o, b.y), reportEvery: c.steps, seed: c.seed });
  opt.dispose();
  model.eval();
  const ctx = new ForwardContext({ collectStats: true });
  const m = tf.tidy(() => mse(model.forward(te.x, ctx), te.y));
  const load = Array.from(await (ctx.stats.get('moe.load') as tf.Tensor).data());
  const testMse = (await m.data())[0]!;
  ctx.disposeStats();
  m.dispose();
  tf.dispose([tr.x, tr.y, te.x, te.y, ...Object.values(tr.extra), ...Object.values(te.extra)]);
  model.dispose();
  const mean = 1 / c.numExperts;
  return { maxVio: Math.max(...load) / mean - 1, load, mse: testMse };
}

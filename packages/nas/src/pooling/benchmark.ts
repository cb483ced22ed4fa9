// Balanced Mixture of SuperNets (arXiv 2306.11982): the toy ranking benchmark of the pooling space —
// the 8 configurations of the default 3-layer space on 8×8 shapes, their stand-alone accuracy (the
// reference ranking) and the record of a mixture's training that nas.html draws from the cached
// table (pooling/table.ts, made by scripts/nas-pooling-table.mjs). The experiment in
// test/pooling-mixture.test.ts runs the same recipe.
import * as tf from '@tensorflow/tfjs-core';
import { Rng, makeOptimizer, shapes, softmaxCrossEntropy, toTensors, train } from '@weft/core';
import { checkInt } from '@weft/core/internal';
import { accuracyOn } from '../ranking/benchmark.js';
import type { Batch } from '../search/bilevel.js';
import { PoolingNetwork, type PoolingSpaceConfig } from './network.js';

/** The benchmark's recipe (fixed: the cached table depends on every field). */
export const POOLING_RECIPE = {
  /** 8×8 shapes: `n` examples drawn with `dataSeed`, the first `train` for training, the rest held out. */
  data: { n: 2048, train: 1536, dataSeed: 5 },
  /** Stand-alone training of each configuration: Adam at `learningRate`, `steps` batches of `batchSize`, seeds 0–2 (Rng 100 + seed). */
  standalone: { steps: 400, batchSize: 64, learningRate: 0.01, seeds: [0, 1, 2] },
  /** Training of each mixture: `steps` steps of `batchSize`, seeds 0–2. */
  mixture: { steps: 1500, batchSize: 64, seeds: [0, 1, 2] },
} as const;

/** The benchmark's training and held-out splits (new tensors; the caller disposes them). */
export function poolingBenchmarkData(): { train: Batch; val: Batch } {
  const { n, train: nt, dataSeed } = POOLING_RECIPE.data;
  const d = toTensors(shapes({ n, size: 8 }, dataSeed));
  const out = {
    train: { x: tf.slice(d.x, 0, nt), y: tf.slice(d.y, 0, nt) }, // (n, 8, 8, 1) -> (train, 8, 8, 1)
    val: { x: tf.slice(d.x, nt, n - nt), y: tf.slice(d.y, nt, n - nt) },
  };
  tf.dispose([d.x, d.y, ...Object.values(d.extra ?? {})]);
  return out;
}

/** Held-out accuracy of configuration `pooling` trained alone with the recipe and `seed`. */
export async function trainPoolingStandalone(space: PoolingSpaceConfig, data: { train: Batch; val: Batch }, pooling: readonly number[], seed: number): Promise<number> {
  checkInt('trainPoolingStandalone', 'seed', seed, 0);
  const { steps, batchSize, learningRate } = POOLING_RECIPE.standalone;
  const rng = new Rng(100 + seed);
  const net = new PoolingNetwork(space, rng.fork('init'));
  net.pooling = [...pooling];
  const draw = rng.fork('batches');
  const n = data.train.x.shape[0]!;
  const opt = makeOptimizer({ name: 'adam', learningRate });
  try {
    await train({
      model: net,
      optimizer: opt,
      steps,
      reportEvery: steps,
      seed,
      loss: (o, b: Batch) => softmaxCrossEntropy(o, b.y),
      batch: () => {
        const i = tf.tensor1d(Int32Array.from({ length: batchSize }, () => draw.int(n)), 'int32');
        return { x: tf.gather(data.train.x, i), y: tf.gather(data.train.y, i) };
      },
    });
    return await accuracyOn(net, data.val);
  } finally {
    opt.dispose();
    net.dispose();
  }
}

/** One mixture training of the cached table. */
export interface PoolingRun {
  /** 'one' (one supernet), 'balanced' (M = 2, λ = 1) or 'unbalanced' (M = 2, λ = 0). */
  kind: 'one' | 'balanced' | 'unbalanced';
  supernets: number;
  balance: number;
  seed: number;
  /** Held-out accuracy of each configuration on its most associated model (the ranking scores). */
  scores: number[];
  /** Kendall τ-b of `scores` against the mean stand-alone accuracies. */
  tau: number;
  /** At the start and every 300 steps: the step, p(m | c) row-major (configurations, models), and training steps each model got so far. */
  history: { step: number; assoc: number[]; modelSteps: number[] }[];
}

/** The cached pooling benchmark (pooling/table.ts). */
export interface PoolingTable {
  /** Configuration keys (poolingKey), in poolingConfigs order. */
  configs: string[];
  /** Held-out accuracy of each configuration trained alone, one per stand-alone seed. */
  standalone: number[][];
  runs: PoolingRun[];
  /** Seconds the script took on the machine that made it. */
  seconds: number;
}

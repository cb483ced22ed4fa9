// Designing Network Design Spaces (RegNet), arXiv 2003.13678, §2.2: sample, train and measure —
// every sampled model is trained with one fixed, short recipe (the paper: 10 epochs) and its
// held-out error goes into the space's EDF. Toy recipe: Adam on 8×8 shapes.
import * as tf from '@tensorflow/tfjs-core';
import { Rng, makeOptimizer, resolveConfig, softmaxCrossEntropy, train } from '@weft/core';
import { checkInt, checkPositive } from '@weft/core/internal';
import type { Batch } from '../search/bilevel.js';
import { accuracyOn } from '../ranking/benchmark.js';
import { AnyNet, type AnyNetConfig } from './network.js';
import { sampleDesigns, type DesignSample, type DesignSpaceName, type DesignSpaceRanges } from './space.js';

/** The training recipe of every sampled model. */
export interface DesignRecipe {
  /** Adam steps. Default: 100. */
  steps: number;
  /** Batch size. Default: 32. */
  batchSize: number;
  /** Adam learning rate. Default: 0.01. */
  learningRate: number;
}

/** Defaults of {@link DesignRecipe}. */
export const DESIGN_RECIPE_DEFAULTS: DesignRecipe = { steps: 100, batchSize: 32, learningRate: 0.01 };

/** Train a fresh {@link AnyNet} of `config` (init and batches from `seed`); its error (1 − accuracy) on `data.val`. */
export async function trainDesign(config: AnyNetConfig, data: { train: Batch; val: Batch }, seed: number, recipe?: Partial<DesignRecipe>): Promise<number> {
  const r = resolveConfig('trainDesign', DESIGN_RECIPE_DEFAULTS, recipe);
  checkInt('trainDesign', 'steps', r.steps, 1, 1e6);
  checkInt('trainDesign', 'batchSize', r.batchSize, 1, 1e5);
  checkPositive('trainDesign', 'learningRate', r.learningRate);
  const rng = new Rng(seed);
  const net = new AnyNet(config, rng.fork('init'));
  const n = data.train.x.shape[0]!;
  const draw = rng.fork('batches');
  const idx = Array.from({ length: r.steps }, () => Int32Array.from({ length: r.batchSize }, () => draw.int(n)));
  const opt = makeOptimizer({ name: 'adam', learningRate: r.learningRate });
  try {
    await train({
      model: net,
      optimizer: opt,
      steps: r.steps,
      reportEvery: r.steps,
      seed,
      loss: (o, batch: Batch) => softmaxCrossEntropy(o, batch.y),
      batch: (i) => {
        const t = tf.tensor1d(idx[i]!, 'int32');
        return { x: tf.gather(data.train.x, t), y: tf.gather(data.train.y, t) };
      },
    });
    return 1 - (await accuracyOn(net, data.val));
  } finally {
    opt.dispose();
    net.dispose();
  }
}

/** A sampled model with its trained error. */
export interface DesignResult extends DesignSample {
  error: number;
}

/**
 * The paper's measurement of a design space: draw `n` models (seeded by `seed`), train each with
 * the recipe and report every error (the EDF's sample). `onModel` sees each result as it lands.
 */
export async function designSpaceErrors(
  space: DesignSpaceName,
  n: number,
  data: { train: Batch; val: Batch },
  seed: number,
  options: { ranges?: Partial<DesignSpaceRanges>; recipe?: Partial<DesignRecipe>; onModel?: (r: DesignResult, i: number) => void } = {},
): Promise<DesignResult[]> {
  const samples = sampleDesigns(space, n, new Rng(seed).fork(`design-${space}`), options.ranges);
  const out: DesignResult[] = [];
  for (const [i, s] of samples.entries()) {
    out.push({ ...s, error: await trainDesign(s.config, data, seed * 1000 + i, options.recipe) });
    options.onModel?.(out.at(-1)!, i);
  }
  return out;
}

// Shared machinery of the bilevel cell searches (DARTS, arXiv 1806.09055, Alg. 1): a weight
// optimiser over w on training batches, an architecture optimiser over α on validation batches,
// and the step the trainer's custom `step` hook runs. Everything here is synchronous and runs
// inside the trainer's tidy; variable names key the gradients given to `applyGradients`.
import * as tf from '@tensorflow/tfjs-core';
import { ForwardContext, checkKnownKeys, configKeys, makeOptimizer, type Module, type OptimizerConfig, type StepOutput, type StepContext } from '@weft/core';
import { checkInt } from '@weft/core/internal';
import type { CellKind, SearchNetwork } from '../supernet.js';
import { cosinePowerAnnealing } from './schedule.js';

/** A labelled batch. */
export interface Batch {
  x: tf.Tensor;
  y: tf.Tensor;
}

/** One bilevel step's data: a training batch for w and a validation batch for α. */
export interface SearchBatch {
  train: Batch;
  val: Batch;
}

/** Task loss of a search (cross-entropy for classes, MSE for regression). */
export type TaskLoss = (output: tf.Tensor, y: tf.Tensor) => tf.Scalar;

/** Optimiser settings common to the bilevel searches. */
export interface BilevelConfig {
  /** Optimiser of the weights w. Default: Adam, lr 0.01 (DARTS: SGD-momentum 0.025 with cosine decay; Adam converges in the few steps a toy search runs). */
  weightOptimizer: OptimizerConfig;
  /** Optimiser of α. Default: Adam, lr 0.01, β1 0.5 (DARTS: Adam 3e-4, β = (0.5, 0.999), tuned up for short toy searches). */
  archOptimizer: OptimizerConfig;
  /** Architecture steps start after this many weight-only steps (warm-up, as PC-DARTS/DropNAS). Default 0. */
  warmupSteps: number;
  /**
   * sharpDARTS' cosine power annealing of the weight learning rate from `weightOptimizer.learningRate`
   * to `minLr` over `totalSteps` (see schedule.ts). Default: none (constant rate).
   */
  weightSchedule?: { totalSteps: number; minLr?: number; exponent?: number };
}

const SCHEDULE_KEYS = configKeys<NonNullable<BilevelConfig['weightSchedule']>>({ totalSteps: true, minLr: true, exponent: true });

/** Defaults of {@link BilevelConfig}. */
export const BILEVEL_DEFAULTS: BilevelConfig = {
  weightOptimizer: { name: 'adam', learningRate: 0.01 },
  archOptimizer: { name: 'adam', learningRate: 0.01, beta1: 0.5, beta2: 0.999 },
  warmupSteps: 0,
};

/** A search in progress: the trainer's step hook plus the result. */
export interface Searcher<R> {
  /** Method name. */
  readonly method: string;
  /** The step for `train({ step })`. */
  step(batch: SearchBatch, s: StepContext): StepOutput;
  /** The architecture found so far (some methods evaluate candidates on `val`). */
  result(val?: Batch): Promise<R>;
  /** Release the optimisers' state (the supernet is the caller's). */
  dispose(): void;
  /** Resolves when host-side state the steps read is current (GDAS' host copy of α); runSearch awaits it. */
  ready?(): Promise<void>;
  /**
   * A step before which runSearch stops the trainer, awaits {@link atPause} with that step's
   * training batch and resumes (a host decision that needs a readback, e.g. few-shot splitting).
   */
  readonly pauseAt?: number;
  /** See {@link pauseAt}. */
  atPause?(batch: Batch): Promise<void>;
  /**
   * A cell search whose genotype is not DARTS' parse of the network's softmax α (ROME's topology
   * logits): per cell type, edge rows that parse to its genotype, for views and the collapse measure.
   */
  edgeWeights?(): Promise<Record<CellKind, number[][]>>;
  /**
   * The module holding the weights the search trains, when it is not the supernet the search was
   * built on (a HyperNet, a mixture of supernets): what a parameter count of the search should read.
   */
  readonly weightsModule?: Module;
}

/** The loss of `net` on `b` in a fresh forward context. */
export function lossOn(net: SearchNetwork, b: Batch, loss: TaskLoss, ctx: ForwardContext): tf.Scalar {
  const out = net.forward(b.x, ctx);
  return ctx.withAuxLosses(loss(out, b.y));
}

/** The two optimisers of a bilevel search. */
export class BilevelOptimizers {
  readonly weightOpt: tf.Optimizer;
  readonly archOpt: tf.Optimizer;
  constructor(readonly config: BilevelConfig) {
    this.weightOpt = makeOptimizer(config.weightOptimizer);
    this.archOpt = makeOptimizer(config.archOptimizer);
    if (config.weightSchedule) this.scheduleWeights(0); // validates the schedule
  }
  /** Set the weight learning rate of step `step` (with a `weightSchedule`; else nothing). */
  scheduleWeights(step: number): void {
    const sc = this.config.weightSchedule;
    if (!sc) return;
    // tfjs' optimisers read `learningRate` on every applyGradients.
    (this.weightOpt as unknown as { learningRate: number }).learningRate = cosinePowerAnnealing(step, { ...sc, maxLr: this.config.weightOptimizer.learningRate });
  }
  dispose(): void {
    this.weightOpt.dispose();
    this.archOpt.dispose();
  }
}

/** One weight step on the training batch; returns the training loss. */
export function weightStep(net: SearchNetwork, opt: tf.Optimizer, b: Batch, loss: TaskLoss, ctx: ForwardContext): tf.Scalar {
  const l = opt.minimize(() => lossOn(net, b, loss, ctx), true, net.weightParameters());
  if (!l) throw new Error('search: the weight optimiser returned no loss');
  return l;
}

/** First-order architecture step: α ← α − opt(∇α L_val(w, α)). */
export function firstOrderArchStep(net: SearchNetwork, opt: tf.Optimizer, b: Batch, loss: TaskLoss, ctx: ForwardContext): tf.Scalar {
  const l = opt.minimize(() => lossOn(net, b, loss, ctx), true, net.archParameters());
  if (!l) throw new Error('search: the architecture optimiser returned no loss');
  return l;
}

/** Fresh context for a sub-pass of a step (same seed, so samplers draw the same noise within a step). */
export function subContext(s: StepContext): ForwardContext {
  return new ForwardContext({ training: true, seed: s.ctx.rng.seed });
}

/** Resolve a partial bilevel config (its keys are checked by the search that owns it). */
export function resolveBilevel(c: Partial<BilevelConfig> = {}): BilevelConfig {
  const out = { ...BILEVEL_DEFAULTS, ...c };
  checkInt('search', 'warmupSteps', out.warmupSteps, 0);
  checkKnownKeys('search: weightSchedule', out.weightSchedule, SCHEDULE_KEYS);
  return out;
}

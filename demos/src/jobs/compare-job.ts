// A TrainingJob for the comparison page: one model (built by a technique entry) learning one toy
// task — 2-D spirals, a classification every technique family can be applied to — for a fixed
// budget of steps. The data lives on the device once; each step gathers a seeded mini-batch by
// index inside the step's tidy, so every technique sees the same batches in the same order.
// `evaluate` scores the held-out split with one forward pass and one readback.
import * as tf from '@tensorflow/tfjs-core';
import {
  accuracy,
  batchIndices,
  ForwardContext,
  makeDataset,
  makeOptimizer,
  parameterLedger,
  Rng,
  softmaxCrossEntropy,
  split,
  train,
  type Dataset,
  type Ledger,
  type Module,
  type TrainResult,
} from '@weft/core';
import type { TrainingJob, TrainingSegment } from '../controllers/training-controller.js';
import type { Extent, ProbabilityField } from '../plane.js';
import { probabilityField } from './probability-field.js';
import { setLearningRate } from './learning-rate.js';

/** The shared task of the comparison page: every technique gets exactly this. */
export interface CompareTaskConfig {
  /** Registry name of a 2-D classification dataset. Default 'spirals'. */
  dataset: string;
  /** Seed of data, initial weights and batch order. Default 1. */
  seed: number;
  /** Training steps (the same budget for every technique). Default 600. */
  steps: number;
  /** Examples per step. Default 64. */
  batch: number;
  /** Adam learning rate. Default 0.01. */
  lr: number;
}

/** Defaults of {@link CompareTaskConfig}. */
export const COMPARE_TASK_DEFAULTS: CompareTaskConfig = { dataset: 'spirals', seed: 1, steps: 600, batch: 64, lr: 0.01 };

/** The task's data, made once per page and shared by every run (plain arrays). */
export interface CompareData {
  /** Training split (80%). */
  train: Dataset;
  /** Held-out split (20%). */
  test: Dataset;
  /** Input features (2). */
  inFeatures: number;
  /** Classes. */
  numClasses: number;
}

/** Make the task's data and split it 80/20 with the seed. */
export function makeCompareData(c: CompareTaskConfig): CompareData {
  const ds = makeDataset(c.dataset, undefined, c.seed);
  if (ds.task !== 'classification' || ds.xShape.length !== 2 || !ds.numClasses) {
    throw new Error(`compare: dataset "${c.dataset}" is not a classification dataset with [N, F] inputs`);
  }
  const [trainSplit, testSplit] = split(ds, [0.8, 0.2], new Rng(c.seed).fork('split'));
  return { train: trainSplit!, test: testSplit!, inFeatures: ds.xShape[1]!, numClasses: ds.numClasses };
}

/** A model a technique built, plus what the job must know to train it. */
export interface BuiltModel {
  /** The model: (B, F) features → (B, classes) logits. */
  model: Module<tf.Tensor, tf.Tensor>;
  /** Variables to train. Default: the model's trainable parameters. */
  variables?: tf.Variable[];
  /** Free anything the model does not own (e.g. a frozen base). */
  dispose?(): void;
}

/** One technique's run on the shared task. */
export class CompareJob implements TrainingJob {
  /** Total steps. */
  readonly totalSteps: number;
  private readonly x: tf.Tensor2D;
  private readonly y: tf.Tensor1D;
  private readonly optimizer: tf.Optimizer;
  private readonly order: Generator<Int32Array>;
  private disposed = false;

  constructor(
    readonly built: BuiltModel,
    readonly data: CompareData,
    readonly config: CompareTaskConfig,
  ) {
    this.totalSteps = config.steps;
    const n = data.train.xShape[0]!;
    this.x = tf.tensor2d(data.train.x as Float32Array, [n, data.inFeatures]);
    this.y = tf.tensor1d(data.train.y as Int32Array, 'int32');
    this.optimizer = makeOptimizer({ name: 'adam', learningRate: config.lr });
    this.order = batchIndices(n, Math.min(config.batch, n), { rng: new Rng(config.seed).fork('batches'), epochs: Infinity });
  }

  /** Use learning rate `lr` from the next step on. */
  setLearningRate(lr: number): void {
    setLearningRate(this.optimizer, lr);
  }

  /** The model's parameter ledger. */
  ledger(): Ledger {
    return parameterLedger(this.built.model);
  }

  /** Run steps `[fromStep, fromStep + steps)`. */
  run(segment: TrainingSegment): Promise<TrainResult> {
    if (this.disposed) throw new Error('CompareJob: run() after dispose()');
    return train({
      steps: segment.steps,
      model: this.built.model,
      variables: this.built.variables,
      optimizer: this.optimizer,
      batch: () => {
        const idx = tf.tensor1d(this.order.next().value!, 'int32'); // (B,)
        return { x: tf.gather(this.x, idx), y: tf.gather(this.y, idx) }; // (B, F), (B,)
      },
      loss: (logits, b) => softmaxCrossEntropy(logits, b.y),
      metrics: { accuracy: (logits, b) => accuracy(logits, b.y) },
      reportEvery: Math.max(5, Math.round(this.totalSteps / 60)),
      onProgress: segment.onProgress,
      signal: segment.signal,
      seed: segment.fromStep,
    });
  }

  /** The model's class probabilities over `extent` (one forward, one readback), for its decision boundary. */
  predictField(extent: Extent, resolution = 48): Promise<ProbabilityField> {
    return probabilityField(this.built.model, extent, resolution);
  }

  /** Accuracy on the held-out split (one forward, one readback). */
  async evaluate(): Promise<number> {
    const n = this.data.test.xShape[0]!;
    const acc = tf.tidy(() => {
      const x = tf.tensor2d(this.data.test.x as Float32Array, [n, this.data.inFeatures]);
      const y = tf.tensor1d(this.data.test.y as Int32Array, 'int32');
      const logits = this.built.model.forward(x, new ForwardContext({ training: false })); // (N, classes)
      return accuracy(logits, y);
    });
    try {
      return (await acc.data())[0]!;
    } finally {
      acc.dispose();
    }
  }

  /** Free the model, optimiser and data tensors. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.built.model.dispose();
    this.built.dispose?.();
    this.optimizer.dispose();
    tf.dispose([this.x, this.y]);
  }
}

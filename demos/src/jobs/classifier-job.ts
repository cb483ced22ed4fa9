// A TrainingJob for an MLP classifier on a 2-D toy dataset from the core registry: the data
// lives on the device once; each step gathers a shuffled mini-batch by index (inside the step's
// tidy), so pausing and resuming continue the same batch stream with the same optimiser state.
import * as tf from '@tensorflow/tfjs-core';
import {
  accuracy,
  batchIndices,
  makeDataset,
  makeOptimizer,
  MLPClassifier,
  parameterLedger,
  Rng,
  softmaxCrossEntropy,
  train,
  type Dataset,
  type Ledger,
  type OptimizerConfig,
  type TrainResult,
} from '@weft/core';
import type { TrainingJob, TrainingSegment } from '../controllers/training-controller.js';
import { extentOf, type Extent, type LabelledPoints, type ProbabilityField } from '../plane.js';
import { probabilityField } from './probability-field.js';
import { setLearningRate } from './learning-rate.js';

/** Config of {@link ClassifierJob} (the train page's URL state supplies it). */
export interface ClassifierJobConfig {
  /** Registry name of a 2-D classification dataset. */
  dataset: string;
  /** Seed of the data, the initial weights and the batch order. */
  seed: number;
  /** Hidden layer widths. */
  hidden: number[];
  /** Optimiser name. */
  optimizer: OptimizerConfig['name'];
  /** Learning rate. */
  lr: number;
  /** Total training steps. */
  steps: number;
  /** Examples per step (capped at the dataset size). */
  batch: number;
  /** Steps between progress reports. Default: about 200 reports per run, at least every 5 steps. */
  reportEvery?: number;
}

/** Make a registered dataset and check that it is 2-D classification (what the page can draw). */
export function make2dDataset(name: string, seed: number): Dataset {
  const ds = makeDataset(name, undefined, seed);
  if (ds.task !== 'classification' || ds.xShape.length !== 2 || ds.xShape[1] !== 2 || !ds.numClasses) {
    throw new Error(`dataset "${name}" is not a 2-D classification dataset (task ${ds.task}, x shape [${ds.xShape.join(', ')}])`);
  }
  return ds;
}

/** An MLP learning a 2-D dataset; owns its model, optimiser and data tensors until `dispose`. */
export class ClassifierJob implements TrainingJob {
  /** Total steps of the run. */
  readonly totalSteps: number;
  /** The dataset (plain arrays). */
  readonly dataset: Dataset;
  /** The model being trained. */
  readonly model: MLPClassifier;
  /** The points, for drawing. */
  readonly points: LabelledPoints;
  /** The plotted plane around the data. */
  readonly extent: Extent;
  private readonly x: tf.Tensor2D;
  private readonly y: tf.Tensor1D;
  private readonly optimizer: tf.Optimizer;
  private readonly order: Generator<Int32Array>;
  private readonly reportEvery: number;
  private disposed = false;

  constructor(readonly config: ClassifierJobConfig) {
    this.totalSteps = config.steps;
    this.dataset = make2dDataset(config.dataset, config.seed);
    const n = this.dataset.xShape[0]!;
    const numClasses = this.dataset.numClasses!;
    this.points = { x: this.dataset.x as Float32Array, y: this.dataset.y as Int32Array, numClasses };
    this.extent = extentOf(this.points.x);
    this.model = new MLPClassifier({ inFeatures: 2, numClasses, hidden: config.hidden }, new Rng(config.seed).fork('init'));
    this.x = tf.tensor2d(this.points.x, [n, 2]);
    this.y = tf.tensor1d(this.points.y, 'int32');
    this.optimizer = makeOptimizer({ name: config.optimizer, learningRate: config.lr });
    this.order = batchIndices(n, Math.min(config.batch, n), { rng: new Rng(config.seed).fork('batches'), epochs: Infinity });
    this.reportEvery = config.reportEvery ?? Math.max(5, Math.round(config.steps / 200));
  }

  /** The model's parameter ledger. */
  ledger(): Ledger {
    return parameterLedger(this.model);
  }

  /** Use learning rate `lr` from the next step on (live, mid-run included). */
  setLearningRate(lr: number): void {
    setLearningRate(this.optimizer, lr);
  }

  /** Run steps `[fromStep, fromStep + steps)` (see TrainingController). */
  run(segment: TrainingSegment): Promise<TrainResult> {
    if (this.disposed) throw new Error('ClassifierJob: run() after dispose()');
    return train({
      steps: segment.steps,
      model: this.model,
      optimizer: this.optimizer,
      batch: () => {
        const idx = tf.tensor1d(this.order.next().value!, 'int32'); // (B,)
        return { x: tf.gather(this.x, idx), y: tf.gather(this.y, idx) }; // (B, 2), (B,)
      },
      loss: (logits, b) => softmaxCrossEntropy(logits, b.y),
      metrics: { accuracy: (logits, b) => accuracy(logits, b.y) },
      reportEvery: this.reportEvery,
      onProgress: segment.onProgress,
      signal: segment.signal,
      seed: segment.fromStep,
    });
  }

  /** Class probabilities on a `resolution²` grid over {@link extent} (one forward pass, one readback). */
  predictField(resolution = 72): Promise<ProbabilityField> {
    return probabilityField(this.model, this.extent, resolution);
  }

  /** Free the model, optimiser and data tensors. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.model.dispose();
    this.optimizer.dispose();
    tf.dispose([this.x, this.y]);
  }
}

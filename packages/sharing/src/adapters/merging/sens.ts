// Sens-Merging: Sensitivity-Guided Parameter Balancing for Merging Large Language Models
// (arXiv:2502.12420): layer-wise merge coefficients wᵢˡ = λ · αᵢˡ · βᵢ for any merge method
// (combineAdapters' layerWeights). Task-specific scaling αᵢˡ: the first-order sensitivity of task i's
// loss to its own update in layer l, Σ |τᵢˡ ⊙ ∇_W Lᵢ| at the fine-tuned weights, turned into a softmax
// over layers (temperature) scaled to mean 1. Cross-task scaling βᵢ: how well model i's logits match
// model j's on task j's data (mean over j of −‖zᵢ − zⱼ‖²), softmax over tasks scaled to mean 1.
// Departures: calibration batches are the caller's; the gradient is taken on the base layer weights
// with adapter i active (the same as at W + ΔWᵢ).
import * as tf from '@tensorflow/tfjs-core';
import { ForwardContext, type Module } from '@weft/core';
import { checkPositive } from '@weft/core/internal';
import { adaptedLayers, setActiveAdapters } from '../inject.js';

/** One task's calibration batch. */
export interface SensBatch {
  x: tf.Tensor;
  y: tf.Tensor;
}

/** Options of {@link sensMergingWeights}. */
export interface SensOptions {
  /** Overall scale λ. Default: 1. */
  lambda?: number;
  /** Softmax temperature of the layer sensitivities (relative to their mean). Default: 1. */
  layerTemperature?: number;
  /** Softmax temperature of the cross-task alignments (relative to their spread). Default: 1. */
  taskTemperature?: number;
}

/** What {@link sensMergingWeights} found. */
export interface SensWeights {
  /** layer path → one weight per source (for combineAdapters' layerWeights). */
  layerWeights: Record<string, number[]>;
  /** αᵢˡ by task then layer, and βᵢ. */
  taskScaling: number[][];
  crossTask: number[];
}

const softmaxMean1 = (x: number[], t: number) => {
  const m = Math.max(...x);
  const e = x.map((v) => Math.exp((v - m) / t));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => (v / s) * x.length);
};

/**
 * Sens-Merging's coefficients for merging adapters `sources` of `model`, from one calibration batch
 * per task (`batches[i]` for source i) and the task loss. Leaves no adapter active.
 */
export async function sensMergingWeights(
  model: Module<any, any>, sources: string[], batches: SensBatch[], loss: (logits: tf.Tensor, y: tf.Tensor) => tf.Scalar, options: SensOptions = {},
): Promise<SensWeights> {
  const fn = 'sensMergingWeights';
  if (batches.length !== sources.length) throw new Error(`${fn}: ${batches.length} calibration batches for ${sources.length} sources (one per source)`);
  const lambda = checkPositive(fn, 'lambda', options.lambda ?? 1);
  const tl = checkPositive(fn, 'layerTemperature', options.layerTemperature ?? 1);
  const tt = checkPositive(fn, 'taskTemperature', options.taskTemperature ?? 1);
  const layers = adaptedLayers(model).filter(([, l]) => sources.every((s) => l.has(s)));
  if (layers.length === 0) throw new Error(`${fn}: no layer has all of ${sources.join(', ')}`);
  const ctx = () => new ForwardContext();
  // Task-specific: Σ|τ ⊙ ∇W L| per layer, at each fine-tuned model on its own task.
  const taskScaling: number[][] = [];
  for (const [i, s] of sources.entries()) {
    setActiveAdapters(model, [s]);
    const weights = layers.map(([, l]) => l.base.weight);
    // The frozen base weights take a gradient for this one measurement.
    const was = weights.map((w) => w.trainable);
    weights.forEach((w) => (w.trainable = true));
    let grads: tf.NamedTensorMap;
    try {
      const r = tf.variableGrads(() => loss(model.forward(batches[i]!.x, ctx()), batches[i]!.y), weights);
      r.value.dispose();
      grads = r.grads;
    } finally {
      weights.forEach((w, k) => (w.trainable = was[k]!));
    }
    const sens: number[] = [];
    for (const [k, [, l]] of layers.entries()) {
      const g = grads[weights[k]!.name]!;
      const v = tf.tidy(() => tf.sum(tf.abs(tf.mul(tf.reshape(g, [-1]), tf.reshape(l.adapter(s).deltaWeight(), [-1])))));
      sens.push((await v.data())[0]!);
      v.dispose();
    }
    tf.dispose(grads);
    const mean = sens.reduce((a, b) => a + b, 0) / sens.length || 1;
    taskScaling.push(softmaxMean1(sens.map((v) => v / mean), tl));
  }
  // Cross-task: logit alignment of model i with model j on task j's data.
  const logits: tf.Tensor[][] = sources.map((s) => {
    setActiveAdapters(model, [s]);
    return batches.map((b) => tf.tidy(() => model.forward(b.x, ctx())));
  });
  const align: number[] = [];
  for (let i = 0; i < sources.length; i++) {
    let sum = 0;
    for (let j = 0; j < sources.length; j++) {
      const d = tf.tidy(() => tf.mean(tf.sum(tf.square(tf.sub(logits[i]![j]!, logits[j]![j]!)), -1)));
      sum -= (await d.data())[0]!;
      d.dispose();
    }
    align.push(sum / sources.length);
  }
  tf.dispose(logits.flat());
  setActiveAdapters(model, []);
  const spread = Math.max(...align) - Math.min(...align) || 1;
  const crossTask = softmaxMean1(align.map((v) => v / spread), tt);
  const layerWeights = Object.fromEntries(layers.map(([p], k) => [p, sources.map((_, i) => lambda * taskScaling[i]![k]! * crossTask[i]!)]));
  return { layerWeights, taskScaling, crossTask };
}

// The trainer: one async loop for every Weft model. Each step runs synchronously inside
// `optimizer.minimize` (a tidy), the aux losses the forward context collected are added to the
// task loss, and the only readbacks are `await data()` of the accumulated loss every
// `reportEvery` steps — never per step, never `dataSync`. Between steps it yields to the event
// loop so a page stays responsive. A non-finite loss stops training with a clear error.
import * as tf from '@tensorflow/tfjs-core';
import { ForwardContext } from '../context.js';
import { checkKnownKeys, configKeys } from '../config.js';
import type { Module } from '../module.js';

/** What one training step returns to the trainer (tensors are kept and disposed by the trainer). */
export interface StepOutput {
  /** The total loss of the step (task + weighted aux). */
  loss: tf.Scalar;
  /** Scalar metrics of the step, e.g. accuracy. */
  metrics?: Record<string, tf.Scalar>;
}

/** What a custom step hook gets. */
export interface StepContext {
  /** Step index, from 0. */
  step: number;
  /** The step's forward context (aux losses and, on report steps, stats). */
  ctx: ForwardContext;
}

/** Progress reported every `reportEvery` steps. */
export interface TrainProgress {
  /** Steps done. */
  step: number;
  /** Mean loss over the steps since the last report. */
  loss: number;
  /** Mean of each metric over the steps since the last report. */
  metrics: Record<string, number>;
  /** Statistics the model recorded on the report step (expert load, halting depth, …). */
  stats: Record<string, number | number[]>;
  /** Training speed since the previous report. */
  stepsPerSecond: number;
  /** Wall time since the start, ms. */
  elapsedMs: number;
}

/** Options of {@link train}. */
export interface TrainOptions<B> {
  /** Total steps. */
  steps: number;
  /** The batch of step `i`; called inside the step's tidy, so its tensors are freed after the step. */
  batch: (step: number) => B;
  /** The model (its trainable parameters are the variables trained, unless `variables` is given). */
  model?: Module<any, any>;
  /** Task loss from the model output and the batch (required unless `step` is given). */
  loss?: (output: tf.Tensor, batch: B) => tf.Scalar;
  /** Model input from the batch. Default: `batch.x`. */
  input?: (batch: B) => tf.Tensor;
  /** Extra scalar metrics from output and batch, averaged between reports. */
  metrics?: Record<string, (output: tf.Tensor, batch: B) => tf.Scalar>;
  /** The optimiser (required unless `step` is given). */
  optimizer?: tf.Optimizer;
  /** Variables to train. Default: `model.trainableParameters()` (frozen ones get no optimiser state). */
  variables?: tf.Variable[];
  /**
   * A custom step replacing forward–loss–minimize (bilevel search: two optimisers, two variable
   * lists). Runs inside a tidy; must be synchronous; returns the tensors to report.
   */
  step?: (batch: B, s: StepContext) => StepOutput;
  /** Steps between progress reports (and loss readbacks). Default: 10. */
  reportEvery?: number;
  /** Called with progress every `reportEvery` steps and at the end. */
  onProgress?: (p: TrainProgress) => void | Promise<void>;
  /** Stop early (the promise resolves with `stoppedBy: 'abort'`). */
  signal?: AbortSignal;
  /** Seed of each step's forward context is `seed + step` (dropout, router noise). Default: 0. */
  seed?: number;
  /** Yield to the event loop when a run of steps has taken this long, ms. Default: 12. */
  yieldAfterMs?: number;
}

/** Every key of {@link TrainOptions}, for the unknown-key check. */
const TRAIN_OPTION_KEYS = configKeys<TrainOptions<unknown>>({
  steps: true, batch: true, model: true, loss: true, input: true, metrics: true, optimizer: true, variables: true,
  step: true, reportEvery: true, onProgress: true, signal: true, seed: true, yieldAfterMs: true,
});

/** What {@link train} returns. */
export interface TrainResult {
  /** Steps done. */
  steps: number;
  /** Why it stopped. */
  stoppedBy: 'done' | 'abort';
  /** Every progress report. */
  history: TrainProgress[];
  /** The last reported loss. */
  finalLoss: number;
  /** Mean training speed. */
  stepsPerSecond: number;
}

/** Raised when the loss becomes NaN or ±Inf: training stops instead of going on with garbage. */
export class NonFiniteLossError extends Error {
  constructor(
    /** The last step whose loss was finite when reported (0 if none was). */
    readonly fromStep: number,
    /** The step at which the non-finite loss was read. */
    readonly step: number,
    /** The mean loss read. */
    readonly value: number,
    /** The last finite mean loss reported, or NaN if none. */
    readonly lastFinite: number,
  ) {
    super(
      `train: the loss became ${value} between steps ${fromStep} and ${step} (last finite loss ${lastFinite}); ` +
        'training stopped. Lower the learning rate, check the inputs for NaN, or clip gradients.',
    );
    this.name = 'NonFiniteLossError';
  }
}

const macrotask = (): Promise<void> =>
  typeof MessageChannel !== 'undefined'
    ? new Promise((resolve) => {
        const ch = new MessageChannel();
        ch.port1.onmessage = () => {
          ch.port1.close();
          resolve();
        };
        ch.port2.postMessage(0);
      })
    : new Promise((resolve) => setTimeout(resolve, 0));

/** Train. See {@link TrainOptions}. */
export async function train<B = { x: tf.Tensor; y: tf.Tensor }>(options: TrainOptions<B>): Promise<TrainResult> {
  checkKnownKeys('train', options, TRAIN_OPTION_KEYS);
  const { steps, batch: makeBatch, model } = options;
  if (!Number.isInteger(steps) || steps < 0) throw new Error(`train: steps=${steps} must be an integer ≥ 0`);
  const reportEvery = options.reportEvery ?? 10;
  if (!Number.isInteger(reportEvery) || reportEvery < 1) throw new Error(`train: reportEvery=${reportEvery} must be an integer ≥ 1`);
  if (!options.step) {
    if (!model) throw new Error('train: give `model` (with `loss` and `optimizer`) or a custom `step`');
    if (!options.loss) throw new Error('train: `loss` is required without a custom `step`');
    if (!options.optimizer) throw new Error('train: `optimizer` is required without a custom `step`');
  }
  const variables = options.variables ?? model?.trainableParameters() ?? [];
  if (!options.step && variables.length === 0) throw new Error('train: there are no trainable variables (is every parameter frozen?)');
  const input = options.input ?? ((b: B) => (b as { x: tf.Tensor }).x);
  const yieldAfterMs = options.yieldAfterMs ?? 12;
  const seed = options.seed ?? 0;

  const defaultStep = (b: B, { ctx }: StepContext): StepOutput => {
    const metrics: Record<string, tf.Scalar> = {};
    const loss = options.optimizer!.minimize(
      () => {
        const out = model!.forward(input(b), ctx) as tf.Tensor;
        for (const [name, f] of Object.entries(options.metrics ?? {})) metrics[name] = tf.keep(f(out, b));
        const task = options.loss!(out, b);
        return ctx.auxLosses.length ? tf.add(task, ctx.totalAuxLoss()) : task;
      },
      true,
      variables,
    );
    if (!loss) throw new Error('train: optimizer.minimize returned no loss');
    return { loss, metrics };
  };
  const stepFn = options.step ?? defaultStep;

  const history: TrainProgress[] = [];
  const start = performance.now();
  let lastReport = start;
  let lastReportStep = 0;
  let lastFinite = Number.NaN;
  let lossSum: tf.Scalar | null = null;
  const metricSums: Record<string, tf.Scalar> = {};
  let sliceStart = performance.now();
  let done = 0;
  let stoppedBy: TrainResult['stoppedBy'] = 'done';
  model?.train(true);

  const accumulate = (out: StepOutput) => {
    // Running sums stay on the device; they are read only at report steps.
    const add = (prev: tf.Scalar | null | undefined, v: tf.Scalar) => {
      const next = prev ? (tf.add(prev, v) as tf.Scalar) : tf.clone(v);
      prev?.dispose();
      return tf.keep(next);
    };
    lossSum = add(lossSum, out.loss);
    for (const [k, v] of Object.entries(out.metrics ?? {})) metricSums[k] = add(metricSums[k], v);
  };

  const report = async (ctx: ForwardContext | null) => {
    const n = done - lastReportStep;
    if (n === 0 || !lossSum) return;
    const loss = (await lossSum.data())[0]! / n;
    const metrics: Record<string, number> = {};
    for (const [k, v] of Object.entries(metricSums)) metrics[k] = (await v.data())[0]! / n;
    const stats = ctx ? await ctx.readStats() : {};
    ctx?.disposeStats();
    lossSum.dispose();
    lossSum = null;
    for (const k of Object.keys(metricSums)) {
      metricSums[k]!.dispose();
      delete metricSums[k];
    }
    if (!Number.isFinite(loss)) throw new NonFiniteLossError(lastReportStep, done, loss, lastFinite);
    lastFinite = loss;
    const now = performance.now();
    const p: TrainProgress = {
      step: done,
      loss,
      metrics,
      stats,
      stepsPerSecond: (n * 1000) / Math.max(1e-6, now - lastReport),
      elapsedMs: now - start,
    };
    lastReport = now;
    lastReportStep = done;
    history.push(p);
    await options.onProgress?.(p);
  };

  try {
    for (let i = 0; i < steps; i++) {
      if (options.signal?.aborted) {
        stoppedBy = 'abort';
        break;
      }
      const reportStep = (i + 1) % reportEvery === 0 || i === steps - 1;
      const ctx = new ForwardContext({ training: true, seed: seed + i, collectStats: reportStep });
      // Everything the step makes is freed here but the loss and metrics it returns.
      let out!: StepOutput;
      tf.tidy(() => {
        out = stepFn(makeBatch(i), { step: i, ctx });
        tf.keep(out.loss);
        for (const v of Object.values(out.metrics ?? {})) tf.keep(v);
      });
      accumulate(out);
      out.loss.dispose();
      for (const v of Object.values(out.metrics ?? {})) v.dispose();
      done = i + 1;
      if (reportStep) await report(ctx);
      else ctx.disposeStats();
      if (performance.now() - sliceStart > yieldAfterMs) {
        await macrotask();
        sliceStart = performance.now();
      }
    }
    if (stoppedBy === 'abort') await report(null);
  } finally {
    (lossSum as tf.Scalar | null)?.dispose();
    for (const v of Object.values(metricSums)) v.dispose();
  }
  const elapsed = performance.now() - start;
  return {
    steps: done,
    stoppedBy,
    history,
    finalLoss: history.at(-1)?.loss ?? Number.NaN,
    stepsPerSecond: (done * 1000) / Math.max(1e-6, elapsed),
  };
}

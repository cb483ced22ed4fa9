// The trainer: one async loop for every Weft model. Each step runs synchronously inside a tidy:
// gradients of the task loss plus the aux losses the forward context collected, then the
// optimizer's update. A step whose loss or gradients are not finite is skipped on the device,
// optimizer state included (non-finite-guard.ts); too many in a row stop training with the last
// good weights. The only readback is one `await data()` of the running sums every `reportEvery`
// steps — never per step, never `dataSync`. Between steps it yields to the event loop so a page
// stays responsive.
import * as tf from '@tensorflow/tfjs-core';
import { ForwardContext } from '../context.js';
import { checkKnownKeys, configKeys } from '../config.js';
import { NonFiniteGuard, allFinite, discardAbandonedTape } from './non-finite-guard.js';
import type { Module } from '../module.js';

/** What one training step returns to the trainer (tensors are kept and disposed by the trainer). */
export interface StepOutput {
  /** The total loss of the step (task + weighted aux). */
  loss: tf.Scalar;
  /** Scalar metrics of the step, e.g. accuracy. */
  metrics?: Record<string, tf.Scalar>;
  /**
   * A custom step's own verdict, a bool scalar: false when the step must be undone (its
   * gradients were not finite). Default: the loss and every variable the step assigned are finite.
   */
  finite?: tf.Scalar;
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
  /** Steps since the previous report skipped because their loss or gradients were not finite. */
  skippedSteps: number;
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
  /**
   * Skip, on the device, a step whose loss or gradients hold a NaN or ±Inf: the weights and the
   * optimizer state keep their values from before the step. `false` applies every step and only
   * checks the loss at report steps. Default: true.
   */
  skipNonFinite?: boolean;
  /**
   * Consecutive skipped steps after which training stops with a {@link NonFiniteLossError} (the
   * weights are those of the last finite step). Checked at report steps. Default: 5.
   */
  maxConsecutiveSkips?: number;
}

/** Every key of {@link TrainOptions}, for the unknown-key check. */
const TRAIN_OPTION_KEYS = configKeys<TrainOptions<unknown>>({
  steps: true, batch: true, model: true, loss: true, input: true, metrics: true, optimizer: true, variables: true,
  step: true, reportEvery: true, onProgress: true, signal: true, seed: true, yieldAfterMs: true,
  skipNonFinite: true, maxConsecutiveSkips: true,
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
  /** Steps skipped because their loss or gradients were not finite. */
  skippedSteps: number;
  /** Mean training speed. */
  stepsPerSecond: number;
}

/**
 * Raised when training cannot go on: `maxConsecutiveSkips` steps in a row had a non-finite loss or
 * gradient (the weights are those of the last finite step), or, with `skipNonFinite: false`, the
 * reported loss became NaN or ±Inf.
 */
export class NonFiniteLossError extends Error {
  constructor(
    /** The previous report's step (0 if none). */
    readonly fromStep: number,
    /** The step at which it was found. */
    readonly step: number,
    /** The mean loss read (NaN when every step since the last report was skipped). */
    readonly value: number,
    /** The last finite mean loss reported, or NaN if none. */
    readonly lastFinite: number,
    /** The longest run of consecutive skipped steps (0 with `skipNonFinite: false`). */
    readonly consecutiveSkips = 0,
  ) {
    super(
      (consecutiveSkips > 0
        ? `train: ${consecutiveSkips} consecutive steps had a non-finite loss or gradient between steps ${fromStep} and ${step}; ` +
          `each was skipped and training stopped with the weights of the last finite step (last finite loss ${lastFinite}). `
        : `train: the loss became ${value} between steps ${fromStep} and ${step} (last finite loss ${lastFinite}); training stopped. `) +
        'Lower the learning rate, check the inputs for NaN or Inf, or clip gradients.',
    );
    this.name = 'NonFiniteLossError';
  }
}

/** Steps whose results are kept on the device as they are before being folded into the running sums. */
const FOLD_EVERY = 32;

/**
 * Macrotask yields through one MessageChannel for a whole training run (a fresh channel per yield
 * cost 10–70 µs in Node, a reused one 1–2 µs), or setTimeout where there is none. `close()` at the end.
 */
function macrotasks(): { next(): Promise<void>; close(): void } {
  if (typeof MessageChannel === 'undefined') return { next: () => new Promise((resolve) => setTimeout(resolve, 0)), close: () => {} };
  const ch = new MessageChannel();
  const waiting: Array<() => void> = [];
  ch.port1.onmessage = () => waiting.shift()?.();
  return {
    next: () =>
      new Promise((resolve) => {
        waiting.push(resolve);
        ch.port2.postMessage(0);
      }),
    close: () => ch.port1.close(),
  };
}

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

  const guardSteps = options.skipNonFinite ?? true;
  const maxSkips = options.maxConsecutiveSkips ?? 5;
  if (!Number.isInteger(maxSkips) || maxSkips < 1) throw new Error(`train: maxConsecutiveSkips=${maxSkips} must be an integer ≥ 1`);
  const guard = new NonFiniteGuard();

  /** Forward, loss and gradients of the default step (nothing applied yet). */
  const gradientsOf = (b: B, ctx: ForwardContext): { out: StepOutput; grads: tf.NamedTensorMap } => {
    const metrics: Record<string, tf.Scalar> = {};
    try {
      const { value, grads } = tf.variableGrads(() => {
        const out = model!.forward(input(b), ctx) as tf.Tensor;
        for (const [name, f] of Object.entries(options.metrics ?? {})) metrics[name] = tf.keep(f(out, b));
        const task = options.loss!(out, b);
        return ctx.withAuxLosses(task);
      }, variables);
      const finite = guardSteps ? allFinite([value, ...Object.values(grads)]) : undefined;
      return { out: { loss: value, metrics, ...(finite ? { finite } : {}) }, grads };
    } catch (e) {
      discardAbandonedTape();
      tf.dispose(Object.values(metrics));
      throw e;
    }
  };
  const defaultStep = (b: B, { ctx }: StepContext): StepOutput => {
    const { out, grads } = gradientsOf(b, ctx);
    options.optimizer!.applyGradients(grads);
    return out;
  };
  /** A custom step run by the guard: undone where its loss or an assigned variable is not finite. */
  const guardedCustomStep = (b: B, sctx: StepContext): StepOutput & { finite: tf.Scalar } =>
    guard.run(() => {
      const out = options.step!(b, sctx);
      return { ...out, finite: out.finite ?? allFinite([out.loss, ...guard.watchedVariables()]) };
    });
  const stepFn = (b: B, sctx: StepContext): StepOutput => {
    if (!guardSteps) return (options.step ?? defaultStep)(b, sctx);
    if (options.step) return guardedCustomStep(b, sctx);
    return guard.run(() => defaultStep(b, sctx) as StepOutput & { finite: tf.Scalar });
  };

  const history: TrainProgress[] = [];
  const start = performance.now();
  let lastReport = start;
  let lastReportStep = 0;
  let lastFinite = Number.NaN;
  let skippedTotal = 0;
  // Each step's loss, metrics and verdict stay on the device, kept as they are (no kernel per step);
  // every FOLD_EVERY steps they are folded into running sums (loss and metrics of finite steps) and
  // a vector of verdicts, read only at report steps; the skip counts come from the verdicts there.
  const pending: StepOutput[] = [];
  const sums: Record<string, tf.Tensor> = {};
  let run = 0; // consecutive skipped steps so far, across reports
  let sliceStart = performance.now();
  let done = 0;
  let stoppedBy: TrainResult['stoppedBy'] = 'done';
  let primed = !!options.step || !guardSteps;
  model?.train(true);

  const keepSum = (key: string, value: tf.Tensor) => {
    sums[key]?.dispose();
    sums[key] = tf.keep(value);
  };
  const fold = () => {
    if (pending.length === 0) return;
    tf.tidy(() => {
      const ok = tf.stack(pending.map((o) => o.finite ?? tf.scalar(true, 'bool'))); // (n,) bool
      const zero = tf.zeros([pending.length]);
      const add = (key: string, vs: tf.Scalar[]) => keepSum(key, tf.add(sums[key] ?? tf.scalar(0), tf.sum(tf.where(ok, tf.stack(vs), zero))));
      add('loss', pending.map((o) => o.loss));
      const metricKeys = new Set(pending.flatMap((o) => Object.keys(o.metrics ?? {})));
      for (const k of metricKeys) add(`metric:${k}`, pending.map((o) => (o.metrics && Object.hasOwn(o.metrics, k) ? o.metrics[k]! : tf.scalar(0))));
      keepSum('ok', sums.ok ? tf.concat([sums.ok, ok]) : ok);
    });
    for (const o of pending.splice(0)) tf.dispose([o.loss, ...(o.finite ? [o.finite] : []), ...Object.values(o.metrics ?? {})]);
  };

  const report = async (ctx: ForwardContext | null) => {
    fold();
    const n = done - lastReportStep;
    if (n === 0 || !sums.loss) return;
    const metricKeys = Object.keys(sums).filter((k) => k.startsWith('metric:'));
    const packed = tf.tidy(() => tf.concat([tf.stack([sums.loss!, ...metricKeys.map((k) => sums[k]!)]), tf.cast(sums.ok!, 'float32')]));
    const values = await packed.data(); // the one readback of a report: sums, then each step's verdict
    packed.dispose();
    let [skipped, longest] = [0, 0];
    for (let i = 1 + metricKeys.length; i < values.length; i++) {
      run = values[i] ? 0 : run + 1;
      skipped += values[i] ? 0 : 1;
      longest = Math.max(longest, run);
    }
    const lossSum = values[0]!;
    const counted = n - skipped;
    const loss = counted > 0 ? lossSum / counted : Number.NaN;
    const metrics: Record<string, number> = {};
    // defineProperty: a metric the user named "__proto__" is an own key like any other.
    metricKeys.forEach((k, i) =>
      Object.defineProperty(metrics, k.slice('metric:'.length), { value: counted > 0 ? values[1 + i]! / counted : Number.NaN, enumerable: true, writable: true, configurable: true }),
    );
    const stats = ctx ? await ctx.readStats() : {};
    ctx?.disposeStats();
    for (const k of Object.keys(sums)) {
      sums[k]!.dispose();
      delete sums[k];
    }
    skippedTotal += skipped;
    if (guardSteps && longest >= maxSkips) throw new NonFiniteLossError(lastReportStep, done, loss, lastFinite, longest);
    if (!guardSteps && !Number.isFinite(loss)) throw new NonFiniteLossError(lastReportStep, done, loss, lastFinite);
    if (Number.isFinite(loss)) lastFinite = loss;
    const now = performance.now();
    const p: TrainProgress = {
      step: done,
      loss,
      metrics,
      stats,
      skippedSteps: skipped,
      stepsPerSecond: (n * 1000) / Math.max(1e-6, now - lastReport),
      elapsedMs: now - start,
    };
    lastReport = now;
    lastReportStep = done;
    history.push(p);
    await options.onProgress?.(p);
  };

  /**
   * The first default step reads its verdict back before applying anything, so that an optimizer
   * creates its state (Adam's moments) only from a finite step; the guard then watches that state.
   */
  const firstStep = async (i: number, ctx: ForwardContext): Promise<StepOutput> => {
    let computed!: { out: StepOutput; grads: tf.NamedTensorMap };
    tf.tidy(() => {
      computed = gradientsOf(makeBatch(i), ctx);
      tf.keep(computed.out.loss);
      tf.keep(computed.out.finite!);
      for (const v of Object.values(computed.out.metrics ?? {})) tf.keep(v);
      for (const g of Object.values(computed.grads)) tf.keep(g);
    });
    const finite = (await computed.out.finite!.data())[0] === 1;
    if (finite) {
      tf.tidy(() => guard.run(() => (options.optimizer!.applyGradients(computed.grads), { finite: computed.out.finite! })));
      primed = true;
    }
    tf.dispose(Object.values(computed.grads));
    return computed.out;
  };

  const yields = macrotasks();
  try {
    for (let i = 0; i < steps; i++) {
      if (options.signal?.aborted) {
        stoppedBy = 'abort';
        break;
      }
      const reportStep = (i + 1) % reportEvery === 0 || i === steps - 1;
      const ctx = new ForwardContext({ training: true, seed: seed + i, collectStats: reportStep, root: model });
      // Everything the step makes is freed here but the loss, metrics and verdict it returns.
      let out!: StepOutput;
      if (!primed) out = await firstStep(i, ctx);
      else {
        tf.tidy(() => {
          out = stepFn(makeBatch(i), { step: i, ctx });
          tf.keep(out.loss);
          if (out.finite) tf.keep(out.finite);
          for (const v of Object.values(out.metrics ?? {})) tf.keep(v);
        });
      }
      pending.push(out);
      if (pending.length === FOLD_EVERY) fold();
      done = i + 1;
      if (reportStep) await report(ctx);
      else ctx.disposeStats();
      if (performance.now() - sliceStart > yieldAfterMs) {
        await yields.next();
        sliceStart = performance.now();
      }
    }
    if (stoppedBy === 'abort') await report(null);
  } finally {
    yields.close();
    for (const o of pending) tf.dispose([o.loss, ...(o.finite ? [o.finite] : []), ...Object.values(o.metrics ?? {})]);
    tf.dispose(Object.values(sums));
  }
  const elapsed = performance.now() - start;
  return {
    steps: done,
    stoppedBy,
    history,
    finalLoss: history.at(-1)?.loss ?? Number.NaN,
    skippedSteps: skippedTotal,
    stepsPerSecond: (done * 1000) / Math.max(1e-6, elapsed),
  };
}

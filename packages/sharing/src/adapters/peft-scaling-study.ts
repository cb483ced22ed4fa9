// Astraios: Parameter-Efficient Instruction Tuning Code Large Language Models (arXiv:2401.00788):
// the paper's study at toy scale — for each of several base sizes, pretrain a TinyTransformer on
// one seeded sequence task, tune it on a related one with full fine-tuning and with adapter methods
// from the registry, and tabulate trainable parameters, validation loss, accuracy and optimiser
// bytes per (size, method), with the paper's three checks computed from the table.
// Departures: one tuning task (not 5 tasks / 8 data sets), token accuracy instead of pass@k, and
// one learning rate per family (full / adapters) instead of a per-method sweep.
import * as tf from '@tensorflow/tfjs-core';
import {
  IGNORE_INDEX, Rng, TinyTransformer, accuracy, checkKnownKeys, configKeys, copyTask, makeOptimizer, parameterLedger, resolveConfig,
  reverseTask, softmaxCrossEntropy, sortTask, split, toTensors, train, describeValue,
} from '@weft/core';
import { checkInt, checkNumber, checkOneOf, checkPositiveInt } from '@weft/core/internal';
import { injectAdapter } from './inject.js';
import type { AnyAdapterConfig } from './registry.js';

/** A base-model size of the study (a TinyTransformer's width, depth and heads). */
export interface PeftStudySize {
  /** Model width. */
  dim: number;
  /** Number of blocks. */
  depth: number;
  /** Attention heads (must divide dim). */
  numHeads: number;
}

/** A tuning method of the study: full fine-tuning (`adapter: null`) or an adapter config for `injectAdapter`. */
export interface PeftStudyMethod {
  /** Name in the table, e.g. "lora". */
  name: string;
  /** The adapter injected before tuning; null = full fine-tuning (every parameter trains). */
  adapter: AnyAdapterConfig | null;
}

/** The sequence tasks the study can pretrain and tune on (@weft/core's data). */
export const PEFT_STUDY_TASKS = ['copy', 'reverse', 'sort'] as const;

/** Config of {@link peftScalingStudy}. */
export interface PeftScalingConfig {
  /** Base sizes, smallest first. Default: dim 16 depth 1, dim 32 depth 2, dim 48 depth 3 (2, 4, 4 heads). */
  sizes: PeftStudySize[];
  /** Tuning methods. Default: full, lora (r 4), ia3, loha (r 4), residual (bottleneck 4); targets as PEFT's defaults for each. */
  methods: PeftStudyMethod[];
  /** Pretraining task. Default: 'copy'. */
  pretrainTask: (typeof PEFT_STUDY_TASKS)[number];
  /** Tuning task (related: same tokens and layout, another map). Default: 'reverse'. */
  tuneTask: (typeof PEFT_STUDY_TASKS)[number];
  /** Source length of the sequences. Default: 6. */
  length: number;
  /** Content tokens. Default: 8. */
  vocabSize: number;
  /** Sequences per task (a share `validationShare` is held out). Default: 1200. */
  examples: number;
  /** Held-out share of each task. Default: 0.25. */
  validationShare: number;
  /** Pretraining steps. Default: 300. */
  pretrainSteps: number;
  /** Tuning steps (every method the same). Default: 150. */
  tuneSteps: number;
  /** Batch size. Default: 32. */
  batchSize: number;
  /** Adam learning rate of pretraining. Default: 3e-3. */
  pretrainLearningRate: number;
  /** Adam learning rate of full fine-tuning (at 1e-3 it under-trains in 150 steps: see the test's header). Default: 3e-3. */
  fullLearningRate: number;
  /** Adam learning rate of the adapter methods (PEFT methods tune best at larger rates). Default: 1e-2. */
  adapterLearningRate: number;
  /** Seed of data, initialisation and batches. Default: 0. */
  seed: number;
}

const ALL_LINEARS = ['q', 'k', 'v', 'o', 'fc1', 'fc2'];

/** The documented defaults of {@link PeftScalingConfig}. */
export const PEFT_SCALING_DEFAULTS: PeftScalingConfig = {
  sizes: [{ dim: 16, depth: 1, numHeads: 2 }, { dim: 32, depth: 2, numHeads: 4 }, { dim: 48, depth: 3, numHeads: 4 }],
  methods: [
    { name: 'full', adapter: null },
    { name: 'lora', adapter: { method: 'lora', targets: ALL_LINEARS, r: 4, alpha: 8 } },
    { name: 'ia3', adapter: { method: 'ia3', targets: ['k', 'v', 'fc2'], feedforward: ['fc2'] } },
    { name: 'loha', adapter: { method: 'loha', targets: ALL_LINEARS, r: 4, alpha: 8 } },
    { name: 'residual', adapter: { method: 'residual', targets: ['o', 'fc2'], bottleneck: 4 } },
  ],
  pretrainTask: 'copy', tuneTask: 'reverse', length: 6, vocabSize: 8, examples: 1200, validationShare: 0.25,
  pretrainSteps: 300, tuneSteps: 150, batchSize: 32, pretrainLearningRate: 3e-3, fullLearningRate: 3e-3, adapterLearningRate: 1e-2, seed: 0,
};

/** One row of the study's table: a (size, method) run. */
export interface PeftStudyRun {
  /** Index into `config.sizes`. */
  size: number;
  /** The size's TinyTransformer stored parameters (before any adapter). */
  baseParameters: number;
  /** Method name. */
  method: string;
  /** Trainable parameters while tuning (the ledger's `totals.trainable`). */
  trainable: number;
  /** Validation cross-entropy on the tuning task after tuning (answer tokens only). */
  validationLoss: number;
  /** Validation token accuracy on the tuning task after tuning. */
  accuracy: number;
  /** Validation token accuracy of the pretrained base on the tuning task, before tuning. */
  baseAccuracy: number;
  /** Bytes the optimiser held at the end of tuning (Adam's moments of the trainable variables), measured with tf.memory(). */
  optimizerBytes: number;
}

/** The study's table and the paper's three checks computed from it. */
export interface PeftScalingResult {
  /** Every run, by size then method. */
  runs: PeftStudyRun[];
  /** (a) Per size: whether full fine-tuning has the best accuracy of all methods (ties count as best). Empty if no method is full. */
  fullBestPerSize: boolean[];
  /**
   * (b) Per size: the adapter method with the largest accuracy gain over the untuned base per
   * trainable parameter ((accuracy − baseAccuracy) / trainable); raw accuracy per parameter would
   * crown the method with the fewest parameters whatever it learns. `best` is the most frequent.
   */
  gainPerParameter: { perSize: string[]; best: string };
  /** (c) Kendall τ-b between validation loss and accuracy over all runs (the paper: loss predicts performance, so τ < 0). */
  lossAccuracyTau: number;
}

/** A committed run of the study (peft-scaling-table.ts, made by scripts/astraios-table.mjs): every run of each seed. */
export interface PeftScalingTable {
  /** Seconds the script took (all seeds). */
  seconds: number;
  /** The sizes of the study (PEFT_SCALING_DEFAULTS'). */
  sizes: PeftStudySize[];
  /** The method names, in the study's order. */
  methods: string[];
  /** Per seed, its runs. */
  seeds: Array<{ seed: number; runs: PeftStudyRun[] }>;
}

/** Options of {@link peftScalingStudy}. */
export interface PeftScalingOptions {
  /** Stop between (and inside) runs: the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Called with each run's row as soon as it is done. */
  onRun?: (run: PeftStudyRun) => void;
}

const OPTION_KEYS = configKeys<PeftScalingOptions>({ signal: true, onRun: true });

/** Kendall's τ-b of two equally long samples (ties in either one corrected for); NaN when one is constant. */
export function kendallTauB(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new Error(`kendallTauB: a has ${a.length} values, b has ${b.length}; they must be equally long`);
  let concordant = 0;
  let discordant = 0;
  let tiesA = 0;
  let tiesB = 0;
  for (let i = 0; i < a.length; i++) {
    for (let j = i + 1; j < a.length; j++) {
      const s = Math.sign(a[i]! - a[j]!) * Math.sign(b[i]! - b[j]!);
      if (s > 0) concordant++;
      else if (s < 0) discordant++;
      else {
        if (a[i] === a[j]) tiesA++;
        if (b[i] === b[j]) tiesB++;
      }
    }
  }
  const pairs = (a.length * (a.length - 1)) / 2;
  return (concordant - discordant) / Math.sqrt((pairs - tiesA) * (pairs - tiesB));
}

const TASKS = { copy: copyTask, reverse: reverseTask, sort: sortTask } as const;

function checkConfig(W: string, c: PeftScalingConfig): void {
  if (c.sizes.length === 0) throw new Error(`${W}: sizes must list at least one size, got []`);
  c.sizes.forEach((s, i) => {
    checkKnownKeys(`${W}: sizes[${i}]`, s, ['dim', 'depth', 'numHeads']);
    checkPositiveInt(W, `sizes[${i}].dim`, s.dim);
    checkPositiveInt(W, `sizes[${i}].depth`, s.depth);
    checkPositiveInt(W, `sizes[${i}].numHeads`, s.numHeads);
    if (s.dim % s.numHeads !== 0) throw new Error(`${W}: sizes[${i}].numHeads=${s.numHeads} must divide sizes[${i}].dim=${s.dim}`);
  });
  if (c.methods.length === 0) throw new Error(`${W}: methods must list at least one method, got []`);
  const names = new Set<string>();
  c.methods.forEach((m, i) => {
    checkKnownKeys(`${W}: methods[${i}]`, m, ['name', 'adapter']);
    if (typeof m.name !== 'string' || m.name === '' || names.has(m.name)) throw new Error(`${W}: methods[${i}].name=${describeValue(m.name)} must be a non-empty string, unique among the methods`);
    names.add(m.name);
  });
  checkOneOf(W, 'pretrainTask', c.pretrainTask, PEFT_STUDY_TASKS);
  checkOneOf(W, 'tuneTask', c.tuneTask, PEFT_STUDY_TASKS);
  checkInt(W, 'length', c.length, 1, 256);
  checkInt(W, 'vocabSize', c.vocabSize, 2, 4096);
  checkInt(W, 'examples', c.examples, 4);
  checkNumber(W, 'validationShare', c.validationShare, 0.01, 0.99);
  checkPositiveInt(W, 'pretrainSteps', c.pretrainSteps);
  checkPositiveInt(W, 'tuneSteps', c.tuneSteps);
  checkPositiveInt(W, 'batchSize', c.batchSize);
  for (const k of ['pretrainLearningRate', 'fullLearningRate', 'adapterLearningRate'] as const) checkNumber(W, k, c[k], Number.MIN_VALUE);
  checkInt(W, 'seed', c.seed, 0);
}

type Split = { x: tf.Tensor; y: tf.Tensor };

/** Adam on random batches of `data`; returns the optimiser's bytes at the end (measured before it is disposed). */
async function fit(model: TinyTransformer, data: Split, steps: number, lr: number, batchSize: number, seed: number, signal?: AbortSignal): Promise<number> {
  const rng = new Rng(seed);
  const n = data.x.shape[0]!;
  const before = tf.memory().numBytes;
  const opt = makeOptimizer({ name: 'adam', learningRate: lr });
  try {
    const r = await train({
      model, optimizer: opt, steps, reportEvery: steps, signal,
      batch: () => {
        const idx = tf.tensor1d(Int32Array.from({ length: batchSize }, () => rng.int(n)), 'int32'); // (B,)
        return { x: tf.gather(data.x, idx), y: tf.gather(data.y, idx) }; // (B, 2L) each
      },
      loss: (out, b) => softmaxCrossEntropy(out, b.y, { ignoreIndex: IGNORE_INDEX }),
    });
    if (r.stoppedBy === 'abort') signal?.throwIfAborted();
    return tf.memory().numBytes - before;
  } finally {
    opt.dispose();
  }
}

async function evaluate(model: TinyTransformer, data: Split): Promise<{ loss: number; accuracy: number }> {
  model.eval();
  const [l, a] = tf.tidy(() => {
    const out = model.call(data.x);
    return [softmaxCrossEntropy(out, data.y, { ignoreIndex: IGNORE_INDEX }), accuracy(out, data.y, IGNORE_INDEX)];
  });
  const [loss, acc] = [(await l.data())[0]!, (await a.data())[0]!];
  tf.dispose([l, a]);
  model.train();
  return { loss, accuracy: acc };
}

/**
 * Run the Astraios study at toy scale (see {@link PeftScalingConfig}): per size, pretrain a
 * TinyTransformer on `pretrainTask`, then tune a copy of it on `tuneTask` with each method
 * (adapters injected with `injectAdapter`, base frozen; full fine-tuning trains everything, the
 * same steps and batches for all), and return the table with the paper's three checks.
 */
export async function peftScalingStudy(config: Partial<PeftScalingConfig> = {}, options: PeftScalingOptions = {}): Promise<PeftScalingResult> {
  const W = 'peftScalingStudy';
  const c = resolveConfig(W, PEFT_SCALING_DEFAULTS, config);
  checkConfig(W, c);
  checkKnownKeys(`${W}: options`, options, OPTION_KEYS);
  const { signal, onRun } = options;
  signal?.throwIfAborted();
  const dataOf = (task: PeftScalingConfig['pretrainTask'], seed: number) => {
    const ds = TASKS[task]({ n: c.examples, length: c.length, vocabSize: c.vocabSize }, seed);
    const [tr, va] = split(ds, [1 - c.validationShare, c.validationShare], seed);
    return { train: toTensors(tr!), val: toTensors(va!), vocab: ds.vocabSize! };
  };
  const pre = dataOf(c.pretrainTask, c.seed);
  const tune = dataOf(c.tuneTask, c.seed + 1);
  const runs: PeftStudyRun[] = [];
  try {
    for (let s = 0; s < c.sizes.length; s++) {
      const size = c.sizes[s]!;
      const modelConfig = { vocabSize: pre.vocab, maxLen: 2 * c.length, ...size };
      const base = new TinyTransformer(modelConfig, new Rng(c.seed * 7919 + s));
      let weights: tf.Tensor[] = [];
      try {
        await fit(base, pre.train, c.pretrainSteps, c.pretrainLearningRate, c.batchSize, c.seed + 100 * s, signal);
        const baseAccuracy = (await evaluate(base, tune.val)).accuracy;
        const baseParameters = parameterLedger(base).totals.stored;
        weights = base.parameters().map((v) => tf.clone(v));
        for (const m of c.methods) {
          const model = new TinyTransformer(modelConfig, new Rng(0));
          try {
            model.parameters().forEach((v, i) => v.assign(weights[i]!));
            if (m.adapter) injectAdapter(model, m.name, m.adapter, { rng: new Rng(c.seed + 31 * s + 1) });
            const trainable = parameterLedger(model).totals.trainable;
            const lr = m.adapter ? c.adapterLearningRate : c.fullLearningRate;
            const optimizerBytes = await fit(model, tune.train, c.tuneSteps, lr, c.batchSize, c.seed + 100 * s + 1, signal);
            const e = await evaluate(model, tune.val);
            const run: PeftStudyRun = { size: s, baseParameters, method: m.name, trainable, validationLoss: e.loss, accuracy: e.accuracy, baseAccuracy, optimizerBytes };
            runs.push(run);
            onRun?.(run);
          } finally {
            model.dispose();
          }
        }
      } finally {
        tf.dispose(weights);
        base.dispose();
      }
    }
  } finally {
    tf.dispose([pre.train, pre.val, tune.train, tune.val] as unknown as tf.TensorContainer);
  }
  return { runs, ...astraiosChecks(runs, c.sizes.length, c.methods) };
}

/** The paper's three checks from a study's table (see {@link PeftScalingResult}). */
export function astraiosChecks(runs: readonly PeftStudyRun[], sizes: number, methods: readonly PeftStudyMethod[]): Omit<PeftScalingResult, 'runs'> {
  const full = methods.filter((m) => m.adapter === null).map((m) => m.name);
  const fullBestPerSize: boolean[] = [];
  const perSize: string[] = [];
  for (let s = 0; s < sizes; s++) {
    const rows = runs.filter((r) => r.size === s);
    const best = Math.max(...rows.map((r) => r.accuracy));
    if (full.length > 0) fullBestPerSize.push(rows.some((r) => full.includes(r.method) && r.accuracy >= best));
    const adapters = rows.filter((r) => !full.includes(r.method));
    const gain = (r: PeftStudyRun) => (r.accuracy - r.baseAccuracy) / r.trainable;
    if (adapters.length > 0) perSize.push(adapters.reduce((a, b) => (gain(b) > gain(a) ? b : a)).method);
  }
  const counts = new Map<string, number>();
  for (const m of perSize) counts.set(m, (counts.get(m) ?? 0) + 1);
  const best = [...counts].reduce<[string, number]>((a, b) => (b[1] > a[1] ? b : a), ['', 0])[0];
  return {
    fullBestPerSize,
    gainPerParameter: { perSize, best },
    lossAccuracyTau: kendallTauB(runs.map((r) => r.validationLoss), runs.map((r) => r.accuracy)),
  };
}

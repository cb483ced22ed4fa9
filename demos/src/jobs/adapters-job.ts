// The adapters page's lab: a base MLP pretrained on a 2-D task (or loaded from a safetensors file),
// then adapters of several methods fine-tuned on the same task rotated by an angle, each a named
// adapter on the one frozen base; full fine-tuning on a copy as the reference; task-arithmetic
// merging with weights; PEFT export. No UI here: the page runs `pretrain` and `finetune` as jobs
// of its TrainingController (each resolves with the trainer's result, so Stop is reported).
import * as tf from '@tensorflow/tfjs-core';
import {
  MLPClassifier, Rng, accuracy, loadModule, makeDataset, makeOptimizer, parameterLedger, rotation, saveModule, softmaxCrossEntropy, split,
  toTensors, train, type Dataset, type DatasetTensors, type TrainProgress, type TrainResult,
} from '@weft/core';
import {
  adapterMethod, adapterNames, combineAdapters, deleteAdapter, injectAdapter, savePeftAdapter, setActiveAdapters, type AdapterConfigBase, type PeftAdapterOutput,
} from '@weft/sharing';
import type { AdapterMethodChoice } from '../pages/adapters-state.js';
import { extentOf, type Extent, type ProbabilityField } from '../plane.js';
import { probabilityField } from './probability-field.js';
import { selectiveRows, type SelectiveRow } from './selective-lora.js';
import { s2aRows, type S2ARow } from './s2a.js';
import { controllableRows, type ControllableRow } from './controllable.js';
import { crashOutcome, type CrashOutcome } from './crash.js';

/** Hidden widths of the page's MLP. */
export const HIDDEN = [64, 64];

/** One fine-tuned method's result. */
export interface MethodResult {
  method: AdapterMethodChoice;
  /** Trainable parameters while fine-tuning. */
  trainable: number;
  /** Parameters of the base model. */
  baseParams: number;
  /** Accuracy on the held-out new task. */
  accuracy: number;
}

/** Config of the lab. */
export interface AdaptersLabConfig {
  dataset: string;
  angle: number;
  seed: number;
  r: number;
}

function configOf(method: AdapterMethodChoice, r: number): AdapterConfigBase & Record<string, unknown> {
  const targets = 'layers\\.[0-9]+';
  const rankPattern = { 'layers\\.(0|2)': Math.min(r, 2) }; // the first Linear has 2 inputs, the head 2 outputs
  switch (method) {
    case 'lora': return { method: 'lora', targets, r, alpha: 2 * r, rankPattern };
    case 'dora': return { method: 'lora', targets, r, alpha: 2 * r, dora: true, rankPattern };
    case 'loha': return { method: 'loha', targets, r, alpha: r, rankPattern };
    case 'lokr': return { method: 'lokr', targets, r, alpha: r };
    case 'ia3': return { method: 'ia3', targets, feedforward: ['1', '2'] };
    case 'road': return { method: 'road', targets, groupSize: 2 }; // the head has 2 outputs: one pair
    case 'taps': return { method: 'taps', targets }; // TAPS as the paper: a dense δW per layer behind its gate
    case 'mos': return { method: 'mos', targets, r: Math.min(r, 2), shardSize: 2 }; // shards and rank fit the 2-wide layers
    case 'hyper': return { method: 'hyper', targets: 'layers\\.1', r }; // one generator makes one shape: the 64×64 layer
    case 'shears': return { method: 'shears', targets: 'layers\\.1', ranks: [2 * r, r], alpha: 4 * r }; // the elastic ranks need a wide layer
    default: {
      // A registered method without a tuned line here: its registry defaults, with the page's rank
      // (capped on the 2-wide layers) where the method has those options.
      const d = adapterMethod(method).defaults;
      return { method, targets, ...('r' in d ? { r } : {}), ...('rankPattern' in d ? { rankPattern } : {}) };
    }
  }
}

/** The lab: data on the device once, one base model with named adapters. */
export class AdaptersLab {
  readonly base: MLPClassifier;
  private full: MLPClassifier | null = null;
  private readonly data: { pre: DatasetTensors; preTest: DatasetTensors; task: DatasetTensors; taskTest: DatasetTensors };
  /** Points of the new task (for plots). */
  readonly taskPoints: Dataset;
  /** Results by method, in training order. */
  readonly results = new Map<AdapterMethodChoice, MethodResult>();
  /** The plane around the new task's points, for the decision boundaries. */
  readonly extent: Extent;
  /** Class probabilities over {@link extent}: of the base once pretrained or loaded, and of each method once fine-tuned. */
  readonly fields = new Map<AdapterMethodChoice | 'base', ProbabilityField>();
  /** Whether the base has been pretrained (to the end) or loaded. */
  baseReady = false;
  private disposed = false;

  constructor(readonly config: AdaptersLabConfig) {
    const ds = makeDataset(config.dataset, { n: 1000 }, config.seed);
    const rotated = rotation((config.angle * Math.PI) / 180)(ds, 1);
    const [pre, preTest] = split(ds, [0.8, 0.2], config.seed) as [Dataset, Dataset];
    const [task, taskTest] = split(rotated, [0.5, 0.5], config.seed + 1) as [Dataset, Dataset];
    this.taskPoints = taskTest;
    this.extent = extentOf(rotated.x as Float32Array);
    this.data = { pre: toTensors(pre), preTest: toTensors(preTest), task: toTensors(task), taskTest: toTensors(taskTest) };
    this.base = new MLPClassifier({ inFeatures: 2, hidden: HIDDEN, numClasses: ds.numClasses ?? 2 }, new Rng(config.seed));
  }

  /** Parameters of the base model. */
  get baseParams(): number {
    return parameterLedger(this.base).totals.stored - this.adapterParams();
  }

  private adapterParams(): number {
    const names = adapterNames(this.base);
    // Each variable once: a shard pool or hypernetwork shared by several layers appears under each path.
    const vars = new Set(this.base.namedParameters().filter(([p]) => names.some((n) => p.includes(`.${n}.`))).map(([, v]) => v));
    return [...vars].reduce((s, v) => s + v.size, 0);
  }

  private fit(model: MLPClassifier, d: DatasetTensors, steps: number, lr: number, seed: number, onProgress: (p: TrainProgress) => Promise<void> | void, signal?: AbortSignal): Promise<TrainResult> {
    const rng = new Rng(seed);
    const n = d.x.shape[0]!;
    return train({
      model, steps, signal, reportEvery: Math.max(5, Math.floor(steps / 100)),
      optimizer: makeOptimizer({ name: 'adam', learningRate: lr }),
      batch: () => tf.tidy(() => {
        const idx = tf.tensor1d(Int32Array.from({ length: 64 }, () => rng.int(n)), 'int32');
        return { x: tf.gather(d.x, idx), y: tf.gather(d.y, idx) };
      }),
      loss: (logits, b) => softmaxCrossEntropy(logits, b.y),
      metrics: { accuracy: (logits, b) => accuracy(logits, b.y) },
      onProgress,
    });
  }

  /** Accuracy of `model` (default: the base with its active adapters) on the new task's test split, or on the base task's. */
  async accuracy(on: 'task' | 'base' = 'task', model: MLPClassifier = this.base): Promise<number> {
    const d = on === 'task' ? this.data.taskTest : this.data.preTest;
    const a = tf.tidy(() => accuracy(model.call(d.x), d.y));
    const v = (await a.data())[0]!;
    a.dispose();
    return v;
  }

  /** Pretrain the base on the base task (adapters removed first); the base is ready only if every step ran. */
  async pretrain(steps: number, onProgress: (p: TrainProgress) => Promise<void> | void, signal?: AbortSignal): Promise<TrainResult> {
    this.clearAdapters();
    this.baseReady = false;
    this.base.freeze(false);
    const result = await this.fit(this.base, this.data.pre, steps, 0.01, this.config.seed + 7, onProgress, signal);
    this.baseReady = result.stoppedBy === 'done';
    if (this.baseReady) this.fields.set('base', await this.field(this.base));
    return result;
  }

  /** Replace the base weights from a Weft safetensors file (saved by {@link saveBase}). */
  async loadBase(bytes: Uint8Array): Promise<void> {
    this.clearAdapters();
    await loadModule(this.base, bytes);
    this.baseReady = true;
    this.fields.set('base', await this.field(this.base));
  }

  /** The base weights as a Weft safetensors file. */
  saveBase(): Promise<Uint8Array> {
    if (adapterNames(this.base).length > 0) throw new Error('Save the base before fine-tuning (adapters are attached)');
    return saveModule(this.base);
  }

  private clearAdapters(): void {
    for (const n of adapterNames(this.base)) deleteAdapter(this.base, n);
    this.results.clear();
    this.fields.clear();
    this.full?.dispose();
    this.full = null;
  }

  /**
   * Fine-tune `method` on the new task (a named adapter on the frozen base, or full fine-tuning of a
   * copy). When every step ran, its result is in {@link results}.
   */
  async finetune(method: AdapterMethodChoice, steps: number, onProgress: (p: TrainProgress) => Promise<void> | void, signal?: AbortSignal): Promise<TrainResult> {
    if (!this.baseReady) throw new Error('Pretrain or load a base model first');
    const baseParams = this.baseParams;
    if (method === 'full') {
      this.full?.dispose();
      const copy = new MLPClassifier(this.base.config, new Rng(0));
      // Copy the base weights by path (inside an adapted layer they sit under ".base.").
      const byPath = new Map(this.base.namedParameters().map(([p, v]) => [p.replace('.base.', '.'), v]));
      for (const [p, v] of copy.namedParameters()) {
        const src = byPath.get(p);
        if (src) v.assign(src);
      }
      this.full = copy;
      const run = await this.fit(copy, this.data.task, steps, 0.003, this.config.seed + 11, onProgress, signal);
      if (run.stoppedBy === 'done') {
        this.results.set(method, { method, trainable: baseParams, baseParams, accuracy: await this.accuracy('task', copy) });
        this.fields.set(method, await this.field(copy));
      }
      return run;
    }
    if (adapterNames(this.base).includes(method)) deleteAdapter(this.base, method);
    if (adapterNames(this.base).includes('mix')) deleteAdapter(this.base, 'mix');
    injectAdapter(this.base, method, configOf(method, this.config.r), { rng: new Rng(this.config.seed + method.length) });
    const trainable = parameterLedger(this.base).totals.trainable;
    const run = await this.fit(this.base, this.data.task, steps, 0.01, this.config.seed + 13, onProgress, signal);
    if (run.stoppedBy === 'done') {
      this.results.set(method, { method, trainable, baseParams, accuracy: await this.accuracy('task') });
      this.fields.set(method, await this.field(this.base)); // the base with this adapter active
    }
    return run;
  }

  /** Class probabilities of `model` (the base with its active adapters, or the full copy) over {@link extent}. */
  private field(model: MLPClassifier): Promise<ProbabilityField> {
    return probabilityField(model, this.extent, 56);
  }

  /** Accuracy on both tasks of the base plus Σ weightᵢ · ΔWᵢ of the trained adapters (task arithmetic). */
  async mix(weights: Partial<Record<AdapterMethodChoice, number>>): Promise<{ task: number; base: number }> {
    if (adapterNames(this.base).includes('mix')) deleteAdapter(this.base, 'mix');
    const names = Object.keys(weights).filter((n) => adapterNames(this.base).includes(n) && weights[n as AdapterMethodChoice] !== 0);
    if (names.length === 0) setActiveAdapters(this.base, []);
    else await combineAdapters(this.base, names, names.map((n) => weights[n as AdapterMethodChoice]!), 'mix', { method: 'task-arithmetic' });
    return { task: await this.accuracy('task'), base: await this.accuracy('base') };
  }

  /** Selective LoRA against plain LoRA, each tuned `steps` steps on the new task (B): A and B accuracy, the gates left on (selective-lora.ts). */
  async selective(steps: number): Promise<SelectiveRow[]> {
    if (!this.baseReady) throw new Error('Pretrain or load a base model first');
    return selectiveRows(this.base, this.data.task, this.data.preTest, this.data.taskTest, steps, this.config.seed);
  }

  /** LoRA against S2A's side module, each tuned `steps` steps on the new task: trained parameters, bytes held for the backward pass, accuracy (s2a.ts). */
  async s2a(steps: number): Promise<S2ARow[]> {
    if (!this.baseReady) throw new Error('Pretrain or load a base model first');
    return s2aRows(this.base, this.data.task, this.data.taskTest, steps, this.config.seed);
  }

  /** A controllable multi-task model trained once on the base task and the new task (`steps` steps), scored at each uniform width (controllable.ts); needs no base. */
  controllable(steps: number): Promise<ControllableRow[]> {
    const classes = this.base.config.numClasses;
    return controllableRows([this.data.pre, this.data.task], [this.data.preTest, this.data.taskTest], [classes, classes], steps, this.config.seed);
  }

  /** CRaSh on its own deeper MLP: pretrained on the base task (`preSteps`), LoRA tuned on the emulator for the new task (`steps`) and plugged back (crash.ts); needs no base. */
  crash(preSteps: number, steps: number): Promise<CrashOutcome> {
    return crashOutcome(this.data.pre, this.data.task, this.data.taskTest, this.base.config.numClasses, preSteps, steps, this.config.seed);
  }

  /** The adapter `method` in PEFT's format. */
  peft(method: AdapterMethodChoice): Promise<PeftAdapterOutput> {
    return savePeftAdapter(this.base, { name: method });
  }

  /** Free every tensor (once; a second call does nothing). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.base.dispose();
    this.full?.dispose();
    tf.dispose(this.data as unknown as tf.TensorContainer);
  }
}

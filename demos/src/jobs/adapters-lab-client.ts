// The adapters page's lab as the page sees it when the lab lives in a Web Worker (see
// ../workers/adapters-worker.ts): the same questions as AdaptersLab and MergeExplorer, each a
// call to the worker; this side keeps what the page draws (points, boundaries, results).
import type { TrainProgress, TrainResult } from '@weft/core';
import type { PeftAdapterOutput } from '@weft/sharing';
import type { JobWorker, WorkerJob } from './worker-job.js';
import type { AdaptersLabConfig, MethodResult } from './adapters-job.js';
import { MERGE_TASKS, type ArrowOutcome, type MergeOutcome, type MergeRow } from './merge-explorer-job.js';
import type { RoutedMerges, RoutedOptions } from './routed-merges.js';
import type { TransferRow } from './transfer.js';
import type { SelectiveRow } from './selective-lora.js';
import type { S2ARow } from './s2a.js';
import type { ControllableRow } from './controllable.js';
import type { CrashOutcome } from './crash.js';
import type { AdaptersPhase } from '../workers/adapters-worker.js';
import type { AdapterMethodChoice } from '../pages/adapters-state.js';
import type { Extent, ProbabilityField } from '../plane.js';

/** What the worker says the page draws of a new lab. */
export interface AdaptersLabInfo {
  /** The rotated task's held-out points. */
  taskPoints: { x: Float32Array; y: Int32Array; numClasses: number };
  /** The plane around them. */
  extent: Extent;
  /** Parameters of the base model. */
  baseParams: number;
}

type Progress = (p: TrainProgress) => Promise<void> | void;

/** The lab in the worker. */
export class AdaptersLabClient {
  /** Results by method, in training order (of the runs that ran every step). */
  readonly results = new Map<AdapterMethodChoice, MethodResult>();
  /** Class probabilities over {@link extent}: of the base once ready, and of each fine-tuned method. */
  readonly fields = new Map<AdapterMethodChoice | 'base', ProbabilityField>();
  /** Whether the base has been pretrained (to the end) or loaded. */
  baseReady = false;

  private constructor(
    private readonly job: WorkerJob<AdaptersLabInfo>,
    readonly config: AdaptersLabConfig,
  ) {}

  /** A fresh lab built in `worker` (its previous lab is freed there). */
  static async build(worker: JobWorker<AdaptersLabConfig, AdaptersLabInfo>, config: AdaptersLabConfig): Promise<AdaptersLabClient> {
    return new AdaptersLabClient(await worker.build(config), config);
  }

  get taskPoints(): AdaptersLabInfo['taskPoints'] {
    return this.job.info.taskPoints;
  }

  get extent(): Extent {
    return this.job.info.extent;
  }

  get baseParams(): number {
    return this.job.info.baseParams;
  }

  /** Run `phase` in the worker, then fetch what it left for `key`. */
  private async train(phase: AdaptersPhase, key: AdapterMethodChoice | 'base', steps: number, onProgress: Progress, signal?: AbortSignal): Promise<TrainResult> {
    await this.job.call('phase', phase);
    const run = await this.job.run({ fromStep: 0, steps, onProgress: async (p) => void (await onProgress(p)), signal: signal ?? new AbortController().signal });
    const out = await this.job.call<{ baseReady: boolean; result: MethodResult | null; field: ProbabilityField | null }>('outcome', key);
    this.baseReady = out.baseReady;
    if (key === 'base') {
      this.results.clear();
      this.fields.clear();
    }
    if (out.result) this.results.set(key as AdapterMethodChoice, out.result);
    if (out.field) this.fields.set(key, out.field);
    return run;
  }

  /** Pretrain the base on the base task (every adapter removed first). */
  pretrain(steps: number, onProgress: Progress, signal?: AbortSignal): Promise<TrainResult> {
    this.baseReady = false;
    return this.train({ kind: 'pretrain' }, 'base', steps, onProgress, signal);
  }

  /** Fine-tune `method` on the rotated task; when every step ran, its result is in {@link results}. */
  finetune(method: AdapterMethodChoice, steps: number, onProgress: Progress, signal?: AbortSignal): Promise<TrainResult> {
    return this.train({ kind: 'finetune', method }, method, steps, onProgress, signal);
  }

  /** Accuracy of the base with its active adapters on the rotated task's test split, or on the base task's. */
  accuracy(on: 'task' | 'base' = 'task'): Promise<number> {
    return this.job.call('accuracy', on);
  }

  /** Replace the base weights from a Weft safetensors file. */
  async loadBase(bytes: Uint8Array): Promise<void> {
    const field = await this.job.call<ProbabilityField | null>('loadBase', bytes);
    this.results.clear();
    this.fields.clear();
    if (field) this.fields.set('base', field);
    this.baseReady = true;
  }

  /** The base weights as a Weft safetensors file. */
  saveBase(): Promise<Uint8Array> {
    return this.job.call('saveBase');
  }

  /** Accuracy on both tasks of the base plus Σ weightᵢ · ΔWᵢ of the trained adapters. */
  mix(weights: Partial<Record<AdapterMethodChoice, number>>): Promise<{ task: number; base: number }> {
    return this.job.call('mix', weights);
  }

  /** Selective LoRA against plain LoRA on the new task, with task A kept or forgotten. */
  selective(steps: number): Promise<SelectiveRow[]> {
    return this.job.call('selective', steps);
  }

  /** LoRA against S2A's side module on the new task: trained parameters, bytes held for the backward pass, accuracy. */
  s2a(steps: number): Promise<S2ARow[]> {
    return this.job.call('s2a', steps);
  }

  /** A controllable multi-task model trained once on both tasks, scored at each width. */
  controllable(steps: number): Promise<ControllableRow[]> {
    return this.job.call('controllable', steps);
  }

  /** CRaSh on a deeper MLP: clusters, emulator, its LoRA plugged back, against the untuned and the fully tuned model. */
  crash(preSteps: number, steps: number): Promise<CrashOutcome> {
    return this.job.call('crash', preSteps, steps);
  }

  /** The adapter `method` in PEFT's format. */
  peft(method: AdapterMethodChoice): Promise<PeftAdapterOutput> {
    return this.job.call('peft', method);
  }

  /** A fresh merge explorer on this lab's base (its task LoRAs not yet trained). */
  async explorer(): Promise<MergeExplorerClient> {
    return new MergeExplorerClient(this.job, await this.job.call<number[]>('startExplorer'));
  }

  /** Free the lab in the worker. */
  dispose(): void {
    this.job.dispose();
  }
}

/** The merge explorer in the worker. */
export class MergeExplorerClient {
  /** Tasks whose LoRA has trained to the end. */
  private readonly trained = new Set<number>();

  constructor(
    private readonly job: WorkerJob<AdaptersLabInfo>,
    /** Rotation of each task, degrees. */
    readonly angles: number[],
  ) {}

  /** Whether every task LoRA has trained. */
  get ready(): boolean {
    return this.trained.size === MERGE_TASKS;
  }

  /** Train task `k`'s LoRA on its rotation. */
  async trainTask(k: number, steps: number, onProgress: Progress, signal?: AbortSignal): Promise<TrainResult> {
    this.trained.delete(k);
    await this.job.call('phase', { kind: 'task', k } satisfies AdaptersPhase);
    const run = await this.job.run({ fromStep: 0, steps, onProgress: async (p) => void (await onProgress(p)), signal: signal ?? new AbortController().signal });
    if (run.stoppedBy === 'done') this.trained.add(k);
    return run;
  }

  /** Each task's own LoRA on each task, and the frozen base alone. */
  references(): Promise<{ own: MergeOutcome[]; base: MergeOutcome }> {
    return this.job.call('references');
  }

  /** Merge the task LoRAs by `method` with per-task `weights` and options, and score the result. */
  merge(method: string, weights: number[], options: Record<string, number> = {}): Promise<MergeOutcome> {
    return this.job.call('merge', method, weights, options);
  }

  /** Every registered merge method at its defaults with `weights`. */
  table(weights: number[]): Promise<MergeRow[]> {
    return this.job.call('table', weights);
  }

  /** Arrow's zero-shot routing over the task LoRAs. */
  arrow(): Promise<ArrowOutcome> {
    return this.job.call('arrow');
  }

  /** Average, ScaLearn and AdapterFusion over the outer task LoRAs, for the middle task. */
  transfer(steps: number): Promise<TransferRow[]> {
    return this.job.call('transfer', steps);
  }

  /** Mediator and 1bit-Merging over the task LoRAs, routed by uncertainty. */
  routed(options: RoutedOptions): Promise<RoutedMerges> {
    return this.job.call('routed', options);
  }

  /** Nothing to free here: the task LoRAs live on the lab's base, the task data goes with the next explorer or the lab. */
  dispose(): void {}
}

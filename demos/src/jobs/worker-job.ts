// A page's training job as the page sees it when the job lives in a Web Worker (see
// ../workers/job-host.ts): training, the backend and the job's own questions (a view, a decision
// boundary) run there; this side forwards calls and keeps what the page draws of the job.
import type { BackendReport, Ledger, TrainResult } from '@weft/core';
import type { TrainingJob, TrainingSegment } from '../controllers/training-controller.js';
import type { BackendChoice } from '../backend-choice.js';
import { WorkerClient } from '../workers/rpc.js';

/** What the worker answers to `build`: the job's id, steps and ledger, and what the page draws of it. */
type Built<D> = D & { id: number; totalSteps: number; ledger: Ledger };

/** A page's training worker (started on first use): its backend and its one job at a time. */
export class JobWorker<C, D extends object> {
  private client: WorkerClient | null = null;

  /** `start` creates the worker, e.g. `() => new Worker(new URL('../workers/x.ts', import.meta.url), { type: 'module' })`. */
  constructor(private readonly start: () => Worker) {}

  private get worker(): WorkerClient {
    this.client ??= new WorkerClient(this.start());
    return this.client;
  }

  /** Initialise `choice` in the worker (the backend the page's training runs on). */
  chooseBackend(choice: BackendChoice): Promise<BackendReport> {
    return this.worker.call('backend', [choice]);
  }

  /** A fresh job built from `config` in the worker (the previous one is freed there); `signal` aborts a long build. */
  async build(config: C, signal?: AbortSignal): Promise<WorkerJob<D>> {
    return new WorkerJob(this.worker, await this.worker.call<Built<D>>('build', [config], { signal }));
  }
}

/** A job in the worker, as a TrainingJob of the page. */
export class WorkerJob<D extends object> implements TrainingJob {
  readonly totalSteps: number;
  /** What the worker said the page draws of this job (e.g. the dataset's points). */
  readonly info: D;
  private readonly ledgerValue: Ledger;
  private readonly id: number;
  private disposed = false;

  constructor(
    private readonly worker: WorkerClient,
    built: Built<D>,
  ) {
    const { id, totalSteps, ledger, ...info } = built;
    this.id = id;
    this.totalSteps = totalSteps;
    this.ledgerValue = ledger;
    this.info = info as unknown as D;
  }

  /** The model's parameter ledger (computed when the job was built). */
  ledger(): Ledger {
    return this.ledgerValue;
  }

  run(segment: TrainingSegment): Promise<TrainResult> {
    if (this.disposed) return Promise.reject(new Error('WorkerJob: run() after dispose()'));
    return this.worker.call('run', [this.id, { fromStep: segment.fromStep, steps: segment.steps }], { signal: segment.signal, onProgress: segment.onProgress });
  }

  /** Ask the job one of its worker's methods (e.g. `'field'`, `'view'`). */
  call<T>(method: string, ...args: unknown[]): Promise<T> {
    return this.worker.call('call', [this.id, method, ...args]);
  }

  /** Use learning rate `lr` from the worker's next step on. */
  setLearningRate(lr: number): void {
    if (!this.disposed) void this.worker.call('setLearningRate', [this.id, lr]).catch(() => undefined);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    void this.worker.call('dispose', [this.id]).catch(() => undefined);
  }
}

// The train page's job as the page sees it: a ClassifierJob living in a Web Worker
// (../workers/classifier-worker.ts). Training, the decision boundary's forward pass and the
// backend all run there; this side forwards calls and keeps what the page draws.
import type { BackendReport, Ledger, TrainResult } from '@weft/core';
import type { TrainingJob, TrainingSegment } from '../controllers/training-controller.js';
import type { Extent, LabelledPoints, ProbabilityField } from '../plane.js';
import type { BackendChoice } from '../backend-choice.js';
import type { ClassifierJobConfig } from './classifier-job.js';
import { WorkerClient } from '../workers/rpc.js';

/** What the worker answers to `build`. */
interface Built {
  id: number;
  totalSteps: number;
  ledger: Ledger;
  points: LabelledPoints;
  extent: Extent;
}

/** The worker of the train page (one per page), started on first use. */
export class ClassifierWorker {
  private client: WorkerClient | null = null;

  private get worker(): WorkerClient {
    this.client ??= new WorkerClient(new Worker(new URL('../workers/classifier-worker.ts', import.meta.url), { type: 'module', name: 'weft-train' }));
    return this.client;
  }

  /** Initialise `choice` in the worker (the backend the page's training runs on). */
  chooseBackend(choice: BackendChoice): Promise<BackendReport> {
    return this.worker.call('backend', [choice]);
  }

  /** A fresh job in the worker (the previous one is freed there). */
  async build(config: ClassifierJobConfig): Promise<ClassifierWorkerJob> {
    const built = await this.worker.call<Built>('build', [config]);
    return new ClassifierWorkerJob(this.worker, built);
  }

  /** Stop the worker. */
  terminate(): void {
    this.client?.terminate();
    this.client = null;
  }
}

/** A ClassifierJob in the worker, as a TrainingJob of the page. */
export class ClassifierWorkerJob implements TrainingJob {
  readonly totalSteps: number;
  /** The dataset's points, for drawing. */
  readonly points: LabelledPoints;
  /** The plotted plane. */
  readonly extent: Extent;
  private readonly ledgerValue: Ledger;
  private readonly id: number;
  private disposed = false;

  constructor(
    private readonly worker: WorkerClient,
    built: Built,
  ) {
    this.id = built.id;
    this.totalSteps = built.totalSteps;
    this.points = built.points;
    this.extent = built.extent;
    this.ledgerValue = built.ledger;
  }

  /** The model's parameter ledger. */
  ledger(): Ledger {
    return this.ledgerValue;
  }

  run(segment: TrainingSegment): Promise<TrainResult> {
    if (this.disposed) return Promise.reject(new Error('ClassifierWorkerJob: run() after dispose()'));
    return this.worker.call('run', [this.id, { fromStep: segment.fromStep, steps: segment.steps }], { signal: segment.signal, onProgress: segment.onProgress });
  }

  /** Class probabilities over the plane (computed in the worker). */
  predictField(resolution?: number): Promise<ProbabilityField> {
    return this.worker.call('field', [this.id, resolution]);
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

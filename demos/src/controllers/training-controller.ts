// TrainingController: a Lit reactive controller that owns one training run of a page — its
// AbortController, its state (idle / running / paused / done / stopped / error), the progress
// history — and updates its host on every change (progress reports at most every RENDER_EVERY_MS:
// a small model reports ~50 times a second, faster than anyone reads a counter or a curve, and each
// render of a page costs its main thread style, layout and paint that the worker training beside it
// needs on a 2-core machine; the history keeps every report). Pausing aborts the trainer between steps and
// keeps the job (model weights and optimiser state); resuming calls the job again from the step
// where it stopped. A page supplies the job; every page reuses this controller.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { TrainProgress, TrainResult } from '@weft/core';

/** What a run is doing (`starting`: running, before the first report — e.g. compiling shaders). */
export type TrainingStatus = 'idle' | 'starting' | 'running' | 'pausing' | 'paused' | 'done' | 'stopped' | 'error';

/** Progress of the whole run: the trainer's report with `step` counted from the run's start. */
export type RunProgress = TrainProgress;

/** One call of the trainer, as the controller asks for it. */
export interface TrainingSegment {
  /** First step of this segment (0 on start, the step reached on resume). */
  fromStep: number;
  /** Steps to run in this segment. */
  steps: number;
  /** Aborted on pause, stop and when the host leaves the page. */
  signal: AbortSignal;
  /** Report progress with `step` counted within the segment (as `train` does). */
  onProgress: (p: TrainProgress) => Promise<void>;
}

/** A page's training job: owns the model and optimiser, so pausing and resuming keep them. */
export interface TrainingJob {
  /** Total steps of the run. */
  readonly totalSteps: number;
  /** Run a segment (typically one `train({...})` call whose batch/seed are offset by `fromStep`). */
  run(segment: TrainingSegment): Promise<TrainResult>;
  /** Free the job's tensors (called when a new run starts or the host is removed). */
  dispose?(): void;
}

/** Least time between two renders that progress reports ask for (status changes render at once). */
export const RENDER_EVERY_MS = 100;

/** The statuses in which a run has ended (it cannot be resumed). */
const ENDED: readonly TrainingStatus[] = ['idle', 'done', 'stopped', 'error'];

/** Options of {@link TrainingController}. */
export interface TrainingControllerOptions {
  /** Called after each progress report, with the run-level progress (e.g. to refresh a view). */
  onProgress?: (p: RunProgress, controller: TrainingController) => void | Promise<void>;
  /** Called when the status changes. */
  onStatus?: (status: TrainingStatus, controller: TrainingController) => void;
}

/** Owns a page's training run and keeps its host rendering the current state. */
export class TrainingController implements ReactiveController {
  /** What the run is doing. */
  status: TrainingStatus = 'idle';
  /** Steps done in this run. */
  step = 0;
  /** Total steps of the run (0 before the first start). */
  totalSteps = 0;
  /** Every progress report of this run, with run-level steps. */
  history: RunProgress[] = [];
  /** The message of the error that ended the run, when `status === 'error'`. */
  error: string | null = null;
  /** Training time of the run so far, ms (pauses excluded). */
  elapsedMs = 0;

  private job: TrainingJob | null = null;
  private abort: AbortController | null = null;
  private segment: Promise<void> | null = null;
  private stopRequested = false;
  private endWaiters: Array<() => void> = [];
  /** A start() is halting the previous run: the new run has not ended, whatever the status says. */
  private startPending = false;
  /** When a progress report last rendered the host, and the render a later report deferred. */
  private lastRender = -Infinity;
  private deferredRender: ReturnType<typeof setTimeout> | null = null;
  /** Whether the host is in the page (a report arriving after it left renders nothing). */
  private connected = true;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly options: TrainingControllerOptions = {},
  ) {
    host.addController(this);
  }

  /** The latest progress report, if any. */
  get latest(): RunProgress | undefined {
    return this.history.at(-1);
  }

  /** Whether a segment is executing (running, or finishing a pause or stop). */
  get busy(): boolean {
    return this.segment !== null;
  }

  /** Whether {@link resume} would continue the run. */
  get canResume(): boolean {
    return this.status === 'paused' && this.job !== null;
  }

  /** The job of the current (or last) run, e.g. to read its model for a ledger or a view. */
  get currentJob(): TrainingJob | null {
    return this.job;
  }

  /** Fraction of the run done, in [0, 1]. */
  get fraction(): number {
    return this.totalSteps > 0 ? Math.min(1, this.step / this.totalSteps) : 0;
  }

  /** Resolves when no segment is executing (at once if none is): the job's tensors are then free to release. */
  async settled(): Promise<void> {
    await this.segment;
  }

  /**
   * Resolves when the run has ended — done, stopped, failed or reset — but not while it is paused
   * (a paused run may still be resumed). A queue of runs awaits this between runs.
   */
  ended(): Promise<void> {
    if (this.hasEnded) return Promise.resolve();
    return new Promise((resolve) => this.endWaiters.push(resolve));
  }

  /**
   * Start a new run of `job` (a previous run is stopped and its job disposed first). Resolves
   * when the first segment ends (done, paused, stopped or failed); never rejects.
   */
  async start(job: TrainingJob): Promise<void> {
    this.startPending = true;
    try {
      await this.halt();
    } finally {
      this.startPending = false;
    }
    this.job?.dispose?.();
    this.job = job;
    this.totalSteps = job.totalSteps;
    this.step = 0;
    this.elapsedMs = 0;
    this.history = [];
    this.error = null;
    await this.runSegment();
  }

  /** Pause: abort the trainer between steps and keep the weights; {@link resume} continues. */
  pause(): void {
    if ((this.status !== 'running' && this.status !== 'starting') || !this.abort) return;
    this.stopRequested = false;
    this.setStatus('pausing');
    this.abort.abort();
  }

  /** Continue a paused run from the step it reached. Resolves when that segment ends. */
  async resume(): Promise<void> {
    if (!this.canResume) return;
    await this.runSegment();
  }

  /** Stop: end the run (weights kept for viewing; the next {@link start} begins afresh). */
  stop(): void {
    if (this.status === 'paused') {
      this.setStatus('stopped');
      return;
    }
    if (!this.abort || !['starting', 'running', 'pausing'].includes(this.status)) return;
    this.stopRequested = true;
    this.setStatus('pausing');
    this.abort.abort();
  }

  /** Stop any run, dispose its job and return to `idle`. */
  async reset(): Promise<void> {
    await this.halt();
    this.job?.dispose?.();
    this.job = null;
    this.step = 0;
    this.totalSteps = 0;
    this.elapsedMs = 0;
    this.history = [];
    this.error = null;
    this.setStatus('idle');
  }

  /** @internal Lit: the host is in the page. */
  hostConnected(): void {
    this.connected = true;
  }

  /** @internal Lit: a render is under way; a deferred one is no longer needed. */
  hostUpdate(): void {
    this.lastRender = performance.now();
    if (this.deferredRender !== null) clearTimeout(this.deferredRender);
    this.deferredRender = null;
  }

  /** Render for a progress report: now, or once RENDER_EVERY_MS after the last render (the latest report then shows). */
  private renderProgress(): void {
    if (!this.connected) return;
    const wait = this.lastRender + RENDER_EVERY_MS - performance.now();
    if (wait <= 0) this.host.requestUpdate();
    else
      this.deferredRender ??= setTimeout(() => {
        this.deferredRender = null;
        this.host.requestUpdate();
      }, wait);
  }

  /** @internal Lit: a host leaving the page stops its run and, once the segment has ended, frees the job's tensors. */
  hostDisconnected(): void {
    this.connected = false;
    if (this.deferredRender !== null) clearTimeout(this.deferredRender);
    this.deferredRender = null;
    const job = this.job;
    if (this.segment) {
      this.stopRequested = true;
      this.abort?.abort();
    }
    void this.settled().then(() => {
      if (this.status === 'paused') this.setStatus('stopped');
      if (this.job !== job) return; // a new run started meanwhile (the host came back)
      job?.dispose?.();
      this.job = null;
    });
  }

  private async halt(): Promise<void> {
    if (this.segment) {
      this.stopRequested = true;
      this.abort?.abort();
      await this.segment;
    }
  }

  private get hasEnded(): boolean {
    return ENDED.includes(this.status) && !this.startPending;
  }

  private setStatus(status: TrainingStatus): void {
    if (this.status === status) return;
    this.status = status;
    this.options.onStatus?.(status, this);
    if (this.hasEnded) for (const resolve of this.endWaiters.splice(0)) resolve();
    this.host.requestUpdate();
  }

  private runSegment(): Promise<void> {
    const job = this.job!;
    const abort = new AbortController();
    this.abort = abort;
    this.stopRequested = false;
    const fromStep = this.step;
    const elapsedBefore = this.elapsedMs;
    this.setStatus(fromStep === 0 ? 'starting' : 'running');
    const onProgress = async (p: TrainProgress) => {
      if (this.job !== job) return;
      const run: RunProgress = { ...p, step: fromStep + p.step, elapsedMs: elapsedBefore + p.elapsedMs };
      this.step = run.step;
      this.elapsedMs = run.elapsedMs;
      this.history = [...this.history, run];
      if (this.status === 'starting') this.setStatus('running');
      this.renderProgress();
      await this.options.onProgress?.(run, this);
    };
    const segment = (async () => {
      try {
        const result = await job.run({ fromStep, steps: job.totalSteps - fromStep, signal: abort.signal, onProgress });
        if (this.job !== job) return;
        this.step = fromStep + result.steps;
        if (result.stoppedBy === 'done') this.setStatus('done');
        else this.setStatus(this.stopRequested ? 'stopped' : 'paused');
      } catch (e) {
        if (this.job !== job) return;
        this.error = e instanceof Error ? e.message : String(e);
        this.setStatus('error');
      } finally {
        if (this.abort === abort) this.abort = null;
        this.segment = null;
        this.host.requestUpdate();
      }
    })();
    this.segment = segment;
    return segment;
  }
}

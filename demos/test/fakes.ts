// Fakes for the demos' controller tests (Node, no DOM): a Lit host that records its controllers
// and update requests, a training job the test steps by hand, and a window/history pair that
// holds the address bar. Nothing here waits on time: a test moves the job and awaits promises.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { BackendReport, TrainProgress, TrainResult } from '@weft/core';
import type { TrainingJob, TrainingSegment } from '../src/controllers/training-controller.js';

/** A Lit host without a DOM. */
export class FakeHost implements ReactiveControllerHost {
  readonly controllers: ReactiveController[] = [];
  /** requestUpdate calls so far. */
  updates = 0;
  /** Whether requestUpdate renders at once, calling each controller's hostUpdate as Lit does before a render. */
  renders = false;
  addController(c: ReactiveController): void {
    this.controllers.push(c);
  }
  removeController(c: ReactiveController): void {
    this.controllers.splice(this.controllers.indexOf(c), 1);
  }
  requestUpdate(): void {
    this.updates++;
    if (this.renders) for (const c of this.controllers) c.hostUpdate?.();
  }
  get updateComplete(): Promise<boolean> {
    return Promise.resolve(true);
  }
  /** Connect every controller, as Lit does when the element enters the page. */
  connect(): void {
    for (const c of this.controllers) c.hostConnected?.();
  }
  /** Disconnect every controller, as Lit does when the element leaves the page. */
  disconnect(): void {
    for (const c of this.controllers) c.hostDisconnected?.();
  }
}

/** A progress report at `step`. */
export function progress(step: number, loss = 1 / step): TrainProgress {
  // `skippedSteps` is newer than some checkouts' TrainProgress: asserted, so the fake fits both.
  return { step, loss, metrics: { accuracy: 0.5 }, stats: {}, stepsPerSecond: 100, elapsedMs: step * 10, skippedSteps: 0 } as TrainProgress;
}

interface Running {
  segment: TrainingSegment;
  done: number;
  resolve: (r: TrainResult) => void;
  reject: (e: Error) => void;
}

/** A training job that runs only when the test calls {@link advance}, and stops as `train` does on abort. */
export class ManualJob implements TrainingJob {
  /** Every segment the controller asked for. */
  readonly segments: Array<{ fromStep: number; steps: number }> = [];
  /** dispose calls. */
  disposed = 0;
  private running: Running | null = null;

  constructor(readonly totalSteps: number) {}

  /** Whether a segment is executing. */
  get active(): boolean {
    return this.running !== null;
  }

  run(segment: TrainingSegment): Promise<TrainResult> {
    if (this.disposed) return Promise.reject(new Error('ManualJob: run() after dispose()'));
    this.segments.push({ fromStep: segment.fromStep, steps: segment.steps });
    return new Promise<TrainResult>((resolve, reject) => {
      const r: Running = { segment, done: 0, resolve, reject };
      this.running = r;
      segment.signal.addEventListener('abort', () => this.finish(r, 'abort'), { once: true });
    });
  }

  /** Run `n` steps of the current segment (once the controller has started it), reporting each; the segment ends when its steps are done. */
  async advance(n: number): Promise<void> {
    for (let i = 0; i < 50 && !this.running; i++) await Promise.resolve();
    const r = this.running;
    if (!r) throw new Error('ManualJob.advance: no segment is running');
    for (let i = 0; i < n && this.running === r; i++) {
      r.done++;
      await r.segment.onProgress(progress(r.done));
      if (r.done === r.segment.steps) this.finish(r, 'done');
    }
  }

  /** End the current segment with an error (as a NaN loss would). */
  fail(message: string): void {
    const r = this.running;
    if (!r) throw new Error('ManualJob.fail: no segment is running');
    this.running = null;
    r.reject(new Error(message));
  }

  dispose(): void {
    this.disposed++;
  }

  private finish(r: Running, stoppedBy: TrainResult['stoppedBy']): void {
    if (this.running !== r) return;
    this.running = null;
    r.resolve({ steps: r.done, stoppedBy, history: [], finalLoss: 0, stepsPerSecond: 100, skippedSteps: 0 } as TrainResult);
  }
}

/** Let every pending promise callback run (no timers involved). */
export async function flush(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}

/** The page's address bar: a fake `window.location` and `history.replaceState`. */
export class FakeAddressBar {
  href: string;
  /** replaceState calls so far. */
  writes = 0;
  constructor(search = '') {
    this.href = `https://weft.example/page.html${search}`;
  }
  /** The current query string. */
  get search(): string {
    return new URL(this.href).search;
  }
  /** The globals `window` and `history` the demos' URL state reads and writes. */
  globals(): { window: unknown; history: unknown } {
    const bar = this;
    return {
      window: {
        location: {
          get href() {
            return bar.href;
          },
          get search() {
            return bar.search;
          },
        },
      },
      history: {
        state: null,
        replaceState(_state: unknown, _title: string, url: URL | string) {
          bar.href = String(url);
          bar.writes++;
        },
      },
    };
  }
}

/** A backend report for a fake backend switch. */
export function report(backend: BackendReport['backend']): BackendReport {
  return { backend, reasons: {}, description: backend };
}

// moe.html's lab as the page sees it: the technique views' seeded experiments (μP sweep, scaling
// law, PERFT, DNA, …) run in their own Web Worker (../workers/moe-lab-worker.ts), beside the page's
// training worker, so the main thread only draws. Each call streams its runs as progress.
import type { BackendChoice } from '../backend-choice.js';
import { WorkerClient } from '../workers/rpc.js';

/** The lab worker, started on first use on the page's backend choice (a new choice starts a new worker). */
export class MoELabClient {
  private client: WorkerClient | null = null;
  private ready: Promise<unknown> | null = null;
  private backend: BackendChoice | null = null;

  /** `backend` says the page's backend choice at the time of a call. */
  constructor(private readonly backendChoice: () => BackendChoice) {}

  /** The experiments run one after another (together they would only share the same cores). */
  private queue: Promise<unknown> = Promise.resolve();

  /**
   * Run experiment `method` with `args` in the worker once the experiments asked before it are done
   * (`onStart` says when it starts); `onProgress` gets each run as it finishes; `signal` stops it
   * (or takes it out of the queue).
   */
  run<T, P = unknown>(method: string, args: unknown[], onProgress: (p: P) => unknown, signal: AbortSignal, onStart: () => void = () => undefined): Promise<T> {
    const mine = this.queue.then(() => {
      if (signal.aborted) throw new Error(`${method}: stopped before it started`);
      onStart();
      return this.start<T>(method, args, onProgress, signal);
    });
    this.queue = mine.catch(() => undefined);
    return mine;
  }

  private async start<T>(method: string, args: unknown[], onProgress: (p: never) => unknown, signal: AbortSignal): Promise<T> {
    const choice = this.backendChoice();
    if (!this.client || choice !== this.backend) {
      this.client?.terminate(); // its running experiments end with 'training worker stopped'
      this.client = new WorkerClient(new Worker(new URL('../workers/moe-lab-worker.ts', import.meta.url), { type: 'module', name: 'weft-moe-lab' }));
      this.backend = choice;
      this.ready = this.client.call('backend', [choice]);
    }
    const client = this.client;
    await this.ready;
    return client.call<T>(method, args, { onProgress: onProgress as (v: unknown) => unknown, signal });
  }

  /** Stop the worker. */
  dispose(): void {
    this.client?.terminate();
    this.client = null;
  }
}

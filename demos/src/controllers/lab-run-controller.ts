// LabRunController: one seeded experiment of a page's view, run on demand in a worker — its status,
// the runs reported so far, the result or the error, and its Run / Stop button.
import { html, type ReactiveController, type ReactiveControllerHost } from 'lit';

/** Where an experiment stands. */
export type LabStatus = 'idle' | 'waiting' | 'running' | 'done' | 'stopped' | 'error';

/** Runs `start` when asked; keeps its progress reports and its result for the host to draw. */
export class LabRunController<P, R> implements ReactiveController {
  status: LabStatus = 'idle';
  /** Progress reports of the current (or last) run, in order. */
  progress: P[] = [];
  /** The result of the last run that finished. */
  result: R | null = null;
  /** The error of the last run, if it failed. */
  error: string | null = null;
  private abort: AbortController | null = null;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly start: (onProgress: (p: P) => void, signal: AbortSignal, onStart: () => void) => Promise<R>,
  ) {
    host.addController(this);
  }

  /** Start a fresh run (a running one is stopped first). */
  async run(): Promise<void> {
    this.abort?.abort();
    const abort = (this.abort = new AbortController());
    this.status = 'waiting';
    this.progress = [];
    this.result = null;
    this.error = null;
    this.host.requestUpdate();
    try {
      const r = await this.start((p) => {
        if (abort !== this.abort) return;
        this.progress = [...this.progress, p];
        this.host.requestUpdate();
      }, abort.signal, () => {
        if (abort !== this.abort) return;
        this.status = 'running';
        this.host.requestUpdate();
      });
      if (abort !== this.abort) return;
      this.result = r;
      this.status = 'done';
    } catch (e) {
      if (abort !== this.abort) return;
      this.status = abort.signal.aborted ? 'stopped' : 'error';
      this.error = abort.signal.aborted ? null : e instanceof Error ? e.message : String(e);
    }
    this.abort = null;
    this.host.requestUpdate();
  }

  /** Stop the running experiment (what it reported stays). */
  stop(): void {
    this.abort?.abort();
  }

  /** The status line: `idle` before any run, then runs done of `total` (or waiting for the experiment before it). */
  statusText(idle: string, total: number): string {
    const n = this.progress.length;
    if (this.status === 'idle') return idle;
    if (this.status === 'waiting') return 'waits for the experiment started before it…';
    return `${n} of ${total} runs${this.status === 'stopped' ? ' (stopped)' : this.status === 'done' ? ' — done' : this.status === 'error' ? ' (failed)' : '…'}`;
  }

  /** The Run / Stop button: `label` runs, e.g. 'Run the sweep'. */
  button(label: string) {
    return this.status === 'running' || this.status === 'waiting'
      ? html`<button class="btn" type="button" data-lab="stop" @click=${() => this.stop()}>Stop</button>`
      : html`<button class="btn primary" type="button" data-lab="run" @click=${() => void this.run()}>${this.status === 'idle' ? label : 'Run again'}</button>`;
  }

  /** @internal Lit: nothing to do on connect. */
  hostConnected(): void {}

  /** @internal Lit: stop a running experiment when the view goes. */
  hostDisconnected(): void {
    this.abort?.abort();
  }
}

// RunButtonsController: the Start / Pause-Resume / Stop buttons every training page shows, and what
// they do. Like @lit/task's `Task.render`, the controller owns the state and renders the template
// that fits it ({@link runButtonsView} is that choice, as data, so it can be tested without a DOM).
// Start builds a fresh job when the last one has run (or a setting changed) and starts it; a page
// whose Start does more (a queue of runs) passes `run`, which gets a signal that Stop aborts.
import { html, type ReactiveController, type ReactiveControllerHost } from 'lit';
import type { TrainingController, TrainingJob, TrainingStatus } from './training-controller.js';

/** What the buttons need from the page's settings (a {@link PageStateController} has all of it). */
export interface RunSettings {
  /** The backend in use, or null while none is ready. */
  readonly backend: unknown;
  /** Whether a field holds a rejected value. */
  readonly hasFieldErrors: boolean;
  /** Build a fresh job from the settings (resolves when built). */
  rebuild(): Promise<void>;
  /** Resolves when the settings' pending backend switches and rebuilds are done (Start waits for them). */
  settled?(): Promise<void>;
}

/** Options of {@link RunButtonsController}. */
export interface RunButtonsOptions {
  /** The page's run. */
  training: TrainingController;
  /** The page's settings. */
  settings: RunSettings;
  /** The page's job, built by `settings.rebuild()`, or null (none yet, or it failed to build). Needed unless `run` is given. */
  job?: () => TrainingJob | null;
  /**
   * What Start does instead of starting `job()` (e.g. several runs, one after another). Start is
   * then disabled until it resolves; `signal` is aborted by Stop and when the host leaves the page.
   */
  run?: (signal: AbortSignal) => Promise<void>;
  /** Called just before `job()` starts. */
  beforeStart?: () => void;
  /** Start's label before the first run. Default: 'Start'. */
  startLabel?: string;
  /** Start's label once a run has started. Default: 'Restart'. */
  restartLabel?: string;
  /** Start's `data-action`. Default: 'start'. */
  action?: string;
}

/** What the buttons show, for one state of the run. */
export interface RunButtonsView {
  /** The start button. */
  start: { label: string; primary: boolean; disabled: boolean };
  /** Pause while running, Resume while paused. */
  toggle: { action: 'pause' | 'resume'; label: string; primary: boolean; disabled: boolean };
  /** The stop button. */
  stop: { disabled: boolean };
}

/** The state the buttons are drawn from. */
export interface RunButtonsState {
  /** The training run's status. */
  status: TrainingStatus;
  /** Whether a run may start: a backend, a job (or a `run`), no field errors. */
  ready: boolean;
  /** Whether a run is in progress or paused (settings are locked). */
  locked: boolean;
  /** Whether Start waits for the run in progress to end (a `run` queue) rather than restarting it. */
  exclusive: boolean;
}

/** The buttons for one state: the choice {@link RunButtonsController.render} draws. */
export function runButtonsView(s: RunButtonsState, labels: { start: string; restart: string }): RunButtonsView {
  const training = s.status === 'running' || s.status === 'starting';
  return {
    start: { label: s.status === 'idle' ? labels.start : labels.restart, primary: !s.locked, disabled: !s.ready || (s.exclusive && s.locked) },
    toggle:
      s.status === 'paused'
        ? { action: 'resume', label: 'Resume', primary: true, disabled: false }
        : { action: 'pause', label: 'Pause', primary: false, disabled: !training },
    stop: { disabled: !s.locked },
  };
}

/** Start, Pause/Resume and Stop of a training page. */
export class RunButtonsController implements ReactiveController {
  private abort: AbortController | null = null;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly options: RunButtonsOptions,
  ) {
    if (!options.job && !options.run) throw new Error('RunButtonsController: give job (the page prepares one) or run (Start does its own work)');
    host.addController(this);
  }

  /** Whether a press of Start is still at work (building a job, or the page's `run`). */
  get starting(): boolean {
    return this.abort !== null;
  }

  /** Whether a run is in progress or paused: the settings form is locked. */
  get locked(): boolean {
    const t = this.options.training;
    return this.starting || t.busy || t.status === 'paused';
  }

  /** Whether a run may start: a backend, a job (unless the page's `run` makes its own), no field errors. */
  get ready(): boolean {
    const { settings, run, job } = this.options;
    return settings.backend !== null && !settings.hasFieldErrors && (run !== undefined || job!() !== null);
  }

  /** What the buttons show now. */
  get view(): RunButtonsView {
    const o = this.options;
    return runButtonsView(
      { status: o.training.status, ready: this.ready, locked: this.locked, exclusive: o.run !== undefined },
      { start: o.startLabel ?? 'Start', restart: o.restartLabel ?? 'Restart' },
    );
  }

  /**
   * Start a run: the page's `run`, or `job()` — rebuilt first when it has run already (a restart
   * begins from fresh weights) or is missing. Resolves when the first segment (or `run`) ends.
   */
  readonly start = async (): Promise<void> => {
    const { training, settings, run, job, beforeStart } = this.options;
    if (!this.ready || (run && this.locked)) return;
    this.abort?.abort();
    const abort = new AbortController();
    this.abort = abort;
    this.host.requestUpdate();
    try {
      if (run) {
        await run(abort.signal);
        return;
      }
      // A setting changed just before the press is rebuilding the job (in a worker that takes a
      // round trip): start the job of the latest settings, not one a rebuild is about to free.
      await settings.settled?.();
      if (training.status !== 'idle' || !job!()) {
        await training.reset();
        await settings.rebuild();
      }
      const next = job!();
      if (!next || abort.signal.aborted) return;
      beforeStart?.();
      await training.start(next);
    } finally {
      if (this.abort === abort) this.abort = null;
      this.host.requestUpdate();
    }
  };

  /** Pause the run between steps (weights kept). */
  readonly pause = (): void => this.options.training.pause();

  /** Resume a paused run. */
  readonly resume = (): Promise<void> => this.options.training.resume();

  /** Stop: abort a start in progress (and the page's `run`), and end the run. */
  readonly stop = (): void => {
    this.abort?.abort();
    this.options.training.stop();
  };

  /** @internal Lit: nothing to do on connect. */
  hostConnected(): void {}

  /** @internal Lit: a host leaving the page aborts the page's `run`. */
  hostDisconnected(): void {
    this.abort?.abort();
  }

  /** The three buttons (put them in a `.buttons` row). */
  render() {
    const v = this.view;
    return html`<button type="button" class="btn ${v.start.primary ? 'primary' : ''}" data-action=${this.options.action ?? 'start'} ?disabled=${v.start.disabled} @click=${this.start}>
        ${v.start.label}
      </button>
      <button type="button" class="btn ${v.toggle.primary ? 'primary' : ''}" data-action=${v.toggle.action} ?disabled=${v.toggle.disabled} @click=${v.toggle.action === 'pause' ? this.pause : this.resume}>
        ${v.toggle.label}
      </button>
      <button type="button" class="btn danger" data-action="stop" ?disabled=${v.stop.disabled} @click=${this.stop}>Stop</button>`;
  }
}

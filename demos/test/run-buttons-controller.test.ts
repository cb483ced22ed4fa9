// RunButtonsController: what Start / Pause-Resume / Stop show in each state of a run, and what
// they do — the prepared job on the first start, a fresh one on a restart, nothing while the
// settings are not ready, and a page's own `run` (a queue) aborted by Stop and by leaving the page.
import { describe, expect, it } from 'vitest';
import { RunButtonsController, runButtonsView, type RunButtonsState, type RunSettings } from '../src/controllers/run-buttons-controller.js';
import { TrainingController } from '../src/controllers/training-controller.js';
import { FakeHost, ManualJob, flush } from './fakes.js';

const LABELS = { start: 'Start', restart: 'Restart' };
const view = (s: Partial<RunButtonsState>) => runButtonsView({ status: 'idle', ready: true, locked: false, exclusive: false, ...s }, LABELS);

describe('runButtonsView', () => {
  it('idle and ready: Start is the primary action; Pause and Stop wait for a run', () => {
    expect(view({})).toEqual({
      start: { label: 'Start', primary: true, disabled: false },
      toggle: { action: 'pause', label: 'Pause', primary: false, disabled: true },
      stop: { disabled: true },
    });
  });

  it('running: Restart stays available, Pause and Stop are enabled', () => {
    expect(view({ status: 'running', locked: true })).toEqual({
      start: { label: 'Restart', primary: false, disabled: false },
      toggle: { action: 'pause', label: 'Pause', primary: false, disabled: false },
      stop: { disabled: false },
    });
    expect(view({ status: 'starting', locked: true }).toggle.disabled).toBe(false);
  });

  it('paused: Resume is the primary action', () => {
    expect(view({ status: 'paused', locked: true }).toggle).toEqual({ action: 'resume', label: 'Resume', primary: true, disabled: false });
  });

  it('finished: Restart, nothing to pause or stop', () => {
    for (const status of ['done', 'stopped', 'error'] as const) {
      const v = view({ status });
      expect(v.start).toEqual({ label: 'Restart', primary: true, disabled: false });
      expect(v.toggle.disabled).toBe(true);
      expect(v.stop.disabled).toBe(true);
    }
  });

  it('not ready (no backend, no job, a field error): Start is disabled; a queue cannot restart itself', () => {
    expect(view({ ready: false }).start.disabled).toBe(true);
    expect(view({ status: 'running', locked: true, exclusive: true }).start.disabled).toBe(true);
    expect(view({ status: 'done', exclusive: true }).start.disabled).toBe(false);
  });
});

/** Settings whose rebuild makes a new ManualJob. */
class FakeSettings implements RunSettings {
  backend: unknown = { backend: 'wasm' };
  hasFieldErrors = false;
  job: ManualJob | null = new ManualJob(5);
  rebuilds = 0;
  async rebuild(): Promise<void> {
    await Promise.resolve();
    this.rebuilds++;
    this.job = new ManualJob(5);
  }
}

function setup(options: { run?: (signal: AbortSignal) => Promise<void>; beforeStart?: () => void } = {}) {
  const host = new FakeHost();
  const training = new TrainingController(host);
  const settings = new FakeSettings();
  const buttons = options.run
    ? new RunButtonsController(host, { training, settings, run: options.run, startLabel: 'Run all', restartLabel: 'Run all', action: 'run' })
    : new RunButtonsController(host, { training, settings, job: () => settings.job, ...(options.beforeStart ? { beforeStart: options.beforeStart } : {}) });
  return { host, training, settings, buttons };
}

describe('RunButtonsController', () => {
  it('Start waits for a rebuild in progress and starts the job of the latest settings', async () => {
    const { settings, buttons, training } = setup();
    const stale = settings.job!;
    // A setting changed just before the press: its rebuild (a worker round trip) is still running.
    let finish!: () => void;
    const pending = new Promise<void>((resolve) => (finish = resolve)).then(() => {
      stale.dispose();
      settings.job = new ManualJob(5);
    });
    (settings as FakeSettings & { settled(): Promise<void> }).settled = () => pending;
    const started = buttons.start();
    await flush();
    expect(training.status).toBe('idle'); // nothing started on the job about to be freed
    finish();
    await flush();
    const fresh = settings.job!;
    expect(fresh).not.toBe(stale);
    await fresh.advance(5);
    await started;
    expect(training.status).toBe('done');
    expect(training.step).toBe(5);
    expect(stale.disposed).toBe(1);
  });

  it('refuses to be built without a job or a run', () => {
    const host = new FakeHost();
    expect(() => new RunButtonsController(host, { training: new TrainingController(host), settings: new FakeSettings() })).toThrow(/give job .* or run/);
  });

  it('is ready only with a backend, a job and no field errors', () => {
    const { settings, buttons } = setup();
    expect(buttons.ready).toBe(true);
    settings.backend = null;
    expect(buttons.ready).toBe(false);
    expect(buttons.view.start.disabled).toBe(true);
    settings.backend = {};
    settings.hasFieldErrors = true;
    expect(buttons.ready).toBe(false);
    settings.hasFieldErrors = false;
    settings.job = null;
    expect(buttons.ready).toBe(false);
  });

  it('starts the prepared job first, and a fresh one on a restart', async () => {
    let before = 0;
    const { settings, buttons, training } = setup({ beforeStart: () => before++ });
    const prepared = settings.job!;
    const first = buttons.start();
    await prepared.advance(5);
    await first;
    expect(settings.rebuilds).toBe(0);
    expect(training.status).toBe('done');
    expect(before).toBe(1);
    expect(buttons.view.start.label).toBe('Restart');

    const second = buttons.start();
    await flush();
    expect(settings.rebuilds).toBe(1);
    expect(prepared.disposed).toBe(1); // the trained job was reset away
    const fresh = settings.job!;
    expect(fresh).not.toBe(prepared);
    await fresh.advance(5);
    await second;
    expect(fresh.segments).toEqual([{ fromStep: 0, steps: 5 }]);
    expect(before).toBe(2);
  });

  it('locks the settings while a run is in progress or paused; Pause, Resume and Stop drive the run', async () => {
    const { settings, buttons, training } = setup();
    const job = settings.job!;
    expect(buttons.locked).toBe(false);
    const run = buttons.start();
    await job.advance(2);
    expect(buttons.locked).toBe(true);
    expect(buttons.view.toggle.action).toBe('pause');
    buttons.pause();
    await run;
    expect(training.status).toBe('paused');
    expect(buttons.locked).toBe(true);
    expect(buttons.view.toggle.action).toBe('resume');
    const resumed = buttons.resume();
    await job.advance(1);
    expect(training.status).toBe('running');
    buttons.stop();
    await resumed;
    expect(training.status).toBe('stopped');
    expect(buttons.locked).toBe(false);
  });

  it('Stop during a restart’s rebuild starts nothing', async () => {
    const { settings, buttons, training } = setup();
    const first = buttons.start();
    await settings.job!.advance(5);
    await first;
    const restart = buttons.start(); // resets the finished run, then rebuilds
    expect(buttons.starting).toBe(true);
    buttons.stop();
    await restart;
    expect(settings.rebuilds).toBe(1);
    expect(settings.job!.segments).toEqual([]);
    expect(training.status).toBe('idle');
    expect(buttons.starting).toBe(false);
  });

  it('a page’s run: Start runs it once at a time with a signal that Stop and leaving the page abort', async () => {
    const signals: AbortSignal[] = [];
    let finish = () => {};
    const { host, buttons } = setup({
      run: (signal) => {
        signals.push(signal);
        return new Promise<void>((resolve) => {
          finish = resolve;
          signal.addEventListener('abort', () => resolve(), { once: true });
        });
      },
    });
    expect(buttons.ready).toBe(true); // no job needed
    expect(buttons.view.start.label).toBe('Run all');
    const first = buttons.start();
    expect(buttons.starting).toBe(true);
    expect(buttons.locked).toBe(true);
    expect(buttons.view.start.disabled).toBe(true);
    expect(buttons.view.stop.disabled).toBe(false);
    void buttons.start(); // ignored while the queue runs
    expect(signals).toHaveLength(1);
    buttons.stop();
    expect(signals[0]!.aborted).toBe(true);
    await first;
    expect(buttons.starting).toBe(false);

    const second = buttons.start();
    finish();
    await second;
    expect(signals).toHaveLength(2);
    expect(signals[1]!.aborted).toBe(false);

    void buttons.start();
    host.disconnect();
    expect(signals[2]!.aborted).toBe(true);
  });
});

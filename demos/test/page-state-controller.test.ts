// PageStateController: settings <-> URL (bad values replaced and explained, the link rewritten),
// field errors, backend switches one at a time, job rebuilds (not during a run, not for settings
// read at run time), and the job released only after its run has ended. Backends are fakes.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BackendReport } from '@weft/core';
import { PageStateController } from '../src/controllers/page-state-controller.js';
import { TrainingController } from '../src/controllers/training-controller.js';
import { BACKEND_CHOICES, type BackendChoice } from '../src/backend-choice.js';
import { choiceParam, intParam } from '../src/url-state.js';
import { FakeAddressBar, FakeHost, ManualJob, flush, report } from './fakes.js';

const SCHEMA = {
  width: intParam({ min: 1, max: 64, default: 8 }),
  steps: intParam({ min: 1, max: 1000, default: 100 }),
  mode: choiceParam(['a', 'b'] as const, 'a'),
  backend: choiceParam(BACKEND_CHOICES, 'auto'),
};
type State = { width: number; steps: number; mode: 'a' | 'b'; backend: BackendChoice };

/** A backend chooser the test answers by hand, recording every call and how many overlapped. */
class FakeBackends {
  readonly calls: BackendChoice[] = [];
  private pending: Array<{ choice: BackendChoice; resolve: (r: BackendReport) => void; reject: (e: Error) => void }> = [];
  inFlight = 0;
  maxInFlight = 0;
  readonly choose = (choice: BackendChoice): Promise<BackendReport> => {
    this.calls.push(choice);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    return new Promise((resolve, reject) => this.pending.push({ choice, resolve, reject }));
  };
  /** Answer the oldest request with a backend (or refuse it). */
  async answer(error?: string): Promise<void> {
    for (let i = 0; i < 50 && this.pending.length === 0; i++) await Promise.resolve();
    const p = this.pending.shift();
    if (!p) throw new Error('FakeBackends.answer: no request');
    this.inFlight--;
    if (error) p.reject(new Error(error));
    else p.resolve(report(p.choice === 'auto' ? 'wasm' : p.choice));
    await flush();
  }
}

function setup(search: string, extra: Partial<ConstructorParameters<typeof PageStateController<typeof SCHEMA, State>>[2]> = {}) {
  const bar = new FakeAddressBar(search);
  const g = bar.globals();
  vi.stubGlobal('window', g.window);
  vi.stubGlobal('history', g.history);
  const host = new FakeHost();
  const training = new TrainingController(host);
  const backends = new FakeBackends();
  const built: State[] = [];
  const log: string[] = [];
  let job: ManualJob | null = null;
  const page = new PageStateController<typeof SCHEMA, State>(host, SCHEMA, {
    training,
    chooseBackend: backends.choose,
    rebuild: (s) => {
      built.push({ ...s });
      log.push('rebuild');
      job = new ManualJob(s.steps);
    },
    release: () => {
      log.push('release');
      job?.dispose();
      job = null;
    },
    ...extra,
  });
  return { bar, host, training, backends, built, log, page, job: () => job };
}

/** A change event from the settings form's field `name`. */
const change = (name: string, value: string) => ({ target: { name, value } }) as unknown as Event;

beforeEach(() => vi.unstubAllGlobals());
afterEach(() => vi.unstubAllGlobals());

describe('PageStateController', () => {
  it('reads the URL, replaces bad values by their defaults and says why, and rewrites the link on connect', async () => {
    const { bar, host, page, backends, built } = setup('?width=16&steps=abc&mode=z');
    expect(page.state).toEqual({ width: 16, steps: 100, mode: 'a', backend: 'auto' });
    expect(page.problems.map((p) => p.param).sort()).toEqual(['mode', 'steps']);
    expect(bar.writes).toBe(0);
    host.connect();
    expect(new URLSearchParams(bar.search).get('steps')).toBe('100');
    expect(new URLSearchParams(bar.search).get('width')).toBe('16');
    expect(new URLSearchParams(bar.search).get('mode')).toBe('a');
    expect(page.backend).toBeNull();
    await backends.answer();
    expect(backends.calls).toEqual(['auto']);
    expect(page.backend?.backend).toBe('wasm');
    expect(built).toEqual([{ width: 16, steps: 100, mode: 'a', backend: 'auto' }]);
  });

  it('a form change updates the state, the link and the job; a bad value is shown on its field only', async () => {
    const { bar, host, page, backends, built } = setup('');
    host.connect();
    await backends.answer();
    page.onChange(change('width', '32'));
    await page.settled();
    expect(page.state.width).toBe(32);
    expect(new URLSearchParams(bar.search).get('width')).toBe('32');
    expect(built.at(-1)?.width).toBe(32);

    const builds = built.length;
    page.onChange(change('width', '999'));
    await page.settled();
    expect(page.fieldErrors.width).toBe('Expected a whole number from 1 to 64.');
    expect(page.hasFieldErrors).toBe(true);
    expect(page.state.width).toBe(32); // the last good value stays
    expect(new URLSearchParams(bar.search).get('width')).toBe('32');
    expect(built).toHaveLength(builds);

    page.onChange(change('width', '4'));
    await page.settled();
    expect(page.fieldErrors.width).toBeUndefined();
    expect(page.hasFieldErrors).toBe(false);
    expect(page.state.width).toBe(4);

    page.onChange(change('not-a-setting', '1'));
    await page.settled();
    expect(page.state).not.toHaveProperty('not-a-setting');
  });

  it('switches backends one at a time: reset, release, choose, rebuild; an overtaken switch is skipped', async () => {
    const { host, page, backends, built, training, job } = setup('');
    host.connect();
    await backends.answer();
    const first = job()!;
    void training.start(first);
    await first.advance(1);

    void page.set({ backend: 'cpu' });
    await flush();
    expect(first.disposed).toBeGreaterThan(0); // the run was reset and its job released before choosing
    expect(training.status).toBe('idle');
    expect(page.backend).toBeNull();
    void page.set({ backend: 'webgl' });
    await flush();
    expect(backends.calls).toEqual(['auto', 'cpu']); // the second switch waits for the first
    await backends.answer();
    await backends.answer();
    expect(page.backend?.backend).toBe('webgl');
    expect(backends.calls).toEqual(['auto', 'cpu', 'webgl']);
    expect(backends.maxInFlight).toBe(1);
    expect(built.map((s) => s.backend)).toEqual(['auto', 'webgl']); // no job for a backend already left

    // Two choices before the first is taken up: only the last is initialised.
    void page.set({ backend: 'wasm' });
    void page.set({ backend: 'cpu' });
    await backends.answer();
    await page.settled();
    expect(backends.calls.slice(3)).toEqual(['cpu']);
    expect(page.backend?.backend).toBe('cpu');
    expect(built.at(-1)?.backend).toBe('cpu');
  });

  it('a backend that cannot start is reported and no job is built', async () => {
    const { host, page, backends, built } = setup('?backend=webgpu');
    host.connect();
    await backends.answer('navigator.gpu is absent');
    expect(page.backend).toBeNull();
    expect(page.backendError).toBe('navigator.gpu is absent');
    expect(built).toEqual([]);
    void page.set({ backend: 'cpu' });
    await backends.answer();
    expect(page.backendError).toBeNull();
    expect(built).toHaveLength(1);
  });

  it('hands live settings to the job, mid-run included, without rebuilding it; a mixed change still rebuilds', async () => {
    const applied: Array<Partial<State>> = [];
    const { host, page, backends, built, training, job } = setup('', { liveKeys: ['width'], runtimeKeys: ['steps'], applyLive: (p) => applied.push(p) });
    host.connect();
    await backends.answer();
    expect(built).toHaveLength(1);

    await page.set({ width: 4 }); // before a run: the job takes it
    expect(built).toHaveLength(1);
    expect(applied).toEqual([{ width: 4 }]);

    const running = job()!;
    const run = training.start(running);
    await running.advance(2);
    await page.set({ width: 6, steps: 70 }); // mid-run: only the live key is handed over
    expect(applied).toEqual([{ width: 4 }, { width: 6 }]);
    expect(page.state).toMatchObject({ width: 6, steps: 70 });
    expect(training.status).toBe('running');
    expect(running.disposed).toBe(0);
    await page.set({ width: 6 }); // unchanged: nothing to hand over
    expect(applied).toHaveLength(2);
    training.stop();
    await run;
    await page.set({ width: 6, mode: 'a' }); // a change event that changes nothing keeps the job
    expect(built).toHaveLength(1);
    expect(running.disposed).toBe(0);

    await page.set({ width: 7, mode: 'b' }); // with a setting that needs a new model: rebuilt, not handed over
    expect(applied).toHaveLength(2);
    expect(built).toHaveLength(2);
    expect(built.at(-1)).toMatchObject({ width: 7, mode: 'b' });
  });

  it('does not rebuild during a run or a pause, nor for settings read at run time', async () => {
    const { host, page, backends, built, training, job } = setup('', { runtimeKeys: ['steps'] });
    host.connect();
    await backends.answer();
    expect(built).toHaveLength(1);

    await page.set({ steps: 50 }); // read when a run starts: the job stays
    expect(built).toHaveLength(1);
    expect(page.state.steps).toBe(50);

    const running = job()!;
    const run = training.start(running);
    await running.advance(1);
    await page.set({ width: 2 });
    expect(built).toHaveLength(1);
    training.pause();
    await run;
    await page.set({ width: 3 });
    expect(built).toHaveLength(1);
    expect(running.disposed).toBe(0);

    training.stop();
    await page.set({ width: 5 });
    expect(built).toHaveLength(2);
    expect(built.at(-1)?.width).toBe(5);
  });

  it('adjusts the state from the URL and each patch', async () => {
    const { page } = setup('?width=3', {
      adjust: (s) => {
        if (s.width % 2) s.width += 1;
      },
      adjustPatch: (p) => {
        if (p.mode === 'b') p.width = 64;
      },
    });
    expect(page.state.width).toBe(4);
    await page.set({ mode: 'b' });
    expect(page.state).toMatchObject({ mode: 'b', width: 64 });
  });

  it('setFieldError shows and clears a message for a field the page parses itself', () => {
    const { host, page } = setup('');
    const updates = host.updates;
    page.setFieldError('mode', 'Pick one.');
    expect(page.fieldErrors.mode).toBe('Pick one.');
    expect(page.hasFieldErrors).toBe(true);
    page.setFieldError('mode', undefined);
    expect(page.hasFieldErrors).toBe(false);
    expect(host.updates).toBe(updates + 2);
  });

  it('releases the job only once its run has ended when the host leaves, and builds nothing after', async () => {
    const { host, page, backends, built, log, training, job } = setup('');
    host.connect();
    await backends.answer();
    const running = job()!;
    const run = training.start(running);
    await running.advance(2);
    host.disconnect();
    expect(log.at(-1)).toBe('rebuild'); // not released while the segment may still touch the job
    await run;
    await page.settled();
    expect(log.at(-1)).toBe('release');
    expect(running.disposed).toBeGreaterThan(0);
    await page.rebuild();
    expect(built).toHaveLength(1);
  });
});

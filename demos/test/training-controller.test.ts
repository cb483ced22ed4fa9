// TrainingController: one run of a page — start, progress, pause (the job and its step kept),
// resume from that step, stop, errors, a new run replacing the old one, and the job released
// only once its segment has ended. Driven by a job the test steps by hand (no timing).
import { describe, expect, it, vi } from 'vitest';
import { RENDER_EVERY_MS, TrainingController, type TrainingStatus } from '../src/controllers/training-controller.js';
import { FakeHost, ManualJob, flush } from './fakes.js';

function setup(options: ConstructorParameters<typeof TrainingController>[1] = {}) {
  const host = new FakeHost();
  const training = new TrainingController(host, options);
  return { host, training };
}

describe('TrainingController', () => {
  it('registers with its host and starts idle', () => {
    const { host, training } = setup();
    expect(host.controllers).toEqual([training]);
    expect(training.status).toBe('idle');
    expect(training.busy).toBe(false);
    expect(training.fraction).toBe(0);
  });

  it('runs a job to the end: starting, running with run-level progress, done', async () => {
    const statuses: TrainingStatus[] = [];
    const reports: number[] = [];
    const { host, training } = setup({ onStatus: (s) => statuses.push(s), onProgress: (p) => void reports.push(p.step) });
    const job = new ManualJob(4);
    const started = training.start(job);
    await flush();
    expect(training.status).toBe('starting');
    expect(training.busy).toBe(true);
    expect(training.totalSteps).toBe(4);
    await job.advance(2);
    expect(training.status).toBe('running');
    expect(training.step).toBe(2);
    expect(training.latest?.step).toBe(2);
    expect(training.fraction).toBe(0.5);
    await job.advance(2);
    await started;
    expect(training.status).toBe('done');
    expect(training.busy).toBe(false);
    expect(training.history.map((p) => p.step)).toEqual([1, 2, 3, 4]);
    expect(reports).toEqual([1, 2, 3, 4]);
    expect(statuses).toEqual(['starting', 'running', 'done']);
    expect(host.updates).toBeGreaterThan(0);
    expect(job.segments).toEqual([{ fromStep: 0, steps: 4 }]);
  });

  it('renders progress at most every RENDER_EVERY_MS, the latest report last; history keeps every report; status renders at once', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] }); // the controller's clock and timer
    try {
      const { host, training } = setup();
      host.renders = true;
      const job = new ManualJob(30);
      const run = training.start(job);
      await flush();
      const atStart = host.updates; // 'starting'
      await job.advance(1); // 'running' renders; the report right after it waits
      const afterFirst = host.updates;
      expect(afterFirst).toBe(atStart + 1);
      await job.advance(9); // nine more reports inside the interval: one deferred render for all
      expect(host.updates).toBe(afterFirst);
      vi.advanceTimersByTime(RENDER_EVERY_MS - 1);
      expect(host.updates).toBe(afterFirst);
      vi.advanceTimersByTime(1);
      expect(host.updates).toBe(afterFirst + 1);
      expect(training.step).toBe(10);
      expect(training.history.map((p) => p.step)).toEqual([...Array(10).keys()].map((i) => i + 1));
      vi.advanceTimersByTime(10 * RENDER_EVERY_MS); // nothing new reported: no render
      expect(host.updates).toBe(afterFirst + 1);
      await job.advance(1); // the interval has passed: renders at once
      expect(host.updates).toBe(afterFirst + 2);
      await job.advance(19);
      await run;
      expect(training.status).toBe('done'); // the end renders at once, whatever the interval
      const atEnd = host.updates;
      expect(atEnd).toBeGreaterThan(afterFirst + 2);
      vi.advanceTimersByTime(RENDER_EVERY_MS); // the deferred render was folded into the end's
      expect(host.updates).toBe(atEnd);
      expect(training.history).toHaveLength(30);
      // A host that leaves the page with a render deferred: the timer is dropped (the run's end still renders at once).
      const second = new ManualJob(5);
      const run2 = training.start(second);
      await second.advance(1);
      await second.advance(1); // deferred
      host.disconnect();
      await run2;
      const gone = host.updates;
      vi.advanceTimersByTime(10 * RENDER_EVERY_MS);
      expect(host.updates).toBe(gone);
    } finally {
      vi.useRealTimers();
    }
  });

  it('pauses between steps keeping the job, and resumes from the step reached', async () => {
    const { training } = setup();
    const job = new ManualJob(10);
    const first = training.start(job);
    await job.advance(3);
    training.pause();
    expect(training.status).toBe('pausing');
    await first;
    expect(training.status).toBe('paused');
    expect(training.canResume).toBe(true);
    expect(training.step).toBe(3);
    expect(training.currentJob).toBe(job);
    expect(job.disposed).toBe(0);
    const elapsed = training.elapsedMs;

    const second = training.resume();
    expect(job.segments.at(-1)).toEqual({ fromStep: 3, steps: 7 });
    await job.advance(7);
    await second;
    expect(training.status).toBe('done');
    expect(training.step).toBe(10);
    // Progress is counted from the run's start: steps and time continue across the pause.
    expect(training.history.map((p) => p.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // The fake reports 10 ms per step of its segment: the run's clock adds the segments (30 + 70).
    expect(elapsed).toBe(30);
    expect(training.elapsedMs).toBe(100);
  });

  it('stops a running run, and a paused one without running it again', async () => {
    const { training } = setup();
    const job = new ManualJob(10);
    const run = training.start(job);
    await job.advance(2);
    training.stop();
    await run;
    expect(training.status).toBe('stopped');
    expect(training.canResume).toBe(false);

    const job2 = new ManualJob(10);
    const run2 = training.start(job2);
    await job2.advance(1);
    training.pause();
    await run2;
    training.stop();
    expect(training.status).toBe('stopped');
    expect(job2.segments).toHaveLength(1);
    await training.resume(); // nothing to resume
    expect(job2.segments).toHaveLength(1);
  });

  it('reports a failed job as an error with its message', async () => {
    const { training } = setup();
    const job = new ManualJob(5);
    const run = training.start(job);
    await job.advance(1);
    job.fail('loss is NaN at step 2');
    await run;
    expect(training.status).toBe('error');
    expect(training.error).toBe('loss is NaN at step 2');
  });

  it('a new start halts the run in progress and disposes its job', async () => {
    const { training } = setup();
    const a = new ManualJob(10);
    void training.start(a);
    await a.advance(2);
    const b = new ManualJob(3);
    const runB = training.start(b);
    await flush();
    expect(a.active).toBe(false);
    expect(a.disposed).toBe(1);
    expect(training.currentJob).toBe(b);
    expect(training.step).toBe(0);
    await b.advance(3);
    await runB;
    expect(training.status).toBe('done');
    expect(training.history.map((p) => p.step)).toEqual([1, 2, 3]);
  });

  it('reset stops the run, disposes the job and returns to idle', async () => {
    const { training } = setup();
    const job = new ManualJob(10);
    void training.start(job);
    await job.advance(4);
    await training.reset();
    expect(job.active).toBe(false);
    expect(job.disposed).toBe(1);
    expect(training.status).toBe('idle');
    expect(training.currentJob).toBeNull();
    expect(training.history).toEqual([]);
    expect(training.step).toBe(0);
  });

  it('ended() waits through a pause until the run is stopped; settled() only for the segment', async () => {
    const { training } = setup();
    await training.ended(); // idle: at once
    await training.settled(); // nothing running: at once
    const job = new ManualJob(10);
    void training.start(job);
    let ended = false;
    let settled = false;
    void training.ended().then(() => (ended = true));
    void training.settled().then(() => (settled = true));
    await job.advance(1);
    training.pause();
    await flush();
    expect(training.status).toBe('paused');
    expect(settled).toBe(true);
    expect(ended).toBe(false);
    training.stop();
    await flush();
    expect(ended).toBe(true);
  });

  it('a host leaving the page aborts the run and disposes the job once the segment has ended', async () => {
    const { host, training } = setup();
    const job = new ManualJob(10);
    const run = training.start(job);
    await job.advance(2);
    host.disconnect();
    expect(job.active).toBe(false); // the abort ends the segment
    expect(job.disposed).toBe(0); // not while the segment's promise is still settling
    await run;
    await flush();
    expect(job.disposed).toBe(1);
    expect(training.status).toBe('stopped');
    await training.ended();
  });

  it('a paused run is stopped and its job disposed when the host leaves', async () => {
    const { host, training } = setup();
    const job = new ManualJob(10);
    const run = training.start(job);
    await job.advance(2);
    training.pause();
    await run;
    host.disconnect();
    await flush();
    expect(training.status).toBe('stopped');
    expect(job.disposed).toBe(1);
  });
});

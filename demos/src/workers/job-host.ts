// The worker side of a page's training job (DESIGN: pages train in a Web Worker, the main thread
// only draws): the worker chooses the backend, builds the page's job from its settings, trains it
// and answers the page's questions about it (a view, a decision boundary). One job at a time; each
// build gets an id, so a call about a job freed since is refused and its late dispose ignored.
import type { Ledger, TrainResult } from '@weft/core';
import { exposeInWorker, type CallContext } from './rpc.js';
import { chooseBackend, type BackendChoice } from '../backend-choice.js';
import type { TrainingSegment } from '../controllers/training-controller.js';

/** What a hosted job offers (the demos' jobs have all of it). */
export interface HostedJob {
  readonly totalSteps: number;
  run(segment: TrainingSegment): Promise<TrainResult>;
  ledger(): Ledger;
  setLearningRate(lr: number): void;
  dispose(): void;
}

/**
 * Serve a page's job from this worker: `make` builds it from the page's config (it may take a
 * while, e.g. pretraining a base, and should stop when `signal` aborts), `describe` says
 * what the page draws of a new job besides its ledger (plain data), `methods` answer the page's
 * other questions about the current job.
 */
export function hostJob<C, J extends HostedJob>(
  make: (config: C, signal: AbortSignal) => J | Promise<J>,
  describe: (job: J) => object,
  methods: Record<string, (job: J, ...args: any[]) => unknown> = {},
): void {
  let job: J | null = null;
  let jobId = 0;
  const current = (id: number): J => {
    if (!job || id !== jobId) throw new Error('training worker: that job was freed (a newer one was built)');
    return job;
  };
  exposeInWorker({
    backend: (choice: BackendChoice) => chooseBackend(choice),
    build: async (config: C, ctx: CallContext) => {
      job?.dispose();
      job = null;
      const id = ++jobId;
      const made = await make(config, ctx.signal);
      if (id !== jobId) {
        made.dispose(); // a newer build started meanwhile
        throw new Error('training worker: a newer job was built meanwhile');
      }
      job = made;
      return { id, totalSteps: made.totalSteps, ledger: made.ledger(), ...describe(made) };
    },
    run: (id: number, segment: { fromStep: number; steps: number }, ctx: CallContext) =>
      current(id).run({ ...segment, signal: ctx.signal, onProgress: async (p) => ctx.progress(p) }),
    setLearningRate: (id: number, lr: number) => current(id).setLearningRate(lr),
    call: (id: number, method: string, ...args: unknown[]) => {
      const m = Object.hasOwn(methods, method) ? methods[method] : undefined;
      if (!m) throw new Error(`training worker: no job method "${method}"`);
      return m(current(id), ...args.slice(0, -1)); // the last argument is the call's context
    },
    dispose: (id: number) => {
      if (id !== jobId) return;
      job?.dispose();
      job = null;
    },
  });
}

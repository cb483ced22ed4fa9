// The train page's worker: it chooses the backend, holds the page's ClassifierJob (model,
// optimiser, data) and runs its training, so the page's main thread only draws. Methods are
// called through ./rpc.ts by ClassifierWorkerJob.
import { exposeInWorker, type CallContext } from './rpc.js';
import { chooseBackend, type BackendChoice } from '../backend-choice.js';
import { ClassifierJob, type ClassifierJobConfig } from '../jobs/classifier-job.js';

let job: ClassifierJob | null = null;
/** The id of `job`: a call naming an older job (freed since) is refused, a late dispose of one ignored. */
let jobId = 0;

const current = (id: number): ClassifierJob => {
  if (!job || id !== jobId) throw new Error('classifier worker: that job was freed (a newer one was built)');
  return job;
};

exposeInWorker({
  backend: (choice: BackendChoice) => chooseBackend(choice),
  /** Replace the job with a fresh one; what the page draws of it. */
  build: (config: ClassifierJobConfig) => {
    job?.dispose();
    job = null;
    job = new ClassifierJob(config);
    jobId++;
    return { id: jobId, totalSteps: job.totalSteps, ledger: job.ledger(), points: job.points, extent: job.extent };
  },
  run: (id: number, segment: { fromStep: number; steps: number }, ctx: CallContext) =>
    current(id).run({ ...segment, signal: ctx.signal, onProgress: async (p) => ctx.progress(p) }),
  field: (id: number, resolution?: number) => current(id).predictField(resolution),
  setLearningRate: (id: number, lr: number) => current(id).setLearningRate(lr),
  dispose: (id: number) => {
    if (id !== jobId) return;
    job?.dispose();
    job = null;
  },
});

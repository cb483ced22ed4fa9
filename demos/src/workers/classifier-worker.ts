// The train page's worker: its ClassifierJob (model, optimiser, data) lives and trains here, and
// the decision boundary's forward pass runs here, so the page's main thread only draws.
import { hostJob } from './job-host.js';
import { ClassifierJob, type ClassifierJobConfig } from '../jobs/classifier-job.js';

hostJob((config: ClassifierJobConfig) => new ClassifierJob(config), (job) => ({ points: job.points, extent: job.extent }), {
  field: (job, resolution?: number) => job.predictField(resolution),
});

// The sharing page's worker: its SharingJob (the shared model, its unshared baseline, both
// optimisers, the data) lives and trains here, and the decision boundaries, the diffusion samples,
// TokenFormer's growth, the per-token depths and FoldGPT's cut are computed here, so the page's main thread only draws.
import { hostJob } from './job-host.js';
import { SharingJob } from '../jobs/sharing-job.js';
import type { SharingState } from '../pages/sharing-state.js';

hostJob((state: SharingState) => new SharingJob(state), (job) => job.describe(), {
  fields: (job, resolution?: number) => job.predictFields(resolution),
  samples: (job) => job.samples(),
  growth: (job) => job.growthNow(),
  depths: (job) => job.depths(),
  experts: (job) => job.expertLoads(),
  fold: (job) => job.foldReport,
});

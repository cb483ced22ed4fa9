// The MoE page's worker: its MoEJob (regressor, optimiser, data) lives and trains here, and the
// heatmap's probe forward pass runs here, so the page's main thread only draws.
import { hostJob } from './job-host.js';
import { MoEJob } from '../jobs/moe-job.js';
import type { MoEState } from '../pages/moe-state.js';

hostJob((state: MoEState) => new MoEJob(state), () => ({}), {
  view: (job) => job.view(),
});

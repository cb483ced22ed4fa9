// The comparison page's worker: each technique's model is built (pretraining or searching first
// where the technique does), trained, evaluated and asked for its decision boundary here, so the
// page's main thread only draws.
import { Rng } from '@weft/core';
import { hostJob } from './job-host.js';
import { CompareJob, makeCompareData, type CompareTaskConfig } from '../jobs/compare-job.js';
import { TECHNIQUES } from '../compare/techniques.js';
import type { Extent } from '../plane.js';

/** What each technique's build says it did before the budget (e.g. pretrained a base). */
const notes = new WeakMap<CompareJob, string>();

hostJob(
  async ({ technique, config }: { technique: string; config: CompareTaskConfig }, signal: AbortSignal) => {
    const entry = TECHNIQUES.find((t) => t.id === technique);
    if (!entry) throw new Error(`compare worker: no technique "${technique}"`);
    const data = makeCompareData(config);
    const built = await entry.build({ data, config, rng: new Rng(config.seed).fork('init'), signal });
    const job = new CompareJob(built, data, config);
    notes.set(job, built.note ?? '');
    return job;
  },
  (job) => ({ note: notes.get(job) ?? '' }),
  {
    evaluate: (job) => job.evaluate(),
    field: (job, extent: Extent, resolution?: number) => job.predictField(extent, resolution),
  },
);

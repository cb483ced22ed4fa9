// The NAS page's worker: its NasJob (the planted task or the shapes, the supernet, the searcher
// and its optimisers) lives and searches here, and each report's view (α or β, the derived
// genotype or subnet, perturbation selection) and the found-vs-random retraining run here, so the
// page's main thread only draws. The view is computed inside the search loop at every report, as
// on the main thread before: a searcher's pause (few-shot NAS splits its supernet there) must run
// between two steps, never while a step is under way; the page then reads the latest view.
import type { Ledger, TrainResult } from '@weft/core';
import type { Genotype } from '@weft/nas';
import type { NasView } from '../jobs/nas-job.js';
import { hostJob, type HostedJob } from './job-host.js';
import { NasJob } from '../jobs/nas-job.js';
import type { TrainingSegment } from '../controllers/training-controller.js';
import type { NasState } from '../pages/nas-state.js';

/** A search as the worker's one job (the ledgers are computed once: the entangled one extracts a subnet). */
class NasHost implements HostedJob {
  readonly job: NasJob;
  /** The supernet's ledger, and (entangled) its largest subnet's. */
  readonly ledgers: { supernet: Ledger; largest: Ledger | null };
  /** The view of the latest report (null before the first). */
  latest: NasView | null = null;

  constructor(readonly state: NasState) {
    this.job = new NasJob(state);
    this.ledgers = this.job.ledgers();
  }

  get totalSteps(): number {
    return this.job.totalSteps;
  }

  run(segment: TrainingSegment): Promise<TrainResult> {
    return this.job.run({
      ...segment,
      onProgress: async (p) => {
        this.latest = await this.job.view(this.state.selection);
        await segment.onProgress(p);
      },
    });
  }

  ledger(): Ledger {
    return this.ledgers.supernet;
  }

  setLearningRate(): void {
    throw new Error('nas worker: the search runs at its fixed learning rates (w 0.01, α from the settings)');
  }

  dispose(): void {
    this.job.dispose();
  }
}

hostJob((state: NasState) => new NasHost(state), (h) => ({ ledgers: h.ledgers }), {
  /** The latest report's view (the page asks after each report); before any, null. */
  view: (h) => h.latest,
  retrain: (h, found: Genotype) => h.job.retrain(found),
});

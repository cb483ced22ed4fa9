// The base of moe.html's lab views: the page's lab worker, the seed, the view's width, and the one
// experiment each view runs in the worker (its status, progress and result for the view to draw).
import { LitElement } from 'lit';
import { LabRunController } from '../controllers/lab-run-controller.js';
import { WidthController } from '../controllers/width-controller.js';
import type { MoELabClient } from '../jobs/moe-lab-client.js';
import { labViewStyles } from '../styles/moe-lab.js';

/** A lab view whose experiment is the worker's `job`, reporting progress P and finishing with R. */
export abstract class MoELabView<P, R> extends LitElement {
  static override properties = { lab: { attribute: false }, seed: { type: Number } };
  static override styles = labViewStyles;
  /** The page's lab worker. */
  declare lab: MoELabClient | null;
  /** Seed of the data and the weights. */
  declare seed: number;
  /** The view's width (for its charts). */
  protected readonly size = new WidthController(this, 800);
  /** The experiment, run in the lab worker on demand. */
  protected readonly experiment: LabRunController<P, R>;

  constructor(job: string) {
    super();
    this.lab = null;
    this.seed = 1;
    this.experiment = new LabRunController<P, R>(this, (onProgress, signal, onStart) => {
      if (!this.lab) return Promise.reject(new Error('the lab worker is not ready'));
      return this.lab.run(job, this.jobArgs(), onProgress, signal, onStart);
    });
  }

  /** The job's arguments. Default: [seed]. */
  protected jobArgs(): unknown[] {
    return [this.seed];
  }
}

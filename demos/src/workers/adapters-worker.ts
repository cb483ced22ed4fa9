// The adapters page's worker: its lab (the base MLP, every method's adapter, the full fine-tuning
// copy) and the merge explorer's task LoRAs live and train here, and their accuracies, decision
// boundaries, mixes, merges, Arrow routing, the routed merges, PEFT files and the Selective LoRA, S2A,
// controllable-width and CRaSh cards are computed here, so the page's main
// thread only draws. The page sets which phase the job's next run trains (pretraining, one method,
// one task LoRA), then runs it as a job of its TrainingController.
import { parameterLedger, type Ledger, type TrainResult } from '@weft/core';
import { hostJob, type HostedJob } from './job-host.js';
import { AdaptersLab, type AdaptersLabConfig } from '../jobs/adapters-job.js';
import { MergeExplorer } from '../jobs/merge-explorer-job.js';
import type { RoutedOptions } from '../jobs/routed-merges.js';
import type { TrainingSegment } from '../controllers/training-controller.js';
import type { AdapterMethodChoice } from '../pages/adapters-state.js';

/** What the job's next run trains. */
export type AdaptersPhase = { kind: 'pretrain' } | { kind: 'finetune'; method: AdapterMethodChoice } | { kind: 'task'; k: number };

/** The lab and its merge explorer as the worker's one job. */
class AdaptersHost implements HostedJob {
  readonly lab: AdaptersLab;
  explorer: MergeExplorer | null = null;
  phase: AdaptersPhase = { kind: 'pretrain' };
  /** Each phase has its own step count, given by the page's run. */
  readonly totalSteps = 0;

  constructor(config: AdaptersLabConfig) {
    this.lab = new AdaptersLab(config);
  }

  run(s: TrainingSegment): Promise<TrainResult> {
    const p = this.phase;
    if (p.kind === 'pretrain') return this.lab.pretrain(s.steps, s.onProgress, s.signal);
    if (p.kind === 'finetune') return this.lab.finetune(p.method, s.steps, s.onProgress, s.signal);
    if (!this.explorer) throw new Error('adapters worker: start the merge explorer before training a task');
    return this.explorer.trainTask(p.k, s.steps, s.onProgress, s.signal);
  }

  ledger(): Ledger {
    return parameterLedger(this.lab.base);
  }

  setLearningRate(): void {
    throw new Error('adapters worker: each phase trains at its own fixed learning rate');
  }

  /** The explorer, once started. */
  get ex(): MergeExplorer {
    if (!this.explorer) throw new Error('adapters worker: start the merge explorer first');
    return this.explorer;
  }

  dispose(): void {
    this.explorer?.dispose();
    this.lab.dispose();
  }
}

hostJob(
  (config: AdaptersLabConfig) => new AdaptersHost(config),
  ({ lab }) => ({
    taskPoints: { x: Float32Array.from(lab.taskPoints.x as Float32Array), y: Int32Array.from(lab.taskPoints.y as Int32Array), numClasses: lab.taskPoints.numClasses ?? 2 },
    extent: lab.extent,
    baseParams: lab.baseParams,
  }),
  {
    phase: (h, phase: AdaptersPhase) => {
      h.phase = phase;
    },
    /** After a pretraining or fine-tuning run: whether the base is ready, and `key`'s result and decision boundary (null unless every step ran). */
    outcome: (h, key: AdapterMethodChoice | 'base') => ({
      baseReady: h.lab.baseReady,
      result: key === 'base' ? null : (h.lab.results.get(key) ?? null),
      field: h.lab.fields.get(key) ?? null,
    }),
    accuracy: (h, on: 'task' | 'base') => h.lab.accuracy(on),
    loadBase: async (h, bytes: Uint8Array) => {
      await h.lab.loadBase(bytes);
      return h.lab.fields.get('base') ?? null;
    },
    saveBase: (h) => h.lab.saveBase(),
    mix: (h, weights: Partial<Record<AdapterMethodChoice, number>>) => h.lab.mix(weights),
    peft: (h, method: AdapterMethodChoice) => h.lab.peft(method),
    selective: (h, steps: number) => h.lab.selective(steps),
    s2a: (h, steps: number) => h.lab.s2a(steps),
    controllable: (h, steps: number) => h.lab.controllable(steps),
    crash: (h, preSteps: number, steps: number) => h.lab.crash(preSteps, steps),
    startExplorer: (h) => {
      h.explorer?.dispose();
      h.explorer = new MergeExplorer(h.lab.base, h.lab.config);
      return h.explorer.angles;
    },
    references: (h) => h.ex.references(),
    merge: (h, method: string, weights: number[], options: Record<string, number>) => h.ex.merge(method, weights, options),
    table: (h, weights: number[]) => h.ex.table(weights),
    arrow: (h) => h.ex.arrow(),
    routed: (h, options: RoutedOptions) => h.ex.routed(options),
    transfer: (h, steps: number) => h.ex.transfer(steps),
  },
);

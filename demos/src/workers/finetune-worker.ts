// The fine-tune page's worker: its FinetuneLab (the checkpoint the user picked, read here from the
// files the page hands over, or the seeded demo llama; its tokenizer, LoRA adapter and optimiser)
// lives and trains here, and generation and the PEFT / merged-model files are computed here, so
// the page's main thread only draws. The page prepares each run (training text, a fresh adapter)
// and then runs it as a job of its TrainingController.
import { parameterLedger, type Ledger, type TrainResult } from '@weft/core';
import type { HfFiles } from '@weft/hf';
import { hostJob, type HostedJob } from './job-host.js';
import { FinetuneLab, type FinetuneSettings } from '../jobs/finetune-job.js';
import type { TrainingSegment } from '../controllers/training-controller.js';

/** What the worker loads: a picked folder's files (by name) or, with `files: null`, the demo model of `seed`. */
export interface FinetuneLabConfig {
  files: HfFiles | null;
  /** The folder's name (shown as the model's source). */
  name: string;
  seed: number;
}

/** The lab as the worker's one job; each run uses the settings of the last `prepare`. */
class FinetuneHost implements HostedJob {
  /** Each run has its own step count, given by the page. */
  readonly totalSteps = 0;
  settings: FinetuneSettings | null = null;

  constructor(readonly lab: FinetuneLab) {}

  run(s: TrainingSegment): Promise<TrainResult> {
    if (!this.settings) throw new Error('finetune worker: prepare a run (training text, adapter) before training');
    return this.lab.finetune(this.settings, s.fromStep, s.steps, s.onProgress, s.signal);
  }

  ledger(): Ledger {
    return parameterLedger(this.lab.model);
  }

  setLearningRate(): void {
    throw new Error('finetune worker: the learning rate is set when a run is prepared');
  }

  dispose(): void {
    this.lab.dispose();
  }
}

hostJob(
  async (c: FinetuneLabConfig) => new FinetuneHost(c.files ? await FinetuneLab.fromFiles(c.files, c.name) : FinetuneLab.demo(c.seed)),
  ({ lab }) => ({ summary: lab.summary(), maxWindow: lab.hf.spec.kind === 'gpt2' ? lab.hf.spec.maxPositions : null }),
  {
    /** Tokenize `text` for windows of `settings.window`, attach a fresh adapter; the token count and the summary with it. */
    prepare: (h, text: string, settings: FinetuneSettings) => {
      const tokens = h.lab.setTrainingText(text, settings.window);
      h.lab.startAdapter(settings.r, settings.learningRate, settings.seed);
      h.settings = settings;
      return { tokens, summary: h.lab.summary() };
    },
    summary: (h) => h.lab.summary(),
    generate: (h, prompt: string, maxNewTokens: number, temperature: number, seed: number) => h.lab.generate(prompt, maxNewTokens, temperature, seed),
    peft: (h) => h.lab.peft(),
    merged: (h) => h.lab.merged(),
  },
);

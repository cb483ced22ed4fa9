// The URL state of finetune.html: the fine-tuning settings (the model and the texts stay in the tab).
import { BACKEND_CHOICES } from '../backend-choice.js';
import { choiceParam, intParam, numberParam, type UrlState } from '../url-state.js';

/** Query parameters of finetune.html, their defaults and bounds. */
export const FINETUNE_SCHEMA = {
  /** Fine-tuning steps. */
  steps: intParam({ min: 1, max: 100_000, default: 200 }),
  /** LoRA rank on the attention projections. */
  r: intParam({ min: 1, max: 64, default: 8 }),
  /** Adam's learning rate. */
  lr: numberParam({ min: 0, max: 1, default: 0.003, exclusiveMin: true }),
  /** Tokens per training window. */
  window: intParam({ min: 2, max: 1024, default: 48 }),
  /** Windows per step. */
  batch: intParam({ min: 1, max: 64, default: 8 }),
  /** Seed of the demo model, the adapter's initialisation, the batches and sampling. */
  seed: intParam({ min: 0, max: 2 ** 31 - 1, default: 1 }),
  /** Backend, or `auto`. */
  backend: choiceParam(BACKEND_CHOICES, 'auto'),
};

/** The state of finetune.html. */
export type FinetuneState = UrlState<typeof FINETUNE_SCHEMA>;

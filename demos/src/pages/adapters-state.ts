// The URL state of adapters.html: everything needed to reproduce a session from a link.
import { choiceParam, intParam } from '../url-state.js';
import { BACKEND_CHOICES } from '../backend-choice.js';

/** Base tasks the page offers (2-D classification datasets of the core registry). */
export const ADAPTER_DATASETS = ['moons', 'spirals'] as const;

/** The methods compared side by side ("full" is full fine-tuning, the reference). */
export const ADAPTER_METHODS = ['lora', 'dora', 'loha', 'lokr', 'ia3', 'full'] as const;
/** One compared method. */
export type AdapterMethodChoice = (typeof ADAPTER_METHODS)[number];

/** Query parameters of adapters.html, their defaults and bounds. */
export const ADAPTERS_SCHEMA = {
  /** Base dataset; the new task is the same data rotated by `angle`. */
  dataset: choiceParam(ADAPTER_DATASETS, 'moons'),
  /** Rotation of the new task, degrees. */
  angle: intParam({ min: -180, max: 180, default: 90 }),
  /** Seed of data, weights and batches. */
  seed: intParam({ min: 0, max: 2 ** 31 - 1, default: 1 }),
  /** Rank of LoRA/DoRA/LoHa/LoKr (the 2-input first layer caps it at 2 there). */
  r: intParam({ min: 1, max: 16, default: 4 }),
  /** Pretraining steps of the base. */
  baseSteps: intParam({ min: 1, max: 20_000, default: 600 }),
  /** Fine-tuning steps of each method. */
  steps: intParam({ min: 1, max: 20_000, default: 300 }),
  /** Backend, or `auto`. */
  backend: choiceParam(BACKEND_CHOICES, 'auto'),
};

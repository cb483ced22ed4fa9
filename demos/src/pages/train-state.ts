// The URL state of train.html: everything needed to reproduce a run from a link.
import { OPTIMIZERS, type OptimizerConfig } from '@weft/core';
import { BACKEND_CHOICES } from '../backend-choice.js';
import { twoDimClassification } from './datasets.js';
import { choiceParam, intListParam, intParam, numberParam, type UrlState } from '../url-state.js';

/** The datasets the MLP page offers: every 2-D classification dataset of core's registry. */
export const TRAIN_DATASETS = twoDimClassification();

/** Optimisers the page offers: every name `makeOptimizer` knows, Adam (the default) first. */
export const TRAIN_OPTIMIZERS = ['adam', ...OPTIMIZERS.filter((o) => o !== 'adam')] as const satisfies readonly OptimizerConfig['name'][];

/** Query parameters of train.html, their defaults and bounds. */
export const TRAIN_SCHEMA = {
  /** Dataset name from the core registry. */
  dataset: choiceParam(TRAIN_DATASETS, TRAIN_DATASETS.includes('spirals') ? 'spirals' : TRAIN_DATASETS[0]),
  /** Seed of the data, the initial weights and the batch order. */
  seed: intParam({ min: 0, max: 2 ** 31 - 1, default: 1 }),
  /** Hidden layer widths (empty = logistic regression). Bounded so a link cannot freeze the tab. */
  hidden: intListParam({ minLength: 0, maxLength: 6, min: 1, max: 512, default: [32, 32] }),
  /** Optimiser. */
  optimizer: choiceParam(TRAIN_OPTIMIZERS, 'adam'),
  /** Learning rate. */
  lr: numberParam({ min: 0, max: 10, default: 0.01, exclusiveMin: true }),
  /** Training steps. */
  steps: intParam({ min: 1, max: 100_000, default: 2000 }),
  /** Examples per step (each dataset has 1000 points by default). */
  batch: intParam({ min: 1, max: 1000, default: 64 }),
  /** Backend, or `auto`. */
  backend: choiceParam(BACKEND_CHOICES, 'auto'),
};

/** The state of train.html. */
export type TrainState = UrlState<typeof TRAIN_SCHEMA>;

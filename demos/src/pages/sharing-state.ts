// The URL state of sharing.html: everything needed to reproduce a comparison from a link.
import { choiceParam, intListParam, intParam, numberParam, type UrlState } from '../url-state.js';
import { BACKEND_CHOICES } from '../backend-choice.js';

/** Cross-layer plans of @weft/sharing's registry, then the two hashed methods. */
export const SHARING_CHOICES = ['all-shared', 'groups', 'cycle', 'cycle-reverse', 'sandwich', 'block-repeat', 'custom', 'stable-rps', 'roast'] as const;
/** A sharing choice of the page. */
export type SharingChoice = (typeof SHARING_CHOICES)[number];
/** Whether a choice is hashed sharing (an MLP whose weights live in one hashed array). */
export const isHashed = (s: SharingChoice): s is 'roast' | 'stable-rps' => s === 'roast' || s === 'stable-rps';

/** The two model/task pairs: an MLP stack on spirals, a Transformer on sorting. */
export const SHARING_MODELS = ['mlp', 'transformer'] as const;

/** Query parameters of sharing.html, their defaults and bounds (bounded so a link cannot freeze the tab). */
export const SHARING_SCHEMA = {
  /** The sharing plan or hashed method. */
  sharing: choiceParam(SHARING_CHOICES, 'all-shared'),
  /** 'mlp' (residual MLP stack on 3-arm spirals) or 'transformer' (tiny Transformer sorting 5 tokens). */
  model: choiceParam(SHARING_MODELS, 'mlp'),
  /** Layer slots L. */
  depth: intParam({ min: 1, max: 12, default: 6 }),
  /** Width of every slot (MLP hidden units, Transformer dim). */
  width: intParam({ min: 4, max: 128, default: 32 }),
  /** K for groups, cycle and cycle-reverse; the repeat count for block-repeat. */
  unique: intParam({ min: 1, max: 12, default: 2 }),
  /** The slot → block map of the custom plan (one block index per slot). */
  map: intListParam({ minLength: 1, maxLength: 12, min: 0, max: 11, default: [0, 1, 1, 1, 1, 0] }),
  /** Virtual weights per stored value (hashed sharing). */
  compression: numberParam({ min: 1, max: 64, default: 8 }),
  /** Training steps (each trains both models once). */
  steps: intParam({ min: 1, max: 20_000, default: 1500 }),
  /** Adam learning rate of both models. */
  lr: numberParam({ min: 0, max: 1, default: 0.01, exclusiveMin: true }),
  /** Seed of the data, both models' weights and the batch order. */
  seed: intParam({ min: 0, max: 2 ** 31 - 1, default: 1 }),
  /** Backend, or `auto`. */
  backend: choiceParam(BACKEND_CHOICES, 'auto'),
};

/** The state of sharing.html. */
export type SharingState = UrlState<typeof SHARING_SCHEMA>;

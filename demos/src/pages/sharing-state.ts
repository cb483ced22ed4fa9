// The URL state of sharing.html: everything needed to reproduce a comparison from a link; the
// choices come from the sharing-plan registry (core's, re-exported by @weft/sharing) and the
// hashed methods of @weft/sharing.
import { HASH_METHODS, SHARING_PLANS, type HashMethod } from '@weft/sharing';
import { BACKEND_CHOICES } from '../backend-choice.js';
import { choiceParam, intListParam, intParam, numberParam, type UrlState } from '../url-state.js';
import { PAGE_TECHNIQUES, isTechnique } from './sharing-techniques.js';

/**
 * Every registered cross-layer plan except `none` — the page trains each plan beside the unshared
 * baseline, which is `none` — then the hashed methods, then the other techniques of the page's table.
 */
export const SHARING_CHOICES = [...Object.keys(SHARING_PLANS).filter((name) => name !== 'none'), ...HASH_METHODS, ...Object.keys(PAGE_TECHNIQUES)] as string[] as [string, ...string[]];
/** A sharing choice of the page: a plan name or a hashed method. */
export type SharingChoice = string;
/** Whether a choice is hashed sharing (an MLP whose weights live in one hashed array). */
export const isHashed = (s: SharingChoice): s is HashMethod => (HASH_METHODS as readonly string[]).includes(s);

/**
 * Which of a plan's options the page's fields set, read from the plan's defaults: its integer
 * option (groups, unique, repeat) takes the "K" field, its list option (the custom map) the Map field.
 */
export function planFields(choice: SharingChoice): { size: string | null; map: string | null } {
  if (isTechnique(choice)) return { size: PAGE_TECHNIQUES[choice]!.sizeField, map: null };
  const defaults = (!isHashed(choice) && Object.hasOwn(SHARING_PLANS, choice) ? SHARING_PLANS[choice]!.defaults : {}) as Record<string, unknown>;
  const keys = Object.keys(defaults);
  return {
    size: keys.find((k) => typeof defaults[k] === 'number') ?? null,
    map: keys.find((k) => Array.isArray(defaults[k])) ?? null,
  };
}

/** The two model/task pairs: an MLP stack on spirals, a Transformer on sorting. */
export const SHARING_MODELS = ['mlp', 'transformer'] as const;

/** Query parameters of sharing.html, their defaults and bounds (bounded so a link cannot freeze the tab). */
export const SHARING_SCHEMA = {
  /** The sharing plan or hashed method. */
  sharing: choiceParam(SHARING_CHOICES, SHARING_CHOICES.includes('all-shared') ? 'all-shared' : SHARING_CHOICES[0]),
  /** 'mlp' (residual MLP stack on 3-arm spirals) or 'transformer' (tiny Transformer sorting 5 tokens). */
  model: choiceParam(SHARING_MODELS, 'mlp'),
  /** Layer slots L. */
  depth: intParam({ min: 1, max: 12, default: 6 }),
  /** Width of every slot (MLP hidden units, Transformer dim). */
  width: intParam({ min: 4, max: 128, default: 32 }),
  /** The plan's integer option (see {@link planFields}): K for groups, cycle and cycle-reverse; the repeat count for block-repeat. */
  unique: intParam({ min: 1, max: 12, default: 2 }),
  /** The plan's list option (see {@link planFields}): the slot → block map of the custom plan. */
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

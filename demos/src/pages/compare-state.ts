// The URL state of compare.html: the shared task's budget and seed, the backend, and which
// techniques to run (a comma-separated list of ids from TECHNIQUES, in queue order).
import type { ParamSpec } from '../url-state.js';
import { choiceParam, intParam, numberParam, type UrlState } from '../url-state.js';
import { TECHNIQUES } from '../compare/techniques.js';
import { BACKEND_CHOICES } from '../backend-choice.js';

const IDS = TECHNIQUES.map((t) => t.id);

/** A subset of the technique ids, written comma-separated (unknown or repeated ids are invalid). */
function techniqueListParam(): ParamSpec<string[]> {
  const describe = `a comma-separated list of ${IDS.join(', ')}`;
  return {
    default: [...IDS],
    describe,
    parse(raw) {
      const parts = raw.split(',').map((p) => p.trim().toLowerCase()).filter(Boolean);
      if (parts.length === 0 || parts.some((p) => !IDS.includes(p)) || new Set(parts).size !== parts.length) return { ok: false, expected: describe };
      return { ok: true, value: IDS.filter((id) => parts.includes(id)) };
    },
    format: (v) => v.join(','),
  };
}

/** Query parameters of compare.html. */
export const COMPARE_SCHEMA = {
  /** Techniques to run, in the page's order. */
  techniques: techniqueListParam(),
  /** Steps per run (the same for every technique). */
  steps: intParam({ min: 10, max: 20_000, default: 600 }),
  /** Examples per step. */
  batch: intParam({ min: 1, max: 800, default: 64 }),
  /** Adam learning rate. */
  lr: numberParam({ min: 0, max: 1, default: 0.01, exclusiveMin: true }),
  /** Seed of the data, the weights and the batch order (the same for every technique). */
  seed: intParam({ min: 0, max: 2 ** 31 - 1, default: 1 }),
  /** Backend, or `auto`. */
  backend: choiceParam(BACKEND_CHOICES, 'auto'),
};

/** The state of compare.html. */
export type CompareState = UrlState<typeof COMPARE_SCHEMA>;

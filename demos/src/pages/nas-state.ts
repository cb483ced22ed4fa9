// The URL state of nas.html: everything needed to reproduce a search from a link.
import { searchMethodNames } from '@weft/nas';
import { choiceParam, intParam, numberParam, type UrlState } from '../url-state.js';
import { BACKEND_CHOICES } from '../backend-choice.js';

/**
 * Search spaces the page offers: a DARTS cell over vector ops, the DARTS conv cell on 8×8 shapes, or
 * a weight-entangled MLP. Not a registry list: each is a setup of the page with its own task in
 * jobs/nas-job.ts (a planted teacher, shapes), built from @weft/nas's op and search registries.
 */
export const NAS_SPACES = ['cell', 'conv', 'entangled'] as const;
/** Every registered search method (cell methods need the cell space, entangled ones the entangled space). */
export const NAS_METHODS = searchMethodNames() as [string, ...string[]];
/** Genotype selection: α-argmax (DARTS) or perturbation-based (the page's two readings of a supernet, not a registry). */
export const NAS_SELECTION = ['alpha', 'perturbation'] as const;

/** Query parameters of nas.html, their defaults and bounds. */
export const NAS_SCHEMA = {
  /** Search space. */
  space: choiceParam(NAS_SPACES, 'cell'),
  /** Search method (registry name). */
  method: choiceParam(NAS_METHODS, 'darts'),
  /** How the genotype is read from the supernet. */
  selection: choiceParam(NAS_SELECTION, 'alpha'),
  /** Search steps. */
  steps: intParam({ min: 1, max: 5000, default: 300 }),
  /** Learning rate of the architecture optimiser (Adam, β1 = 0.5). */
  archLr: numberParam({ min: 0, max: 1, default: 0.01, exclusiveMin: true }),
  /** Seed of the teacher, the data and the supernet. */
  seed: intParam({ min: 0, max: 2 ** 31 - 1, default: 1 }),
  /** Backend, or `auto`. */
  backend: choiceParam(BACKEND_CHOICES, 'auto'),
};

/** The state of nas.html. */
export type NasState = UrlState<typeof NAS_SCHEMA>;

// The URL state of moe.html: everything needed to reproduce a mixture-of-experts run from a link.
import { DROP_POLICIES, EXPERT_KINDS, LOAD_BALANCE_FORMS, routerNames } from '@weft/moe';
import { BACKEND_CHOICES } from '../backend-choice.js';
import { choiceParam, intParam, numberParam, type UrlState } from '../url-state.js';

/** Routers of @weft/moe's registry. */
export const MOE_ROUTERS = routerNames() as [string, ...string[]];
/** Load-balancing loss forms of @weft/moe, or none (the loss is then reported, not trained). */
export const MOE_BALANCE = [...LOAD_BALANCE_FORMS, 'none'] as const;
/** Expert kinds of @weft/moe's stacked experts. */
export const MOE_EXPERTS = EXPERT_KINDS;
/** Drop policies of @weft/moe's capacity dispatch. */
export const MOE_DROP = DROP_POLICIES;
/** The layer in the middle of the regressor: the plain MoE or one of the layers built on it. */
export const MOE_LAYERS = ['moe', 'chain-of-experts', 'grove', 'mpoe'] as const;

/** Query parameters of moe.html, their defaults and bounds (bounded so a link cannot freeze the tab). */
export const MOE_SCHEMA = {
  /** Layer: MoE, Chain-of-Experts (2 iterations), Grove MoE (adjugate experts), MPOE (MPO experts). */
  layer: choiceParam(MOE_LAYERS, 'moe'),
  /** Router name. */
  router: choiceParam(MOE_ROUTERS, 'mixtral'),
  /** Routed experts E. */
  experts: intParam({ min: 2, max: 32, default: 8 }),
  /** Experts per token k. */
  k: intParam({ min: 1, max: 8, default: 2 }),
  /** Expert kind. */
  expert: choiceParam(MOE_EXPERTS, 'ffn'),
  /** Capacity factor; 0 means dropless. */
  capacity: numberParam({ min: 0, max: 8, default: 0 }),
  /** Which pairs win when an expert is full. */
  drop: choiceParam(MOE_DROP, 'position'),
  /** Load-balancing loss form. */
  balance: choiceParam(MOE_BALANCE, 'switch'),
  /** Weight of the load-balancing loss. */
  aux: numberParam({ min: 0, max: 10, default: 0.01 }),
  /** Weight of the router z-loss. */
  z: numberParam({ min: 0, max: 10, default: 0.001 }),
  /** Training steps. */
  steps: intParam({ min: 1, max: 20_000, default: 600 }),
  /** Adam learning rate. */
  lr: numberParam({ min: 0, max: 1, default: 0.01, exclusiveMin: true }),
  /** Seed of data, weights, batches and router noise. */
  seed: intParam({ min: 0, max: 2 ** 31 - 1, default: 1 }),
  /** Backend, or `auto`. */
  backend: choiceParam(BACKEND_CHOICES, 'auto'),
};

/** The state of moe.html. */
export type MoEState = UrlState<typeof MOE_SCHEMA>;

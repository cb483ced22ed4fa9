// The router registry: a name -> {defaults, factory}. A new router is one file plus one
// `registerRouter` line here.
import { Rng } from '@weft/core';
import { DSELECT_DEFAULTS, DSelectKRouter } from './dselect.js';
import { EXPERT_CHOICE_DEFAULTS, ExpertChoiceRouter } from './expert-choice.js';
import { GROUPED_DEFAULTS, GroupedRouter } from './grouped.js';
import { HASH_DEFAULTS, HashRouter } from './hash.js';
import { MIXTRAL_DEFAULTS, MixtralRouter } from './mixtral.js';
import { RECURRENT_DEFAULTS, RecurrentRouter, type RouterGRU } from './recurrent.js';
import type { Router, RouterShape } from './router.js';
import { SWITCH_DEFAULTS, SwitchRouter } from './switch.js';
import { NOISY_TOPK_DEFAULTS, NoisyTopKRouter } from './topk.js';

/** Non-JSON extras a factory may take (the shared GRU of a recurrent-router chain). */
export interface RouterExtras {
  /** Share this GRU with the other layers of a recurrent chain. */
  gru?: RouterGRU;
}

/** A registry entry: documented defaults and a factory. */
export interface RouterEntry<C extends object = object> {
  /** One line on what the router does (shown by the demo page). */
  description: string;
  /** Default config (plain JSON). */
  defaults: C;
  /** Build the router for `shape` from a full config. */
  factory: (config: C, shape: RouterShape, rng: Rng, extras: RouterExtras) => Router;
}

const registry = new Map<string, RouterEntry<any>>();

/** Register a router under `name` (throws if taken). */
export function registerRouter<C extends object>(name: string, entry: RouterEntry<C>): void {
  if (registry.has(name)) throw new Error(`registerRouter: a router named "${name}" is already registered`);
  registry.set(name, entry);
}

/** The names of every registered router. */
export function routerNames(): string[] {
  return [...registry.keys()];
}

/** The entry of router `name`. */
export function routerEntry(name: string): RouterEntry<any> {
  const e = registry.get(name);
  if (!e) throw new Error(`router=${JSON.stringify(name)} is not registered; allowed: ${routerNames().join(', ')}`);
  return e;
}

/** Build router `name` with `config` over its defaults (unknown keys are refused). */
export function makeRouter(name: string, config: Record<string, unknown> | undefined, shape: RouterShape, rng: Rng, extras: RouterExtras = {}): Router {
  const entry = routerEntry(name);
  for (const key of Object.keys(config ?? {})) {
    if (!(key in entry.defaults)) {
      const known = Object.keys(entry.defaults);
      throw new Error(`router "${name}": unknown option "${key}"; allowed: ${known.length ? known.join(', ') : '(none)'}`);
    }
  }
  return entry.factory({ ...entry.defaults, ...(config ?? {}) }, shape, rng, extras);
}

registerRouter('topk', { description: 'Noisy top-k softmax (Shazeer et al. 2017)', defaults: NOISY_TOPK_DEFAULTS, factory: (c, s, r) => new NoisyTopKRouter(c, s, r) });
registerRouter('switch', { description: 'Switch top-1 with input jitter (Fedus et al. 2021)', defaults: SWITCH_DEFAULTS, factory: (c, s, r) => new SwitchRouter(c, s, r) });
registerRouter('mixtral', { description: 'Softmax → top-k → renormalise (Mixtral)', defaults: MIXTRAL_DEFAULTS, factory: (c, s, r) => new MixtralRouter(c, s, r) });
registerRouter('expert-choice', { description: 'Each expert picks its top tokens (Zhou et al. 2022)', defaults: EXPERT_CHOICE_DEFAULTS, factory: (c, s, r) => new ExpertChoiceRouter(c, s, r) });
registerRouter('dselect', { description: 'DSelect-k: differentiable binary-code selection (Hazimeh et al. 2021)', defaults: DSELECT_DEFAULTS, factory: (c, s, r) => new DSelectKRouter(c, s, r) });
registerRouter('hash', { description: 'Fixed random-projection hash, nothing learned (after Roller et al. 2021)', defaults: HASH_DEFAULTS, factory: (c, s, r) => new HashRouter(c, s, r) });
registerRouter('grouped', { description: 'Grouped experts: top-k/G inside each of G groups (Pangu MoGE)', defaults: GROUPED_DEFAULTS, factory: (c, s, r) => new GroupedRouter(c, s, r) });
registerRouter('recurrent', { description: 'GRU routing state across layers (RMoE, Qiu et al. 2024)', defaults: RECURRENT_DEFAULTS, factory: (c, s, r, x) => new RecurrentRouter(c, s, r, x.gru) });

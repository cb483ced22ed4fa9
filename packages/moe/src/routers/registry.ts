// The router registry: a name -> one entry object carrying everything the rest of Weft needs to know
// about a router — its kind, its documented defaults, the share of the routed experts one token
// uses, and its factory. Each router registers itself at the end of its own file and
// `routers/index.ts` lists the files, so a new router is its file plus one line there. Nothing
// outside an entry checks a router by name.
import { checkKnownKeys, checkModularity, resolveConfig, describeValue, type Modularity } from '@weft/core';
import type { Rng } from '@weft/core';
import type { RouterGRU } from './recurrent.js';
import type { Router, RouterShape } from './router.js';

/**
 * How a router assigns work, which is what a layer needs to know of it:
 * - 'token-choice': each token picks k experts (k pairs per token, slot-major; `Routing.choices` is
 *   set). Any layer takes it, including those giving each pair its own input (UMoE's attention).
 * - 'expert-choice': each expert picks its tokens (`Routing.perExpert` pairs per expert; a token may
 *   get 0..E experts). The pairs depend on the whole batch: not for layers that need per-token pairs.
 */
export const ROUTER_KINDS = ['token-choice', 'expert-choice'] as const;
/** A router kind (see {@link ROUTER_KINDS}). */
export type RouterKind = (typeof ROUTER_KINDS)[number];

/** Non-JSON extras a factory may take (the shared GRU of a recurrent-router chain). */
export interface RouterExtras {
  /** Share this GRU with the other layers of a recurrent chain. */
  gru?: RouterGRU;
}

/** A registry entry: what a router is, its defaults, its active share and its factory. */
export interface RouterEntry<C extends object = object> {
  /** One line on what the router does (shown by the demo page). */
  description: string;
  /** How it assigns work (what the layer must support). */
  kind: RouterKind;
  /** Its place in Modular Deep Learning's taxonomy (arXiv:2302.11529): experts are function modules, combined by gate-weighted sum. */
  modularity: Modularity;
  /** Default config (plain JSON); every allowed key is here. */
  defaults: C;
  /**
   * Fraction of the routed experts one token uses on average, in [0, 1], for a full config and
   * shape (token-choice: k/E; expert-choice: c·k/E). The layer that owns the experts reports it to
   * the ledger as their active share.
   */
  activeShare: (config: C, shape: RouterShape) => number;
  /** The only k the router routes with (Switch: 1), when it has one; layers with another topK are refused. */
  fixedTopK?: number;
  /** Build the router for `shape` from a full config. */
  factory: (config: C, shape: RouterShape, rng: Rng, extras: RouterExtras) => Router;
}

/** The active share of a token-choice router: its k of E experts. */
export const topKShare = (_config: object, shape: RouterShape): number => Math.min(1, shape.topK / shape.numExperts);

const registry = new Map<string, RouterEntry<any>>();

/** Register a router under `name` (throws if taken). */
export function registerRouter<C extends object>(name: string, entry: RouterEntry<C>): void {
  if (registry.has(name)) throw new Error(`registerRouter: a router named "${name}" is already registered`);
  checkKnownKeys(`registerRouter("${name}")`, entry, ['description', 'kind', 'modularity', 'defaults', 'activeShare', 'fixedTopK', 'factory']);
  checkModularity(`registerRouter("${name}")`, entry.modularity);
  if (!ROUTER_KINDS.includes(entry.kind)) {
    throw new Error(`registerRouter("${name}"): kind=${describeValue(entry.kind)} must be one of ${ROUTER_KINDS.map((k) => JSON.stringify(k)).join(', ')}`);
  }
  registry.set(name, entry);
}

/** The names of every registered router, in registration order. */
export function routerNames(): string[] {
  return [...registry.keys()];
}

/** The entry of router `name`. */
export function routerEntry(name: string): RouterEntry<any> {
  const e = registry.get(name);
  if (!e) throw new Error(`router=${describeValue(name)} is not registered; allowed: ${routerNames().join(', ')}`);
  return e;
}

/** Router `name`'s config: `config` over its defaults (unknown keys are refused, naming the nearest allowed one). */
export function resolveRouterConfig(name: string, config: Record<string, unknown> | undefined): Record<string, unknown> {
  const entry = routerEntry(name);
  return resolveConfig(`router "${name}"`, entry.defaults as Record<string, unknown>, config);
}

/** The share of the routed experts one token uses with router `name`, `config` and `shape` (from its entry). */
export function routerActiveShare(name: string, config: Record<string, unknown> | undefined, shape: RouterShape): number {
  const share = routerEntry(name).activeShare(resolveRouterConfig(name, config), shape);
  if (!(share >= 0 && share <= 1)) throw new Error(`router "${name}": its entry's activeShare returned ${share}; allowed: a share in [0, 1]`);
  return share;
}

/** Build router `name` with `config` over its defaults (unknown keys are refused). */
export function makeRouter(name: string, config: Record<string, unknown> | undefined, shape: RouterShape, rng: Rng, extras: RouterExtras = {}): Router {
  const entry = routerEntry(name);
  if (!(Number.isInteger(shape.numExperts) && shape.numExperts >= 2)) {
    throw new Error(`router "${name}": numExperts=${String(shape.numExperts)} must be an integer ≥ 2 (with one expert there is nothing to route)`);
  }
  if (entry.fixedTopK !== undefined && shape.topK !== entry.fixedTopK) {
    throw new Error(`router "${name}": topK=${shape.topK} must be ${entry.fixedTopK}`);
  }
  return entry.factory(resolveRouterConfig(name, config), shape, rng, extras);
}

// The registry of search methods: name → { family, defaults, factory }. A cell-space method
// builds a DARTS supernet (PC-DARTS adjusts the space: partial channels, edge normalisation); an
// entangled-space method builds a weight-entangled supernet. One `register` line per method.
import { Rng } from '@weft/core';
import type { Genotype } from '../genotype.js';
import type { EntangledSpaceConfig, SubnetConfig } from '../entangled/space.js';
import { EntangledSupernet } from '../entangled/supernet.js';
import type { CellSpaceConfig } from '../space.js';
import { SearchNetwork } from '../supernet.js';
import type { Searcher, TaskLoss } from './bilevel.js';
import { DARTS_DEFAULTS, DartsSearch } from './darts.js';
import { DROPNAS_DEFAULTS, DropNasSearch } from './dropnas.js';
import { GDAS_DEFAULTS, GdasSearch } from './gdas.js';
import { SPOS_DEFAULTS, SposSearch } from './spos.js';
import { SPOS_ENTANGLED_DEFAULTS, SposEntangledSearch } from './spos-entangled.js';
import { TANGLENAS_DEFAULTS, TangleNasSearch } from './tanglenas.js';

/** A cell-space method entry. */
export interface CellMethod {
  family: 'cell';
  /** One line on what it does. */
  description: string;
  /** Config defaults (JSON). */
  defaults: Record<string, unknown>;
  /** Changes the method makes to the space (PC-DARTS). */
  spaceDefaults?: Partial<CellSpaceConfig>;
  factory(net: SearchNetwork, loss: TaskLoss, config: Record<string, unknown>): Searcher<Genotype>;
}

/** An entangled-space method entry. */
export interface EntangledMethod {
  family: 'entangled';
  description: string;
  defaults: Record<string, unknown>;
  factory(net: EntangledSupernet, loss: TaskLoss, config: Record<string, unknown>): Searcher<SubnetConfig>;
}

export type SearchMethod = CellMethod | EntangledMethod;

const METHODS = new Map<string, SearchMethod>();

/** Register a method. */
export function registerSearchMethod(name: string, m: SearchMethod): void {
  if (METHODS.has(name)) throw new Error(`registerSearchMethod: "${name}" is already registered`);
  METHODS.set(name, m);
}

/** The registered method names (optionally of one family). */
export function searchMethodNames(family?: 'cell' | 'entangled'): string[] {
  return [...METHODS].filter(([, m]) => !family || m.family === family).map(([n]) => n);
}

/** A method's entry. */
export function searchMethod(name: string): SearchMethod {
  const m = METHODS.get(name);
  if (!m) throw new Error(`search: method="${name}" is unknown; allowed: ${searchMethodNames().join(', ')}`);
  return m;
}

/** What {@link createCellSearch} returns. */
export interface CellSearch {
  net: SearchNetwork;
  searcher: Searcher<Genotype>;
}

/** What {@link createEntangledSearch} returns. */
export interface EntangledSearch {
  net: EntangledSupernet;
  searcher: Searcher<SubnetConfig>;
}

/** Build a supernet and a searcher of cell-space method `name`. */
export function createCellSearch(name: string, space: Partial<CellSpaceConfig>, loss: TaskLoss, config: Record<string, unknown> = {}, seed = 0): CellSearch {
  const m = searchMethod(name);
  if (m.family !== 'cell') throw new Error(`search: method="${name}" searches an entangled space; use createEntangledSearch (cell methods: ${searchMethodNames('cell').join(', ')})`);
  const net = new SearchNetwork({ ...space, ...m.spaceDefaults }, new Rng(seed));
  return { net, searcher: m.factory(net, loss, { ...m.defaults, ...config }) };
}

/** Build an entangled supernet and a searcher of entangled-space method `name`. */
export function createEntangledSearch(name: string, space: Partial<EntangledSpaceConfig>, loss: TaskLoss, config: Record<string, unknown> = {}, seed = 0): EntangledSearch {
  const m = searchMethod(name);
  if (m.family !== 'entangled') throw new Error(`search: method="${name}" searches a cell space; use createCellSearch (entangled methods: ${searchMethodNames('entangled').join(', ')})`);
  const net = new EntangledSupernet(space, new Rng(seed));
  return { net, searcher: m.factory(net, loss, { ...m.defaults, ...config }) };
}

const plain = (o: object) => JSON.parse(JSON.stringify(o)) as Record<string, unknown>;

registerSearchMethod('darts', {
  family: 'cell',
  description: 'DARTS, first order: softmax-mixed ops, α on validation batches, w on training batches',
  defaults: plain({ ...DARTS_DEFAULTS, order: 1 }),
  factory: (net, loss, c) => new DartsSearch(net, loss, c),
});
registerSearchMethod('darts-2nd', {
  family: 'cell',
  description: 'DARTS, second order: unrolled w′ and the finite-difference Hessian-vector product',
  defaults: plain({ ...DARTS_DEFAULTS, order: 2 }),
  factory: (net, loss, c) => new DartsSearch(net, loss, c),
});
registerSearchMethod('gdas', {
  family: 'cell',
  description: 'GDAS: one op per edge by Gumbel-softmax (straight-through), τ annealed',
  defaults: plain(GDAS_DEFAULTS),
  factory: (net, loss, c) => new GdasSearch(net, loss, c),
});
registerSearchMethod('dropnas', {
  family: 'cell',
  description: 'DropNAS: DARTS with grouped operation dropout',
  defaults: plain(DROPNAS_DEFAULTS),
  factory: (net, loss, c) => new DropNasSearch(net, loss, c),
});
registerSearchMethod('pc-darts', {
  family: 'cell',
  description: 'PC-DARTS: 1/K of the channels through the mixed ops, edge normalisation β',
  defaults: plain({ ...DARTS_DEFAULTS, order: 1 }),
  spaceDefaults: { partialChannels: 2, edgeNormalization: true },
  factory: (net, loss, c) => new DartsSearch(net, loss, c),
});
registerSearchMethod('spos', {
  family: 'cell',
  description: 'SPOS: uniform single-path supernet training, then random search on validation',
  defaults: plain(SPOS_DEFAULTS),
  factory: (net, loss, c) => new SposSearch(net, loss, c),
});
registerSearchMethod('tanglenas', {
  family: 'entangled',
  description: 'TangleNAS: gradient search over the superposition of entangled weight slices',
  defaults: plain(TANGLENAS_DEFAULTS),
  factory: (net, loss, c) => new TangleNasSearch(net, loss, c),
});
registerSearchMethod('spos-entangled', {
  family: 'entangled',
  description: 'SPOS/OFA: one uniformly sampled subnet per step, then random search on validation',
  defaults: plain(SPOS_ENTANGLED_DEFAULTS),
  factory: (net, loss, c) => new SposEntangledSearch(net, loss, c),
});

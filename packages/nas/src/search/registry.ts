// The registry of search methods: name → { family, defaults, factory }. A cell-space method
// builds a DARTS supernet (PC-DARTS adjusts the space: partial channels, edge normalisation); an
// entangled-space method builds a weight-entangled supernet. One `register` line per method.
import { Rng, checkKnownKeys, configKeys, nearestName, unknownKeyError, describeValue } from '@weft/core';
import type { Genotype } from '../genotype.js';
import type { EntangledSpaceConfig, SubnetConfig } from '../entangled/space.js';
import { EntangledSupernet } from '../entangled/supernet.js';
import type { CellSpaceConfig } from '../space.js';
import { SearchNetwork } from '../supernet.js';
import type { Searcher, TaskLoss } from './bilevel.js';
import { DARTS_DEFAULTS, DARTS_KEYS, DartsSearch } from './darts.js';
import { DROPNAS_DEFAULTS, DROPNAS_KEYS, DropNasSearch } from './dropnas.js';
import { GDAS_DEFAULTS, GDAS_KEYS, GdasSearch } from './gdas.js';
import { SPOS_DEFAULTS, SPOS_KEYS, SposSearch } from './spos.js';
import { SPOS_ENTANGLED_DEFAULTS, SPOS_ENTANGLED_KEYS, SposEntangledSearch } from './spos-entangled.js';
import { TANGLENAS_DEFAULTS, TANGLENAS_KEYS, TangleNasSearch } from './tanglenas.js';
import { FEW_SHOT_GM_DEFAULTS, FEW_SHOT_GM_KEYS, FewShotGmSearch } from './few-shot-gm.js';
import { ALPHANET_DEFAULTS, ALPHANET_KEYS, AlphaNetSearch } from './alphanet.js';
import { MIXTURE_SUPERNET_DEFAULTS, MIXTURE_SUPERNET_KEYS, MixtureSupernetSearch } from './mixture-supernet.js';
import { SHARPDARTS_DEFAULTS, SHARPDARTS_KEYS, SharpDartsSearch } from './sharpdarts.js';
import { ROME_DEFAULTS, ROME_KEYS, RomeSearch } from './rome.js';
import { SMASH_DEFAULTS, SMASH_KEYS, SmashSearch } from './smash.js';
import { AUTOHAS_DEFAULTS, AUTOHAS_KEYS, AutoHasSearch } from './autohas.js';
import { L2NAS_DEFAULTS, L2NAS_KEYS, L2NasSearch } from './l2nas.js';
import { EPNAS_DEFAULTS, EPNAS_KEYS, EpnasSearch } from './epnas.js';
import { DDartsSearch } from './d-darts.js';

/** A cell-space method entry. */
export interface CellMethod {
  family: 'cell';
  /** One line on what it does. */
  description: string;
  /** Config defaults (JSON). */
  defaults: Record<string, unknown>;
  /** Every option the method takes: the keys of `defaults` and optional ones without a default. */
  options: readonly string[];
  /** Changes the method makes to the space (PC-DARTS). */
  spaceDefaults?: Partial<CellSpaceConfig>;
  factory(net: SearchNetwork, loss: TaskLoss, config: Record<string, unknown>): Searcher<Genotype>;
}

/** An entangled-space method entry. */
export interface EntangledMethod {
  family: 'entangled';
  /** One line on what it does. */
  description: string;
  /** Config defaults (JSON). */
  defaults: Record<string, unknown>;
  /** Every option the method takes: the keys of `defaults` and optional ones without a default. */
  options: readonly string[];
  factory(net: EntangledSupernet, loss: TaskLoss, config: Record<string, unknown>): Searcher<SubnetConfig>;
}

export type SearchMethod = CellMethod | EntangledMethod;

const METHODS = new Map<string, SearchMethod>();

const ENTRY_KEYS = configKeys<CellMethod>({ family: true, description: true, defaults: true, options: true, spaceDefaults: true, factory: true });

/** Register a method. */
export function registerSearchMethod(name: string, m: SearchMethod): void {
  if (METHODS.has(name)) throw new Error(`registerSearchMethod: "${name}" is already registered`);
  checkKnownKeys(`registerSearchMethod('${name}')`, m, ENTRY_KEYS);
  const missing = Object.keys(m.defaults).filter((k) => !m.options.includes(k));
  if (missing.length) throw new Error(`registerSearchMethod('${name}'): options must list every key of defaults; missing ${missing.join(', ')}`);
  METHODS.set(name, m);
}

/**
 * Refuse an option method `m` does not take, naming the nearest one; a key that is no option's
 * typo but a typo of an option's field (`lerningRate`) points to that field (`weightOptimizer.learningRate`).
 */
function checkOptions(where: string, config: unknown, m: SearchMethod): void {
  if (config !== null && typeof config === 'object' && !Array.isArray(config)) {
    const fields = m.options.flatMap((k) => {
      const d = m.defaults[k];
      return d !== null && typeof d === 'object' && !Array.isArray(d) ? Object.keys(d).map((f) => ({ path: `${k}.${f}`, f })) : [];
    });
    for (const key of Object.keys(config)) {
      if (m.options.includes(key) || nearestName(key, m.options)) continue;
      const f = nearestName(key, fields.map((x) => x.f));
      if (f) throw new Error(`${where}: unknown option '${key}'; did you mean '${fields.find((x) => x.f === f)!.path}'? (allowed: ${m.options.join(', ')})`);
    }
  }
  checkKnownKeys(where, config, m.options);
}

/** The registered method names (optionally of one family). */
export function searchMethodNames(family?: 'cell' | 'entangled'): string[] {
  return [...METHODS].filter(([, m]) => !family || m.family === family).map(([n]) => n);
}

/** A method's entry. */
export function searchMethod(name: string): SearchMethod {
  const m = METHODS.get(name);
  if (!m) throw new Error(`search: method=${describeValue(name)} is unknown; allowed: ${searchMethodNames().join(', ')}`);
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
  checkOptions(`createCellSearch('${name}')`, config, m);
  const net = new SearchNetwork({ ...space, ...m.spaceDefaults }, new Rng(seed));
  return { net, searcher: m.factory(net, loss, { ...m.defaults, ...config }) };
}

/** Build an entangled supernet and a searcher of entangled-space method `name`. */
export function createEntangledSearch(name: string, space: Partial<EntangledSpaceConfig>, loss: TaskLoss, config: Record<string, unknown> = {}, seed = 0): EntangledSearch {
  const m = searchMethod(name);
  if (m.family !== 'entangled') throw new Error(`search: method="${name}" searches a cell space; use createCellSearch (entangled methods: ${searchMethodNames('entangled').join(', ')})`);
  checkOptions(`createEntangledSearch('${name}')`, config, m);
  const net = new EntangledSupernet(space, new Rng(seed));
  return { net, searcher: m.factory(net, loss, { ...m.defaults, ...config }) };
}

const plain = (o: object) => JSON.parse(JSON.stringify(o)) as Record<string, unknown>;

registerSearchMethod('darts', {
  family: 'cell',
  description: 'DARTS, first order: softmax-mixed ops, α on validation batches, w on training batches',
  defaults: plain({ ...DARTS_DEFAULTS, order: 1 }),
  options: DARTS_KEYS,
  factory: (net, loss, c) => new DartsSearch(net, loss, c),
});
registerSearchMethod('darts-2nd', {
  family: 'cell',
  description: 'DARTS, second order: unrolled w′ and the finite-difference Hessian-vector product',
  defaults: plain({ ...DARTS_DEFAULTS, order: 2 }),
  options: DARTS_KEYS,
  factory: (net, loss, c) => new DartsSearch(net, loss, c),
});
registerSearchMethod('gdas', {
  family: 'cell',
  description: 'GDAS: one op per edge by Gumbel-softmax (straight-through), τ annealed',
  defaults: plain(GDAS_DEFAULTS),
  options: GDAS_KEYS,
  factory: (net, loss, c) => new GdasSearch(net, loss, c),
});
registerSearchMethod('sharpdarts', {
  family: 'cell',
  description: 'sharpDARTS: DARTS with Max-W edge weights (1 − max w + w: the strongest op enters with weight 1)',
  defaults: plain(SHARPDARTS_DEFAULTS),
  options: SHARPDARTS_KEYS,
  factory: (net, loss, c) => new SharpDartsSearch(net, loss, c),
});
registerSearchMethod('rome', {
  family: 'cell',
  description: 'ROME: single-path search with the topology (2 edges per node, Gumbel-Top2 on β) apart from the op choice, gradients accumulated over K sampled subnets',
  defaults: plain(ROME_DEFAULTS),
  options: ROME_KEYS,
  factory: (net, loss, c) => new RomeSearch(net, loss, c),
});
registerSearchMethod('dropnas', {
  family: 'cell',
  description: 'DropNAS: DARTS with grouped operation dropout',
  defaults: plain(DROPNAS_DEFAULTS),
  options: DROPNAS_KEYS,
  factory: (net, loss, c) => new DropNasSearch(net, loss, c),
});
registerSearchMethod('pc-darts', {
  family: 'cell',
  description: 'PC-DARTS: 1/K of the channels through the mixed ops, edge normalisation β',
  defaults: plain({ ...DARTS_DEFAULTS, order: 1 }),
  options: DARTS_KEYS,
  spaceDefaults: { partialChannels: 2, edgeNormalization: true },
  factory: (net, loss, c) => new DartsSearch(net, loss, c),
});
registerSearchMethod('spos', {
  family: 'cell',
  description: 'SPOS: uniform single-path supernet training, then random search on validation',
  defaults: plain(SPOS_DEFAULTS),
  options: SPOS_KEYS,
  factory: (net, loss, c) => new SposSearch(net, loss, c),
});
registerSearchMethod('tanglenas', {
  family: 'entangled',
  description: 'TangleNAS: gradient search over the superposition of entangled weight slices',
  defaults: plain(TANGLENAS_DEFAULTS),
  options: TANGLENAS_KEYS,
  factory: (net, loss, c) => new TangleNasSearch(net, loss, c),
});
registerSearchMethod('spos-entangled', {
  family: 'entangled',
  description: 'SPOS/OFA: one uniformly sampled subnet per step, then random search on validation',
  defaults: plain(SPOS_ENTANGLED_DEFAULTS),
  options: SPOS_ENTANGLED_KEYS,
  factory: (net, loss, c) => new SposEntangledSearch(net, loss, c),
});
registerSearchMethod('few-shot-gm', {
  family: 'entangled',
  description: 'Few-shot NAS: SPOS, then the supernet split at the decisions whose choices\' gradients agree least (gradient matching)',
  defaults: plain(FEW_SHOT_GM_DEFAULTS),
  options: FEW_SHOT_GM_KEYS,
  factory: (net, loss, c) => new FewShotGmSearch(net, loss, c),
});
registerSearchMethod('alphanet', {
  family: 'entangled',
  description: 'AlphaNet: sandwich training, the smaller subnets distilled in place from the largest by the adaptive α-divergence',
  defaults: plain(ALPHANET_DEFAULTS),
  options: ALPHANET_KEYS,
  factory: (net, loss, c) => new AlphaNetSearch(net, loss, c),
});
registerSearchMethod('mixture-supernet', {
  family: 'entangled',
  description: 'Mixture-of-Supernets: each subnet runs on a router-gated mix of expert weights, trained by single-path sampling',
  defaults: plain(MIXTURE_SUPERNET_DEFAULTS),
  options: MIXTURE_SUPERNET_KEYS,
  factory: (net, loss, c) => new MixtureSupernetSearch(net, loss, c),
});
registerSearchMethod('smash', {
  family: 'entangled',
  description: 'SMASH: a HyperNet generates each sampled subnet\'s weights from its encoding; subnets ranked by validation loss on generated weights',
  defaults: plain(SMASH_DEFAULTS),
  options: SMASH_KEYS,
  factory: (net, loss, c) => new SmashSearch(net, loss, c),
});
registerSearchMethod('autohas', {
  family: 'entangled',
  description: 'AutoHAS: a REINFORCE controller samples the architecture and the learning rate and weight decay together; its reward is the validation loss after one step with the sampled rate and decay',
  defaults: plain(AUTOHAS_DEFAULTS),
  options: AUTOHAS_KEYS,
  factory: (net, loss, c) => new AutoHasSearch(net, loss, c),
});
registerSearchMethod('l2nas', {
  family: 'entangled',
  description: 'L²NAS: SPOS supernet training, then an actor-critic over continuous architecture encodings proposes subnets, rewarded above the quantile of the search history',
  defaults: plain(L2NAS_DEFAULTS),
  options: L2NAS_KEYS,
  factory: (net, loss, c) => new L2NasSearch(net, loss, c),
});
registerSearchMethod('epnas', {
  family: 'entangled',
  description: 'EPNAS: SPOS supernet training, then progressive growth layer by layer; a ridge surrogate of the evaluations so far sets which expansions are evaluated (sampled, not greedy)',
  defaults: plain(EPNAS_DEFAULTS),
  options: EPNAS_KEYS,
  factory: (net, loss, c) => new EpnasSearch(net, loss, c),
});
registerSearchMethod('d-darts', {
  family: 'cell',
  description: 'D-DARTS: DARTS with one α per cell instead of one per cell type; every cell gets its own genes',
  defaults: plain({ ...DARTS_DEFAULTS, order: 1 }),
  options: DARTS_KEYS,
  spaceDefaults: { cellAlphas: true },
  factory: (net, loss, c) => new DDartsSearch(net, loss, c),
});

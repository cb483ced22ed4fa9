// DropNAS: Grouped Operation Dropout for Differentiable Architecture Search (arXiv 2201.11679):
// ops are split into a parametric and a non-parametric group; during search each op is dropped
// with probability p_d = r^(1/|group|) (r = 3e-5), keeping at least one op per group; dropped ops
// are not computed, so neither they nor their α get gradients. Departures: `none` is treated as
// a non-parametric op that is never computed (DropNAS removes it from the space); DropNAS' α
// regulariser is left out.
import * as tf from '@tensorflow/tfjs-core';
import { rowsOf } from '../supernet.js';
import { checkKnownKeys, configKeys, type Rng } from '@weft/core';
import { isParametric } from '../ops.js';
import type { ArchSampler, SearchNetwork } from '../supernet.js';
import type { TaskLoss } from './bilevel.js';
import { DartsSearch, DARTS_DEFAULTS, type DartsConfig } from './darts.js';

/** Config of {@link DropNasSearch}. */
export interface DropNasConfig extends DartsConfig {
  /** r in p_d = r^(1/|group|). Default 3e-5 (DropNAS). */
  dropBase: number;
}

/** Every key of {@link DropNasConfig}. */
export const DROPNAS_KEYS = configKeys<DropNasConfig>({ weightOptimizer: true, archOptimizer: true, warmupSteps: true, weightSchedule: true, order: true, xi: true, epsilonScale: true, dropBase: true });

/** Defaults of {@link DropNasConfig}. */
export const DROPNAS_DEFAULTS: DropNasConfig = { ...DARTS_DEFAULTS, order: 1, dropBase: 3e-5 };

/** The ops kept on one edge: drop each op of a group with p_d = r^(1/|group|), keep ≥ 1 per group. */
export function dropGroups(groups: readonly number[][], r: number, rng: Rng): number[] {
  const kept: number[] = [];
  for (const g of groups) {
    if (g.length === 0) continue;
    const p = Math.pow(r, 1 / g.length);
    const keep = g.filter(() => rng.next() >= p);
    kept.push(...(keep.length ? keep : [g[rng.int(g.length)]!]));
  }
  return kept.sort((a, b) => a - b);
}

/** A softmax sampler with grouped operation dropout (host-side masks from the context's seeded stream). */
export function dropNasSampler(ops: readonly string[], space: 'conv' | 'vector', r: number): ArchSampler {
  const param = ops.map((o, i) => (isParametric(o, space) ? i : -1)).filter((i) => i >= 0);
  const free = ops.map((o, i) => (!isParametric(o, space) ? i : -1)).filter((i) => i >= 0);
  return (_kind, alpha, ctx) => {
    const w = tf.softmax(alpha, -1);
    return rowsOf(w).map((weights) => ({ weights, active: dropGroups([param, free], r, ctx.rng) }));
  };
}

/** DropNAS search (first-order DARTS with grouped operation dropout). */
export class DropNasSearch extends DartsSearch {
  override readonly method = 'dropnas';
  constructor(net: SearchNetwork, loss: TaskLoss, config: Partial<DropNasConfig> = {}) {
    checkKnownKeys('dropnas', config, DROPNAS_KEYS);
    const c = { ...DROPNAS_DEFAULTS, ...config, order: 1 as const };
    const { dropBase: _r, ...darts } = c;
    super(net, loss, darts);
    if (!(c.dropBase > 0 && c.dropBase < 1)) throw new Error(`dropnas: dropBase=${c.dropBase} must be in (0, 1)`);
    net.sampler = dropNasSampler(net.space.ops, net.space.space, c.dropBase);
  }
}

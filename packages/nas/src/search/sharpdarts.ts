// sharpDARTS: Faster and More Accurate Differentiable Architecture Search (arXiv 1903.09900), §5:
// Max-W regularisation. Each edge mixes its ops with w'_o = 1 − max(w) + w_o, w = softmax(α), so
// the strongest op enters with weight 1 (as it will in the derived network) and every other op
// with 1 minus its gap to the strongest; gradients flow through max as well. The search is DARTS
// (first or second order) with that weighting; sharpDARTS' cosine power annealing is the bilevel
// `weightSchedule` option. Departure: sharpDARTS' SharpSepConv ops (sharp-sep-conv.ts) are ops of
// the registry, not a fixed space of this method.
import * as tf from '@tensorflow/tfjs-core';
import { checkKnownKeys, configKeys, describeValue } from '@weft/core';
import { rowsOf, type ArchSampler, type SearchNetwork } from '../supernet.js';
import type { TaskLoss } from './bilevel.js';
import { DartsSearch, DARTS_DEFAULTS, type DartsConfig } from './darts.js';

/** Config of {@link SharpDartsSearch}. */
export interface SharpDartsConfig extends DartsConfig {
  /** How an edge weights its ops: 'max_w' (1 − max w + w) or 'scalar' (w, as DARTS). Default 'max_w'. */
  weighting: 'max_w' | 'scalar';
}

/** Every key of {@link SharpDartsConfig}. */
export const SHARPDARTS_KEYS = configKeys<SharpDartsConfig>({ weightOptimizer: true, archOptimizer: true, warmupSteps: true, weightSchedule: true, order: true, xi: true, epsilonScale: true, weighting: true });

/** Defaults of {@link SharpDartsConfig}. */
export const SHARPDARTS_DEFAULTS: SharpDartsConfig = { ...DARTS_DEFAULTS, order: 1, weighting: 'max_w' };

/** Max-W weights of a (E, n) α: 1 − max_o w + w with w = softmax(α) per edge (row). */
export function maxWWeights(alpha: tf.Tensor): tf.Tensor {
  const w = tf.softmax(alpha, -1); // (E, n)
  return tf.add(tf.sub(1, tf.max(w, -1, true)), w); // (E, n)
}

/** The Max-W sampler: every op of every edge computed, weighted by {@link maxWWeights}. */
export const maxWSampler: ArchSampler = (_kind, alpha) => rowsOf(maxWWeights(alpha)).map((weights) => ({ weights }));

/** sharpDARTS search: DARTS with Max-W edge weighting (or plain, for comparison). */
export class SharpDartsSearch extends DartsSearch {
  override readonly method = 'sharpdarts';

  constructor(net: SearchNetwork, loss: TaskLoss, config: Partial<SharpDartsConfig> = {}) {
    checkKnownKeys('sharpdarts', config, SHARPDARTS_KEYS);
    const { weighting = SHARPDARTS_DEFAULTS.weighting, ...darts } = config;
    if (weighting !== 'max_w' && weighting !== 'scalar') throw new Error(`sharpdarts: weighting=${describeValue(weighting)}; allowed: max_w, scalar`);
    super(net, loss, darts);
    if (weighting === 'max_w') net.sampler = maxWSampler;
  }
}

// sharpDARTS: Faster and More Accurate Differentiable Architecture Search (arXiv 1903.09900), §3:
// cosine power annealing of the learning rate,
//   η_t = η_min + (η_max − η_min) · (p^(½(1 + cos(π t / T)) + 1) − p) / (p² − p),
// which falls faster than cosine annealing early and slower late (p = 10 in sharpDARTS; p → 1
// is plain cosine annealing). Weft applies it to the weight optimiser of the bilevel searches.
// Departure: no warm-up phase; t counts search steps, not epochs.
import { checkKnownKeys, configKeys } from '@weft/core';

/** Config of {@link cosinePowerAnnealing}. */
export interface CosinePowerConfig {
  /** Steps T of the whole schedule. */
  totalSteps: number;
  /** η_max, the rate at step 0. */
  maxLr: number;
  /** η_min, the rate at step T. Default 0. */
  minLr?: number;
  /** Exponent order p ≥ 1. Default 10 (sharpDARTS). */
  exponent?: number;
}

const COSINE_POWER_KEYS = configKeys<CosinePowerConfig>({ totalSteps: true, maxLr: true, minLr: true, exponent: true });

/** The learning rate at step `t` (clamped to [0, T]). */
export function cosinePowerAnnealing(t: number, c: CosinePowerConfig): number {
  checkKnownKeys('cosinePowerAnnealing', c, COSINE_POWER_KEYS);
  const { totalSteps: T, maxLr } = c;
  const minLr = c.minLr ?? 0;
  const p = c.exponent ?? 10;
  if (!(Number.isInteger(T) && T >= 1)) throw new Error(`cosinePowerAnnealing: totalSteps=${T} must be an integer ≥ 1`);
  if (!(maxLr > 0) || !(minLr >= 0) || minLr > maxLr) throw new Error(`cosinePowerAnnealing: need 0 ≤ minLr=${minLr} ≤ maxLr=${maxLr} and maxLr > 0`);
  if (!(p >= 1)) throw new Error(`cosinePowerAnnealing: exponent=${p} must be ≥ 1`);
  const cos = (1 + Math.cos((Math.PI * Math.min(Math.max(t, 0), T)) / T)) / 2; // 1 → 0
  const share = p === 1 ? cos : (Math.pow(p, cos + 1) - p) / (p * p - p);
  return minLr + (maxLr - minLr) * share;
}

// MoKA: Mixture of Kronecker Adapters (arXiv:2508.03527).
import type { AdapterConfigBase } from '../config.js';
import { checkFinite, checkPositiveInteger } from '../config.js';
import type { TargetPattern } from '../tree.js';

/** Config of a MoKA adapter. */
export interface MokaConfig extends Omit<AdapterConfigBase, 'rankPattern' | 'alphaPattern'> {
  method: 'moka';
  /** Number of Kronecker terms K. Default: 4. */
  experts?: number;
  /** Split each dimension around this factor; -1 = near the square root (LoKr's factorisation). Default: -1. */
  decomposeFactor?: number;
  /** Scale of the mixture's output. Default: 1. */
  alpha?: number;
}

/** A MoKA config with defaults filled in. */
export type ResolvedMokaConfig = Required<Omit<MokaConfig, 'exclude'>> & { exclude: TargetPattern | null };

/** Fill defaults and check. */
export function resolveMokaConfig(c: MokaConfig): ResolvedMokaConfig {
  const fn = 'MoKA config';
  const factor = c.decomposeFactor ?? -1;
  if (factor !== -1) checkPositiveInteger(fn, 'decomposeFactor', factor);
  return {
    method: 'moka',
    targets: c.targets,
    exclude: c.exclude ?? null,
    experts: checkPositiveInteger(fn, 'experts', c.experts ?? 4),
    decomposeFactor: factor,
    alpha: checkFinite(fn, 'alpha', c.alpha ?? 1),
  };
}

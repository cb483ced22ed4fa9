// MoKA: Mixture of Kronecker Adapters (arXiv:2508.03527). The config, its defaults and their checks.
import { checkNumber, checkPositiveInt } from '@weft/core/internal';
import type { AdapterConfigBase, ResolvedConfig, ResolvedOptions } from '../config.js';
import { checkDecomposeFactor } from '../lokr/config.js';

/** Config of a MoKA adapter. */
export interface MokaConfig extends AdapterConfigBase {
  method: 'moka';
  /** Number of Kronecker terms K. Default: 4. */
  experts?: number;
  /** Split each dimension around this factor; -1 = near the square root (LoKr's factorisation). Default: -1. */
  decomposeFactor?: number;
  /** Scale of the mixture's output. Default: 1. */
  alpha?: number;
}

declare module '../registry.js' {
  interface AdapterConfigs {
    /** The config of method "moka". */
    moka: MokaConfig;
  }
}

/** MoKA's defaults. */
export const MOKA_DEFAULTS: Readonly<ResolvedOptions<MokaConfig>> = { experts: 4, decomposeFactor: -1, alpha: 1 };

/** A MoKA config with defaults filled in. */
export type ResolvedMokaConfig = ResolvedConfig<MokaConfig>;

/** Check MoKA's options (defaults filled in). */
export function checkMokaOptions(o: ResolvedOptions<MokaConfig>, where: string): ResolvedOptions<MokaConfig> {
  return {
    experts: checkPositiveInt(where, 'experts', o.experts),
    decomposeFactor: checkDecomposeFactor(where, o.decomposeFactor),
    alpha: checkNumber(where, 'alpha', o.alpha),
  };
}

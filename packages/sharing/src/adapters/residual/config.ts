// Residual adapters: Learning multiple visual domains with residual adapters (arXiv:1705.08045),
// with the bottleneck form of Parameter-Efficient Transfer Learning for NLP (arXiv:1902.00751).
// The config, its defaults and their checks.
import { checkOneOf, checkPositiveInt } from '@weft/core/internal';
import type { AdapterConfigBase, ResolvedConfig, ResolvedOptions } from '../config.js';

/** Config of a residual adapter. */
export interface ResidualConfig extends AdapterConfigBase {
  method: 'residual';
  /** Bottleneck width b (down [out, b], up [b, out]); null = Rebuffi's full 1×1 map [out, out]. Default: null. */
  bottleneck?: number | null;
  /** Non-linearity between down and up (bottleneck only): 'relu' or 'identity'. Default: 'relu'. */
  activation?: 'relu' | 'identity';
}

declare module '../registry.js' {
  interface AdapterConfigs {
    /** The config of method "residual". */
    residual: ResidualConfig;
  }
}

/** The residual adapter's defaults. */
export const RESIDUAL_DEFAULTS: Readonly<ResolvedOptions<ResidualConfig>> = { bottleneck: null, activation: 'relu' };

/** A residual config with defaults filled in. */
export type ResolvedResidualConfig = ResolvedConfig<ResidualConfig>;

/** Check the residual adapter's options (defaults filled in). */
export function checkResidualOptions(o: ResolvedOptions<ResidualConfig>, where: string): ResolvedOptions<ResidualConfig> {
  checkOneOf(where, 'activation', o.activation, ['relu', 'identity'] as const);
  return { bottleneck: o.bottleneck === null ? null : checkPositiveInt(where, 'bottleneck', o.bottleneck), activation: o.activation };
}

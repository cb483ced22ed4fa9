// Residual adapters: Learning multiple visual domains with residual adapters (arXiv:1705.08045),
// with the bottleneck form of Parameter-Efficient Transfer Learning for NLP (arXiv:1902.00751).
import type { AdapterConfigBase } from '../config.js';
import { checkPositiveInteger } from '../config.js';
import type { TargetPattern } from '../tree.js';

/** Config of a residual adapter. */
export interface ResidualConfig extends Omit<AdapterConfigBase, 'rankPattern' | 'alphaPattern'> {
  method: 'residual';
  /** Bottleneck width b (down [out, b], up [b, out]); null = Rebuffi's full 1×1 map [out, out]. Default: null. */
  bottleneck?: number | null;
  /** Non-linearity between down and up (bottleneck only): 'relu' or 'identity'. Default: 'relu'. */
  activation?: 'relu' | 'identity';
}

/** A residual config with defaults filled in. */
export type ResolvedResidualConfig = Required<Omit<ResidualConfig, 'exclude' | 'bottleneck'>> & { exclude: TargetPattern | null; bottleneck: number | null };

/** Fill defaults and check. */
export function resolveResidualConfig(c: ResidualConfig): ResolvedResidualConfig {
  const activation = c.activation ?? 'relu';
  if (activation !== 'relu' && activation !== 'identity') throw new Error(`Residual adapter config: activation=${JSON.stringify(activation)}; allowed: relu, identity`);
  return {
    method: 'residual',
    targets: c.targets,
    exclude: c.exclude ?? null,
    bottleneck: c.bottleneck === undefined || c.bottleneck === null ? null : checkPositiveInteger('Residual adapter config', 'bottleneck', c.bottleneck),
    activation,
  };
}

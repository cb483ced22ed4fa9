// LoHa: FedPara: Low-Rank Hadamard Product for Communication-Efficient Federated Learning
// (arXiv:2108.06098), as PEFT's LoHa. The config and its defaults (PEFT's LoHaConfig).
import type { AdapterConfigBase } from '../config.js';
import { checkBool, checkFinite, checkPatternMap, checkPositiveInteger, checkRate } from '../config.js';
import type { TargetPattern } from '../tree.js';

/** Config of a LoHa adapter. */
export interface LohaConfig extends AdapterConfigBase {
  method: 'loha';
  /** Rank r of each of the two factors. Default: 8. */
  r?: number;
  /** alpha: scaling = alpha / r. Default: 8. */
  alpha?: number;
  /** Rank dropout (training). Default: 0. */
  rankDropout?: number;
  /** Module dropout (training). Default: 0. */
  moduleDropout?: number;
  /** true: one factor starts at zero so the adapter is a no-op (PEFT's default). Default: true. */
  initWeights?: boolean;
}

/** A LoHa config with defaults filled in. */
export type ResolvedLohaConfig = Required<Omit<LohaConfig, 'exclude'>> & { exclude: TargetPattern | null };

/** Fill defaults and check. */
export function resolveLohaConfig(c: LohaConfig): ResolvedLohaConfig {
  const fn = 'LoHa config';
  return {
    method: 'loha',
    targets: c.targets,
    exclude: c.exclude ?? null,
    r: checkPositiveInteger(fn, 'r', c.r ?? 8),
    alpha: checkFinite(fn, 'alpha', c.alpha ?? 8),
    rankDropout: checkRate(fn, 'rankDropout', c.rankDropout ?? 0),
    moduleDropout: checkRate(fn, 'moduleDropout', c.moduleDropout ?? 0),
    initWeights: checkBool(fn, 'initWeights', c.initWeights ?? true),
    rankPattern: checkPatternMap(fn, 'rankPattern', c.rankPattern, true),
    alphaPattern: checkPatternMap(fn, 'alphaPattern', c.alphaPattern, false),
  };
}

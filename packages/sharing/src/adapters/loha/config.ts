// LoHa: FedPara: Low-Rank Hadamard Product for Communication-Efficient Federated Learning
// (arXiv:2108.06098), as PEFT's LoHa. The config, its defaults (PEFT's LoHaConfig) and their checks.
import { checkBool, checkNumber, checkPositiveInt, checkRate } from '@weft/core/internal';
import { checkPatternMap, type AdapterConfigBase, type RankPatterns, type ResolvedConfig, type ResolvedOptions } from '../config.js';

/** Config of a LoHa adapter. */
export interface LohaConfig extends AdapterConfigBase, RankPatterns {
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
  /** Conv2d layers with kernels above 1×1: each factor in Tucker form, a core [kh, kw, r, r] between [in, r] and [r, out] (PEFT's use_effective_conv2d). Default: false. */
  effectiveConv2d?: boolean;
}

declare module '../registry.js' {
  interface AdapterConfigs {
    /** The config of method "loha". */
    loha: LohaConfig;
  }
}

/** LoHa's defaults. */
export const LOHA_DEFAULTS: Readonly<ResolvedOptions<LohaConfig>> = {
  r: 8, alpha: 8, rankDropout: 0, moduleDropout: 0, initWeights: true, effectiveConv2d: false, rankPattern: {}, alphaPattern: {},
};

/** A LoHa config with defaults filled in. */
export type ResolvedLohaConfig = ResolvedConfig<LohaConfig>;

/** Check LoHa's options (defaults filled in). */
export function checkLohaOptions(o: ResolvedOptions<LohaConfig>, where: string): ResolvedOptions<LohaConfig> {
  return {
    r: checkPositiveInt(where, 'r', o.r),
    alpha: checkNumber(where, 'alpha', o.alpha),
    rankDropout: checkRate(where, 'rankDropout', o.rankDropout),
    moduleDropout: checkRate(where, 'moduleDropout', o.moduleDropout),
    initWeights: checkBool(where, 'initWeights', o.initWeights),
    effectiveConv2d: checkBool(where, 'effectiveConv2d', o.effectiveConv2d),
    rankPattern: checkPatternMap(where, 'rankPattern', o.rankPattern, true),
    alphaPattern: checkPatternMap(where, 'alphaPattern', o.alphaPattern, false),
  };
}

// LoKr: Navigating Text-To-Image Customization: From LyCORIS Fine-Tuning to Model Evaluation
// (arXiv:2309.14859), Kronecker-product adapters as PEFT's LoKr. The config, its defaults (PEFT's
// LoKrConfig) and their checks; the factorisation of a dimension is core's `lokrFactorization`.
import { checkBool, checkInt, checkNumber, checkPositiveInt, checkRate } from '@weft/core/internal';
import { checkPatternMap, type AdapterConfigBase, type RankPatterns, type ResolvedConfig, type ResolvedOptions } from '../config.js';

/** Config of a LoKr adapter. */
export interface LokrConfig extends AdapterConfigBase, RankPatterns {
  method: 'lokr';
  /** Rank r of the factored Kronecker factors. Default: 8. */
  r?: number;
  /** alpha: scaling = alpha / r. Default: 8. */
  alpha?: number;
  /** Factor the left Kronecker factor too (when r is small enough). Default: false. */
  decomposeBoth?: boolean;
  /** Split each dimension around this factor; -1 = near the square root. Default: -1. */
  decomposeFactor?: number;
  /** Rank dropout (training). Default: 0. */
  rankDropout?: number;
  /** Rescale rank dropout by the kept fraction. Default: false. */
  rankDropoutScale?: boolean;
  /** Module dropout (training). Default: 0. */
  moduleDropout?: number;
  /** true: the left factor starts at zero so the adapter is a no-op (PEFT's default). Default: true. */
  initWeights?: boolean;
  /** Conv2d layers with kernels above 1×1: a low-rank right factor in Tucker form, a core [kh, kw, r, r] between [in_n, r] and [r, out_k] (PEFT's use_effective_conv2d). Default: false. */
  effectiveConv2d?: boolean;
}

declare module '../registry.js' {
  interface AdapterConfigs {
    /** The config of method "lokr". */
    lokr: LokrConfig;
  }
}

/** LoKr's defaults. */
export const LOKR_DEFAULTS: Readonly<ResolvedOptions<LokrConfig>> = {
  r: 8, alpha: 8, decomposeBoth: false, decomposeFactor: -1, rankDropout: 0, rankDropoutScale: false, moduleDropout: 0, initWeights: true, effectiveConv2d: false,
  rankPattern: {}, alphaPattern: {},
};

/** A LoKr config with defaults filled in. */
export type ResolvedLokrConfig = ResolvedConfig<LokrConfig>;

/** Check a decomposition factor: -1 (near the square root) or a positive integer. */
export function checkDecomposeFactor(where: string, value: number): number {
  return value === -1 ? -1 : checkInt(where, 'decomposeFactor (-1 or a positive integer)', value, 1);
}

/** Check LoKr's options (defaults filled in). */
export function checkLokrOptions(o: ResolvedOptions<LokrConfig>, where: string): ResolvedOptions<LokrConfig> {
  return {
    r: checkPositiveInt(where, 'r', o.r),
    alpha: checkNumber(where, 'alpha', o.alpha),
    decomposeBoth: checkBool(where, 'decomposeBoth', o.decomposeBoth),
    decomposeFactor: checkDecomposeFactor(where, o.decomposeFactor),
    rankDropout: checkRate(where, 'rankDropout', o.rankDropout),
    rankDropoutScale: checkBool(where, 'rankDropoutScale', o.rankDropoutScale),
    moduleDropout: checkRate(where, 'moduleDropout', o.moduleDropout),
    initWeights: checkBool(where, 'initWeights', o.initWeights),
    effectiveConv2d: checkBool(where, 'effectiveConv2d', o.effectiveConv2d),
    rankPattern: checkPatternMap(where, 'rankPattern', o.rankPattern, true),
    alphaPattern: checkPatternMap(where, 'alphaPattern', o.alphaPattern, false),
  };
}

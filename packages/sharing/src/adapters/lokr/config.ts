// LoKr: Navigating Text-To-Image Customization: From LyCORIS Fine-Tuning to Model Evaluation
// (arXiv:2309.14859), Kronecker-product adapters as PEFT's LoKr. The config and its defaults
// (PEFT's LoKrConfig), and LyCORIS's factorisation of a dimension into two factors.
import type { AdapterConfigBase } from '../config.js';
import { checkBool, checkFinite, checkPatternMap, checkPositiveInteger, checkRate } from '../config.js';
import type { TargetPattern } from '../tree.js';

/** Config of a LoKr adapter. */
export interface LokrConfig extends AdapterConfigBase {
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
}

/** A LoKr config with defaults filled in. */
export type ResolvedLokrConfig = Required<Omit<LokrConfig, 'exclude'>> & { exclude: TargetPattern | null };

/** Fill defaults and check. */
export function resolveLokrConfig(c: LokrConfig): ResolvedLokrConfig {
  const fn = 'LoKr config';
  const factor = c.decomposeFactor ?? -1;
  if (factor !== -1) checkPositiveInteger(fn, 'decomposeFactor', factor);
  return {
    method: 'lokr',
    targets: c.targets,
    exclude: c.exclude ?? null,
    r: checkPositiveInteger(fn, 'r', c.r ?? 8),
    alpha: checkFinite(fn, 'alpha', c.alpha ?? 8),
    decomposeBoth: checkBool(fn, 'decomposeBoth', c.decomposeBoth ?? false),
    decomposeFactor: factor,
    rankDropout: checkRate(fn, 'rankDropout', c.rankDropout ?? 0),
    rankDropoutScale: checkBool(fn, 'rankDropoutScale', c.rankDropoutScale ?? false),
    moduleDropout: checkRate(fn, 'moduleDropout', c.moduleDropout ?? 0),
    initWeights: checkBool(fn, 'initWeights', c.initWeights ?? true),
    rankPattern: checkPatternMap(fn, 'rankPattern', c.rankPattern, true),
    alphaPattern: checkPatternMap(fn, 'alphaPattern', c.alphaPattern, false),
  };
}

/** LyCORIS/PEFT factorisation: dimension = m · n with m ≤ n near √dimension (or m = factor when it divides). */
export function factorization(dimension: number, factor = -1): [number, number] {
  if (factor > 0 && dimension % factor === 0) return [factor, dimension / factor];
  const limit = factor === -1 ? dimension : factor;
  let m = 1;
  let n = dimension;
  const length = m + n;
  while (m < n) {
    let nm = m + 1;
    while (dimension % nm !== 0) nm++;
    const nn = dimension / nm;
    if (nm + nn > length || nm > limit) break;
    m = nm;
    n = nn;
  }
  return m > n ? [n, m] : [m, n];
}

// TAPS: Task Adaptive Parameter Sharing for Multi-Task Learning (arXiv:2203.16708). The config and
// its defaults.
import type { AdapterConfigBase } from '../config.js';
import { checkFinite, checkPositiveInteger } from '../config.js';
import type { TargetPattern } from '../tree.js';

/** Config of a TAPS adapter. */
export interface TapsConfig extends Omit<AdapterConfigBase, 'rankPattern' | 'alphaPattern'> {
  method: 'taps';
  /** Threshold τ: a layer is adapted while its score s > τ. Default: 0.1. */
  threshold?: number;
  /** Initial score of every layer (above τ: every layer starts adapted). Default: 1. */
  initScore?: number;
  /** Weight λ of the sparsity penalty λ·Σ|s| added as the aux loss "taps_sparsity". Default: 0.01. */
  sparsity?: number;
  /**
   * Task weights per layer: null = a dense δW as in the paper; a number r = a LoRA-factored δW of
   * rank r (Selective LoRA, arXiv:2501.15377). Default: null.
   */
  r?: number | null;
}

/** A TAPS config with defaults filled in. */
export type ResolvedTapsConfig = Required<Omit<TapsConfig, 'exclude' | 'r'>> & { exclude: TargetPattern | null; r: number | null };

/** Fill defaults and check. */
export function resolveTapsConfig(c: TapsConfig): ResolvedTapsConfig {
  const fn = 'TAPS config';
  const sparsity = checkFinite(fn, 'sparsity', c.sparsity ?? 0.01);
  if (sparsity < 0) throw new Error(`${fn}: sparsity=${sparsity} must be ≥ 0`);
  return {
    method: 'taps',
    targets: c.targets,
    exclude: c.exclude ?? null,
    threshold: checkFinite(fn, 'threshold', c.threshold ?? 0.1),
    initScore: checkFinite(fn, 'initScore', c.initScore ?? 1),
    sparsity,
    r: c.r === undefined || c.r === null ? null : checkPositiveInteger(fn, 'r', c.r),
  };
}

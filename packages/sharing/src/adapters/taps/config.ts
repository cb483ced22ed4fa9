// TAPS: Task Adaptive Parameter Sharing for Multi-Task Learning (arXiv:2203.16708). The config,
// its defaults and their checks.
import { checkNumber, checkPositiveInt } from '@weft/core/internal';
import type { AdapterConfigBase, ResolvedConfig, ResolvedOptions } from '../config.js';

/** Config of a TAPS adapter. */
export interface TapsConfig extends AdapterConfigBase {
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

declare module '../registry.js' {
  interface AdapterConfigs {
    /** The config of method "taps". */
    taps: TapsConfig;
  }
}

/** TAPS' defaults. */
export const TAPS_DEFAULTS: Readonly<ResolvedOptions<TapsConfig>> = { threshold: 0.1, initScore: 1, sparsity: 0.01, r: null };

/** A TAPS config with defaults filled in. */
export type ResolvedTapsConfig = ResolvedConfig<TapsConfig>;

/** Check TAPS' options (defaults filled in). */
export function checkTapsOptions(o: ResolvedOptions<TapsConfig>, where: string): ResolvedOptions<TapsConfig> {
  return {
    threshold: checkNumber(where, 'threshold', o.threshold),
    initScore: checkNumber(where, 'initScore', o.initScore),
    sparsity: checkNumber(where, 'sparsity', o.sparsity, 0),
    r: o.r === null ? null : checkPositiveInt(where, 'r', o.r),
  };
}

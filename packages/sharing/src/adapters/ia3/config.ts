// IA3: Few-Shot Parameter-Efficient Fine-Tuning is Better and Cheaper than In-Context Learning
// (arXiv:2205.05638). The config, its defaults (PEFT's IA3Config) and their checks.
import { compileBoundedRegExp } from '@weft/core';
import { checkBool } from '@weft/core/internal';
import type { AdapterConfigBase, ResolvedConfig, ResolvedOptions } from '../config.js';
import { targetMatcher, type TargetPattern } from '../tree.js';

/** Config of an IA3 adapter. */
export interface Ia3Config extends AdapterConfigBase {
  method: 'ia3';
  /**
   * Which targeted layers are feed-forward: their *input* is scaled (l ∈ R^in); the others' output
   * is scaled (l ∈ R^out, bias included). A list entry matches a path ending with it (PEFT's IA3
   * rule); a string is a full-match regular expression. Must be a subset of `targets`. Default: none.
   */
  feedforward?: TargetPattern | null;
  /** true: l = 1 so the adapter starts as a no-op (PEFT's default); false: l ~ N(0, 1). Default: true. */
  initWeights?: boolean;
}

declare module '../registry.js' {
  interface AdapterConfigs {
    /** The config of method "ia3". */
    ia3: Ia3Config;
  }
}

/** IA3's defaults. */
export const IA3_DEFAULTS: Readonly<ResolvedOptions<Ia3Config>> = { feedforward: null, initWeights: true };

/** An IA3 config with defaults filled in. */
export type ResolvedIa3Config = ResolvedConfig<Ia3Config>;

/** Check IA3's options (defaults filled in). */
export function checkIa3Options(o: ResolvedOptions<Ia3Config>, where: string): ResolvedOptions<Ia3Config> {
  // An empty list (what PEFT writes when no module is feed-forward) means none.
  const feedforward = Array.isArray(o.feedforward) && o.feedforward.length === 0 ? null : o.feedforward;
  if (feedforward !== null) targetMatcher(feedforward, 'feedforward');
  return { feedforward, initWeights: checkBool(where, 'initWeights', o.initWeights) };
}

/** Whether `path` is a feed-forward module under PEFT's IA3 rule. */
export function isFeedforward(pattern: TargetPattern | null, path: string): boolean {
  if (pattern === null) return false;
  if (typeof pattern === 'string') return compileBoundedRegExp('IA3 feedforward', pattern).test(path);
  return pattern.some((p) => path.endsWith(p));
}

// IA3: Few-Shot Parameter-Efficient Fine-Tuning is Better and Cheaper than In-Context Learning
// (arXiv:2205.05638). The config and its defaults (PEFT's IA3Config).
import type { AdapterConfigBase } from '../config.js';
import { checkBool } from '../config.js';
import type { TargetPattern } from '../tree.js';

/** Config of an IA3 adapter. */
export interface Ia3Config extends Omit<AdapterConfigBase, 'rankPattern' | 'alphaPattern'> {
  method: 'ia3';
  /**
   * Which targeted layers are feed-forward: their *input* is scaled (l ∈ R^in); the others' output
   * is scaled (l ∈ R^out, bias included). Must be a subset of `targets`. Default: none.
   */
  feedforward?: TargetPattern | null;
  /** true: l = 1 so the adapter starts as a no-op (PEFT's default); false: l ~ N(0, 1). Default: true. */
  initWeights?: boolean;
}

/** An IA3 config with defaults filled in. */
export type ResolvedIa3Config = Required<Omit<Ia3Config, 'exclude' | 'feedforward'>> & { exclude: TargetPattern | null; feedforward: TargetPattern | null };

/** Fill defaults and check. */
export function resolveIa3Config(c: Ia3Config): ResolvedIa3Config {
  return {
    method: 'ia3',
    targets: c.targets,
    exclude: c.exclude ?? null,
    feedforward: c.feedforward ?? null,
    initWeights: checkBool('IA3 config', 'initWeights', c.initWeights ?? true),
  };
}

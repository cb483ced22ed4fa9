// Shears: Unstructured Sparsity with Neural Low-rank Adapter Search (arXiv:2404.10934). The config
// of its elastic-rank LoRA, its defaults and their checks.
import { checkNumber } from '@weft/core/internal';
import type { AdapterConfigBase, ResolvedConfig, ResolvedOptions } from '../config.js';

/** Config of a Shears (elastic-rank LoRA) adapter. */
export interface ShearsConfig extends AdapterConfigBase {
  method: 'shears';
  /** The ranks a sub-adapter may use, largest first (the adapter stores the largest). Default: [8, 6, 4]. */
  ranks?: number[];
  /** LoRA alpha: the scaling is alpha / (largest rank) for every sub-adapter, as NLS slices one LoRA. Default: 16. */
  alpha?: number;
}

declare module '../registry.js' {
  interface AdapterConfigs {
    /** The config of method "shears". */
    shears: ShearsConfig;
  }
}

/** Shears' defaults. */
export const SHEARS_DEFAULTS: Readonly<ResolvedOptions<ShearsConfig>> = { ranks: [8, 6, 4], alpha: 16 };

/** A Shears config with defaults filled in. */
export type ResolvedShearsConfig = ResolvedConfig<ShearsConfig>;

/** Check Shears' options (defaults filled in). */
export function checkShearsOptions(o: ResolvedOptions<ShearsConfig>, where: string): ResolvedOptions<ShearsConfig> {
  const ok = Array.isArray(o.ranks) && o.ranks.length > 0 && o.ranks.every((r, i) => Number.isInteger(r) && r > 0 && (i === 0 || r < o.ranks[i - 1]!));
  if (!ok) throw new Error(`${where}: ranks=${JSON.stringify(o.ranks).slice(0, 60)} must be positive integers, strictly decreasing (largest first)`);
  return { ranks: [...o.ranks], alpha: checkNumber(where, 'alpha', o.alpha) };
}

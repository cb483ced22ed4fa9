// Multi-Head Adapter Routing for Cross-Task Generalization (Poly and MHR, arXiv:2211.03831).
// The config, its defaults (PEFT's PolyConfig) and their checks.
import { checkBool, checkOneOf, checkPositiveInt } from '@weft/core/internal';
import type { AdapterConfigBase, ResolvedConfig, ResolvedOptions } from '../config.js';

/** Config of a Poly / MHR adapter (MHR: nSplits > 1). */
export interface PolyConfig extends AdapterConfigBase {
  method: 'poly';
  /** Rank of every skill's LoRA. Default: 8. */
  r?: number;
  /** Number of tasks the router has logits for (task ids 0..nTasks−1). Default: 1. */
  nTasks?: number;
  /** Size of the inventory of LoRA skills. Default: 4. */
  nSkills?: number;
  /** Heads: the input and output features are split in nSplits blocks, each routed on its own (1 = Poly, > 1 = MHR). Default: 1. */
  nSplits?: number;
  /** PEFT's poly_type; only 'poly' exists. Default: 'poly'. */
  polyType?: 'poly';
  /** true: B = 0 so the adapter starts as a no-op (PEFT's default); false: B random too. Default: true. */
  initWeights?: boolean;
}

declare module '../registry.js' {
  interface AdapterConfigs {
    /** The config of method "poly". */
    poly: PolyConfig;
  }
}

/** Poly's defaults. */
export const POLY_DEFAULTS: Readonly<ResolvedOptions<PolyConfig>> = { r: 8, nTasks: 1, nSkills: 4, nSplits: 1, polyType: 'poly', initWeights: true };

/** A Poly config with defaults filled in. */
export type ResolvedPolyConfig = ResolvedConfig<PolyConfig>;

/** Check Poly's options (defaults filled in). */
export function checkPolyOptions(o: ResolvedOptions<PolyConfig>, where: string): ResolvedOptions<PolyConfig> {
  checkOneOf(where, 'polyType', o.polyType, ['poly'] as const);
  return {
    r: checkPositiveInt(where, 'r', o.r), nTasks: checkPositiveInt(where, 'nTasks', o.nTasks), nSkills: checkPositiveInt(where, 'nSkills', o.nSkills),
    nSplits: checkPositiveInt(where, 'nSplits', o.nSplits), polyType: o.polyType, initWeights: checkBool(where, 'initWeights', o.initWeights),
  };
}

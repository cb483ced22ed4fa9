// ETHER: Efficient Finetuning of Large-Scale Models with Hyperplane Reflections (arXiv:2405.20271).
import type { AdapterConfigBase } from '../config.js';
import { checkBool, checkPositiveInteger } from '../config.js';
import type { TargetPattern } from '../tree.js';

/** Config of an ETHER / ETHER+ adapter. */
export interface EtherConfig extends Omit<AdapterConfigBase, 'rankPattern' | 'alphaPattern'> {
  method: 'ether';
  /** ETHER+: the relaxed I − ûûᵀ + v̂v̂ᵀ on both sides instead of a reflection on the output side. Default: false. */
  plus?: boolean;
  /** Diagonal blocks n of each transform (must divide the transformed dimension). Default: 1. */
  blocks?: number;
}

/** An ETHER config with defaults filled in. */
export type ResolvedEtherConfig = Required<Omit<EtherConfig, 'exclude'>> & { exclude: TargetPattern | null };

/** Fill defaults and check. */
export function resolveEtherConfig(c: EtherConfig): ResolvedEtherConfig {
  return {
    method: 'ether',
    targets: c.targets,
    exclude: c.exclude ?? null,
    plus: checkBool('ETHER config', 'plus', c.plus ?? false),
    blocks: checkPositiveInteger('ETHER config', 'blocks', c.blocks ?? 1),
  };
}

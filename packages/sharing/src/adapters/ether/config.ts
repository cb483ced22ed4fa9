// ETHER: Efficient Finetuning of Large-Scale Models with Hyperplane Reflections (arXiv:2405.20271).
// The config, its defaults and their checks.
import { checkBool, checkPositiveInt } from '@weft/core/internal';
import type { AdapterConfigBase, ResolvedConfig, ResolvedOptions } from '../config.js';

/** Config of an ETHER / ETHER+ adapter. */
export interface EtherConfig extends AdapterConfigBase {
  method: 'ether';
  /** ETHER+: the relaxed I − ûûᵀ + v̂v̂ᵀ on both sides instead of a reflection on the output side. Default: false. */
  plus?: boolean;
  /** Diagonal blocks n of each transform (must divide the transformed dimension). Default: 1. */
  blocks?: number;
}

declare module '../registry.js' {
  interface AdapterConfigs {
    /** The config of method "ether". */
    ether: EtherConfig;
  }
}

/** ETHER's defaults. */
export const ETHER_DEFAULTS: Readonly<ResolvedOptions<EtherConfig>> = { plus: false, blocks: 1 };

/** An ETHER config with defaults filled in. */
export type ResolvedEtherConfig = ResolvedConfig<EtherConfig>;

/** Check ETHER's options (defaults filled in). */
export function checkEtherOptions(o: ResolvedOptions<EtherConfig>, where: string): ResolvedOptions<EtherConfig> {
  return { plus: checkBool(where, 'plus', o.plus), blocks: checkPositiveInt(where, 'blocks', o.blocks) };
}

/** The error of a block count that does not divide the transformed sizes (null when it divides). */
export function etherBlocksError(c: { plus: boolean; blocks: number }, inF: number, outF: number, path: string): string | null {
  const n = c.blocks;
  if (outF % n === 0 && (!c.plus || inF % n === 0)) return null;
  return `ETHER: blocks=${n} at "${path}" must divide ${c.plus ? `in=${inF} and ` : ''}out=${outF}`;
}

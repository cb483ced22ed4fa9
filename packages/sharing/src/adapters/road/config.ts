// 3-in-1: 2D Rotary Adaptation for Efficient Finetuning, Efficient Batching and Composability (RoAd,
// arXiv:2409.00119). The config, its defaults (PEFT's RoadConfig) and their checks.
import { checkBool, checkOneOf, checkPositiveInt } from '@weft/core/internal';
import type { AdapterConfigBase, ResolvedConfig, ResolvedOptions } from '../config.js';

/** RoAd's variants: how many angles and scales each output pair has (PEFT's names). */
export const ROAD_VARIANTS = ['road_1', 'road_2', 'road_4'] as const;

/** Config of a RoAd adapter. */
export interface RoadConfig extends AdapterConfigBase {
  method: 'road';
  /**
   * 'road_1': one angle θ and scale α per output pair (out/2 each); 'road_2': one per output
   * (out each); 'road_4': separate angles and scales for the cos and sin entries (2·out each).
   * Default: 'road_1'.
   */
  variant?: (typeof ROAD_VARIANTS)[number];
  /** Outputs are paired within groups of this size: element i with i + groupSize/2. Must be even and divide out. Default: 64. */
  groupSize?: number;
  /** true: θ = 0, α = 1 (a no-op, PEFT's default); false: θ ~ N(0, 0.5²), α ~ N(1, 0.5²). Default: true. */
  initWeights?: boolean;
}

declare module '../registry.js' {
  interface AdapterConfigs {
    /** The config of method "road". */
    road: RoadConfig;
  }
}

/** RoAd's defaults. */
export const ROAD_DEFAULTS: Readonly<ResolvedOptions<RoadConfig>> = { variant: 'road_1', groupSize: 64, initWeights: true };

/** A RoAd config with defaults filled in. */
export type ResolvedRoadConfig = ResolvedConfig<RoadConfig>;

/** Check RoAd's options (defaults filled in). */
export function checkRoadOptions(o: ResolvedOptions<RoadConfig>, where: string): ResolvedOptions<RoadConfig> {
  checkOneOf(where, 'variant', o.variant, ROAD_VARIANTS);
  const groupSize = checkPositiveInt(where, 'groupSize', o.groupSize);
  if (groupSize % 2 !== 0) throw new Error(`${where}: groupSize=${groupSize} must be even (outputs are paired within a group)`);
  return { variant: o.variant, groupSize, initWeights: checkBool(where, 'initWeights', o.initWeights) };
}

/** Number of θ (and of α) values of `variant` on a layer with `out` outputs. */
export function roadSize(variant: (typeof ROAD_VARIANTS)[number], out: number): number {
  return variant === 'road_1' ? out / 2 : variant === 'road_2' ? out : 2 * out;
}

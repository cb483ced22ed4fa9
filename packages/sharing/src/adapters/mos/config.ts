// MoS: Unleashing Parameter Efficiency of Low-Rank Adaptation with Mixture of Shards (arXiv:2410.00938).
import type { AdapterConfigBase } from '../config.js';
import { checkFinite, checkPositiveInteger } from '../config.js';
import type { TargetPattern } from '../tree.js';

/** Config of a MoS adapter. */
export interface MosConfig extends Omit<AdapterConfigBase, 'rankPattern' | 'alphaPattern'> {
  method: 'mos';
  /** Rank r of every layer's low-rank update. Default: 4. */
  r?: number;
  /** alpha: scaling = alpha / r. Default: 8. */
  alpha?: number;
  /** Shard length s: every adapted layer's in and out must be multiples of it. Default: 4. */
  shardSize?: number;
  /** Shards in each global pool (one pool for the A side, one for B: pair dissociation). Default: 64. */
  poolSize?: number;
  /** Shards per layer and side kept private (shard privatisation); the rest index the global pools. Default: 1. */
  privateShards?: number;
  /** Seed of the shard selection (the index tables are a function of it and the layer's path, so a saved adapter reloads with the same tables). Default: 0. */
  seed?: number;
}

/** A MoS config with defaults filled in. */
export type ResolvedMosConfig = Required<Omit<MosConfig, 'exclude'>> & { exclude: TargetPattern | null };

/** Fill defaults and check. */
export function resolveMosConfig(c: MosConfig): ResolvedMosConfig {
  const fn = 'MoS config';
  const privateShards = c.privateShards ?? 1;
  if (!Number.isInteger(privateShards) || privateShards < 0) throw new Error(`${fn}: privateShards=${privateShards} must be an integer ≥ 0`);
  return {
    method: 'mos',
    targets: c.targets,
    exclude: c.exclude ?? null,
    r: checkPositiveInteger(fn, 'r', c.r ?? 4),
    alpha: checkFinite(fn, 'alpha', c.alpha ?? 8),
    shardSize: checkPositiveInteger(fn, 'shardSize', c.shardSize ?? 4),
    poolSize: checkPositiveInteger(fn, 'poolSize', c.poolSize ?? 64),
    privateShards,
    seed: checkFinite(fn, 'seed', c.seed ?? 0),
  };
}

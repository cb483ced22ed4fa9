// MoS: Unleashing Parameter Efficiency of Low-Rank Adaptation with Mixture of Shards (arXiv:2410.00938).
// The config, its defaults and their checks.
import { checkInt, checkNumber, checkPositiveInt } from '@weft/core/internal';
import type { AdapterConfigBase, ResolvedConfig, ResolvedOptions } from '../config.js';

/** Config of a MoS adapter. */
export interface MosConfig extends AdapterConfigBase {
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
  /**
   * Candidate pool shards per shard slot (a row of the layer's index matrix). 1: each slot reads one
   * fixed, seeded shard; above 1: a learned router per slot picks its `topK` best candidates and mixes
   * them by a softmax over their router logits (MoS' MoE-like routing; input-independent, so the
   * adapter still merges). Default: 1.
   */
  candidates?: number;
  /** Candidates each slot mixes (≤ candidates). Default: 1. */
  topK?: number;
}

declare module '../registry.js' {
  interface AdapterConfigs {
    /** The config of method "mos". */
    mos: MosConfig;
  }
}

/** MoS' defaults. */
export const MOS_DEFAULTS: Readonly<ResolvedOptions<MosConfig>> = { r: 4, alpha: 8, shardSize: 4, poolSize: 64, privateShards: 1, seed: 0, candidates: 1, topK: 1 };

/** A MoS config with defaults filled in. */
export type ResolvedMosConfig = ResolvedConfig<MosConfig>;

/** Check MoS' options (defaults filled in). */
export function checkMosOptions(o: ResolvedOptions<MosConfig>, where: string): ResolvedOptions<MosConfig> {
  return {
    r: checkPositiveInt(where, 'r', o.r),
    alpha: checkNumber(where, 'alpha', o.alpha),
    shardSize: checkPositiveInt(where, 'shardSize', o.shardSize),
    poolSize: checkPositiveInt(where, 'poolSize', o.poolSize),
    privateShards: checkInt(where, 'privateShards', o.privateShards, 0),
    seed: checkNumber(where, 'seed', o.seed),
    candidates: checkPositiveInt(where, 'candidates', o.candidates),
    topK: checkPositiveInt(where, 'topK', o.topK),
  };
}

/** The error of a layer MoS cannot shard (null when it can): s must divide in and out, r ≤ min(in, out); inF is the fan-in (kh·kw·in on a conv). */
export function mosLayerError(c: { r: number; shardSize: number; poolSize: number; candidates: number; topK: number }, inF: number, outF: number, path: string): string | null {
  if (c.candidates > c.poolSize) return `MoS: candidates=${c.candidates} must be ≤ poolSize=${c.poolSize}`;
  if (c.topK > c.candidates) return `MoS: topK=${c.topK} must be ≤ candidates=${c.candidates}`;
  const s = c.shardSize;
  if (inF % s !== 0 || outF % s !== 0) return `MoS: shardSize=${s} at "${path}" must divide in=${inF} and out=${outF}`;
  if (c.r > Math.min(inF, outF)) return `MoS: r=${c.r} at "${path}" must be in 1..${Math.min(inF, outF)}`;
  return null;
}

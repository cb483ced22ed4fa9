// A Survey on Inference Optimization Techniques for Mixture of Experts Models (Liu et al., arXiv:2412.14219).
// Expert offloading (the survey's §system level: caching experts in fast memory): an LRU or LFU cache
// of C experts replayed over a real routing trace, counting hits, misses and the bytes moved in.
// Departs from real offloading systems: no prefetching, no overlap of transfer with compute.
import { resolveConfig } from '@weft/core';
import { checkNumber, checkOneOf, checkPositiveInt } from '@weft/core/internal';

/** Options of {@link simulateExpertCache}. */
export interface ExpertCacheOptions {
  /** Experts the fast memory holds, C ≥ 1. Default: 2. */
  capacity: number;
  /** Eviction: least recently used or least frequently used (ties: least recently used). Default: 'lru'. */
  policy: 'lru' | 'lfu';
  /** Bytes moved per miss (one expert's weights). Default: 1. */
  bytesPerExpert: number;
}

/** Defaults of {@link ExpertCacheOptions}. */
export const EXPERT_CACHE_DEFAULTS: ExpertCacheOptions = { capacity: 2, policy: 'lru', bytesPerExpert: 1 };

/** Outcome of a cache replay. */
export interface ExpertCacheResult {
  /** Expert requests served from the cache. */
  hits: number;
  /** Expert requests that had to load the expert. */
  misses: number;
  /** hits / (hits + misses) (0 for an empty trace). */
  hitRate: number;
  /** misses · bytesPerExpert. */
  bytesMoved: number;
}

/**
 * Replay a routing trace (per token, the experts it runs, in order) through a cache of experts.
 * Each request of an expert is a hit if it is cached, else a miss that loads it, evicting by `policy`
 * when the cache is full.
 */
export function simulateExpertCache(trace: readonly (readonly number[])[], options: Partial<ExpertCacheOptions> = {}): ExpertCacheResult {
  const o = resolveConfig('simulateExpertCache', EXPERT_CACHE_DEFAULTS, options);
  checkPositiveInt('simulateExpertCache', 'capacity', o.capacity);
  checkOneOf('simulateExpertCache', 'policy', o.policy, ['lru', 'lfu'] as const);
  checkNumber('simulateExpertCache', 'bytesPerExpert', o.bytesPerExpert, 0);
  const lastUse = new Map<number, number>(); // cached expert -> time of its last request
  const uses = new Map<number, number>(); // expert -> requests so far (LFU counts the whole history)
  let hits = 0, misses = 0, t = 0;
  for (const token of trace) {
    for (const e of token) {
      t++;
      uses.set(e, (uses.get(e) ?? 0) + 1);
      if (lastUse.has(e)) hits++;
      else {
        misses++;
        if (lastUse.size >= o.capacity) {
          let victim = -1;
          for (const [c, last] of lastUse) {
            if (victim < 0) victim = c;
            else if (o.policy === 'lru' ? last < lastUse.get(victim)! : uses.get(c)! < uses.get(victim)! || (uses.get(c) === uses.get(victim) && last < lastUse.get(victim)!)) victim = c;
          }
          lastUse.delete(victim);
        }
      }
      lastUse.set(e, t);
    }
  }
  const total = hits + misses;
  return { hits, misses, hitRate: total ? hits / total : 0, bytesMoved: misses * o.bytesPerExpert };
}

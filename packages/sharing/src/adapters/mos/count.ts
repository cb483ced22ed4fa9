// MoS' real-scale count: the two global shard pools (2 · poolSize · s, stored once and shared by
// every adapted layer) plus each layer's private shards (2 · privateShards · s) and, with routed
// selection (candidates > 1), its router logits (one per candidate of each shard slot: r·(in + out)/s slots).
import { CalculatorError, linearSizes, type AdapterCount } from '@weft/core';
import type { ResolvedOptions } from '../config.js';
import { MOS_DEFAULTS, checkMosOptions, mosLayerError, type MosConfig } from './config.js';

/** MoS' count (options as in its Weft config). */
export const MOS_COUNT: AdapterCount<ResolvedOptions<MosConfig>> = {
  options: MOS_DEFAULTS,
  plan(options) {
    const c = checkMosOptions(options, 'MoS config');
    return {
      name: `MoS r=${c.r}, ${c.poolSize} shards of ${c.shardSize}`,
      params(module, path) {
        const m = linearSizes('mos', module, path);
        const bad = mosLayerError(c, m.in, m.out, path);
        if (bad) throw new CalculatorError(`adapter: ${bad}`);
        const router = c.candidates > 1 ? ((c.r * (m.in + m.out)) / c.shardSize) * c.candidates : 0;
        return 2 * c.privateShards * c.shardSize + router;
      },
      shared: () => 2 * c.poolSize * c.shardSize,
    };
  },
};

// MoS: one registry entry (defaults, checks, the per-layer factory, its real-scale count; no PEFT
// form), registered here. The pools are created once per injection (keyed by the resolved config
// object, which every layer of one injection shares) and registered in every adapted layer.
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@weft/core';
import { kaimingBound } from '../adapter-layer.js';
import { fanIn } from '../base-op.js';
import type { ResolvedConfig } from '../config.js';
import { registerAdapterMethod, type AdapterMethod } from '../registry.js';
import { MOS_DEFAULTS, checkMosOptions, mosLayerError, type MosConfig } from './config.js';
import { MOS_COUNT } from './count.js';
import { MosLayer, type MosPools } from './layer.js';

export * from './config.js';
export * from './count.js';
export * from './layer.js';

const pools = new WeakMap<ResolvedConfig<MosConfig>, MosPools>();

/** The MoS method (registered as "mos"). */
export const mosMethod: AdapterMethod<MosConfig, MosLayer> = {
  label: 'MoS',
  taxonomy: { peft: 'reparameterised', modular: { computation: 'parameter', routing: 'fixed', aggregation: 'parameter' } },
  defaults: MOS_DEFAULTS,
  check: checkMosOptions,
  factory(base, c, ctx) {
    const bad = mosLayerError(c, fanIn(base), base.outFeatures, ctx.path);
    if (bad) throw new Error(bad);
    const s = c.shardSize;
    let p = pools.get(c);
    if (!p) {
      const fan = fanIn(base);
      p = {
        a: tf.tidy(() => tf.variable(tf.tensor2d(ctx.rng.fork('pool').uniformArray(c.poolSize * s, -kaimingBound(fan), kaimingBound(fan)), [c.poolSize, s]))),
        b: tf.tidy(() => tf.variable(tf.zeros([c.poolSize, s]))),
        refs: 0,
      };
      pools.set(c, p);
    }
    return new MosLayer(base, { r: c.r, alpha: c.alpha, shardSize: s, privateShards: c.privateShards, selection: new Rng(c.seed).fork(ctx.path), candidates: c.candidates, topK: c.topK }, p, ctx.rng);
  },
  peft: null,
  count: MOS_COUNT,
  cost({ inFeatures: i, outFeatures: o }, c) {
    const { r, shardSize: s, poolSize, privateShards: p, candidates: C } = c;
    const slots = [(r * i) / s, (r * o) / s]; // shard slots of A and of B
    // Routed (C > 1), per call and slot: the top-k mask (2C² + C), its softmax (C), the mix of C shards (2Cs).
    const routing = C > 1 ? slots.reduce((t, n) => t + n * (2 * C * C + 2 * C + 2 * C * s), 0) : 0;
    return {
      trainable: 2 * poolSize * s + 2 * p * s + (C > 1 ? (slots[0]! + slots[1]!) * C : 0),
      flopsPerToken: 2 * r * (i + o) + 2 * o, // x·A, ·B, × scaling, + y
      flopsPerCall: routing,
      mergeable: true,
    };
  },
};

registerAdapterMethod('mos', mosMethod);

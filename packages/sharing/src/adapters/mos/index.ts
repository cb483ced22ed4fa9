// MoS registration: the pools are created once per injection (keyed by the resolved config object,
// which every layer of one injection shares) and registered in every adapted layer.
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@weft/core';
import type { AdapterMethod } from '../registry.js';
import { kaimingBound } from '../adapter-layer.js';
import { resolveMosConfig, type MosConfig, type ResolvedMosConfig } from './config.js';
import { MosLayer, type MosPools } from './layer.js';

export * from './config.js';
export * from './layer.js';

const pools = new WeakMap<ResolvedMosConfig, MosPools>();

/** The MoS method (registered as "mos"). */
export const mosMethod: AdapterMethod<MosConfig, ResolvedMosConfig> = {
  defaults: { r: 4, alpha: 8, shardSize: 4, poolSize: 64, privateShards: 1, seed: 0 },
  resolve: resolveMosConfig,
  factory(base, c, ctx) {
    if (base.kind !== 'linear') throw new Error(`MoS: "${ctx.path}" is a conv2d layer; MoS supports Linear/Dense layers`);
    const s = c.shardSize;
    if (base.inFeatures % s !== 0 || base.outFeatures % s !== 0) {
      throw new Error(`MoS: shardSize=${s} at "${ctx.path}" must divide in=${base.inFeatures} and out=${base.outFeatures}`);
    }
    if (c.r > Math.min(base.inFeatures, base.outFeatures)) throw new Error(`MoS: r=${c.r} at "${ctx.path}" must be in 1..${Math.min(base.inFeatures, base.outFeatures)}`);
    let p = pools.get(c);
    if (!p) {
      const fan = base.inFeatures;
      p = {
        a: tf.tidy(() => tf.variable(tf.tensor2d(ctx.rng.fork('pool').uniformArray(c.poolSize * s, -kaimingBound(fan), kaimingBound(fan)), [c.poolSize, s]))),
        b: tf.tidy(() => tf.variable(tf.zeros([c.poolSize, s]))),
        refs: 0,
      };
      pools.set(c, p);
    }
    return new MosLayer(base, { r: c.r, alpha: c.alpha, shardSize: s, privateShards: c.privateShards, selection: new Rng(c.seed).fork(ctx.path) }, p, ctx.rng);
  },
};

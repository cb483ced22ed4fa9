// 3-in-1: 2D Rotary Adaptation (RoAd, arXiv:2409.00119), composability: RoAd's 2D rotation-scalings
// of one output pair commute and compose, R(θ₂, α₂)·R(θ₁, α₁) = R(θ₁ + θ₂, α₁α₂), so applying two
// road_1 or road_2 adapters in a row equals one adapter whose angles add and scales multiply.
// (road_4's cos and sin entries have their own angles, so it is not closed under composition.)
import * as tf from '@tensorflow/tfjs-core';
import { describeValue, Rng, type Module } from '@weft/core';
import { checkAdapterName } from '../adapted-layer.js';
import { adaptedLayers, adapterNames } from '../inject.js';
import { resolveAdapterConfig } from '../registry.js';
import type { RoadConfig } from './config.js';
import { RoadLayer } from './layer.js';

/**
 * Add RoAd adapter `name` equal to applying the RoAd adapters `sources` in order (θ = Σ θᵢ,
 * α = Π αᵢ), on the layers every source adapts. Sources must share variant (road_1 or road_2) and
 * group size. Returns the adapted paths; the new adapter is not activated.
 */
export function composeRoadAdapters(model: Module<any, any>, sources: string[], name: string): string[] {
  const fn = 'composeRoadAdapters';
  if (!Array.isArray(sources) || sources.length === 0) throw new Error(`${fn}: sources=${describeValue(sources)} must be a non-empty list of RoAd adapter names`);
  checkAdapterName(name, fn);
  const known = adapterNames(model);
  for (const s of sources) if (!known.includes(s)) throw new Error(`${fn}: no adapter ${describeValue(s)} (has: ${known.join(', ') || 'none'})`);
  if (known.includes(name)) throw new Error(`${fn}: the model already has an adapter "${name}"`);
  const layers = adaptedLayers(model).filter(([, l]) => sources.every((s) => l.has(s)));
  if (layers.length === 0) throw new Error(`${fn}: no layer has all of ${sources.join(', ')}`);
  const plan = layers.map(([path, l]) => {
    const parts = sources.map((s) => l.adapter(s));
    const bad = parts.find((p) => !(p instanceof RoadLayer));
    if (bad) throw new Error(`${fn}: "${sources[parts.indexOf(bad)]}" at "${path}" is ${bad.method}, not RoAd`);
    const roads = parts as RoadLayer[];
    const { variant, groupSize } = roads[0]!.options;
    if (variant === 'road_4') throw new Error(`${fn}: variant "road_4" at "${path}" does not compose (separate cos and sin angles); use road_1 or road_2`);
    if (roads.some((r) => r.options.variant !== variant || r.options.groupSize !== groupSize)) {
      throw new Error(`${fn}: the sources at "${path}" differ in variant or groupSize (${roads.map((r) => `${r.options.variant}/${r.options.groupSize}`).join(', ')})`);
    }
    return { l, roads, variant, groupSize };
  });
  for (const { l, roads, variant, groupSize } of plan) {
    const layer = new RoadLayer(l.base, { variant, groupSize, initWeights: true }, new Rng(0));
    tf.tidy(() => {
      layer.theta.assign(tf.addN(roads.map((r) => r.theta)));
      layer.alpha.assign(roads.slice(1).reduce((acc: tf.Tensor, r) => tf.mul(acc, r.alpha), roads[0]!.alpha));
    });
    layer.resolvedConfig = resolveAdapterConfig<RoadConfig>({ method: 'road', targets: [], variant, groupSize });
    l.add(name, layer);
  }
  return layers.map(([p]) => p);
}

// Weft's own merges of adapters in ΔW space: every source layer's full weight update ΔWᵢ (so LoRA,
// LoHa, LoKr, IA3, … and unequal ranks combine alike) is merged by a registered merge method
// (./registry.ts: task arithmetic, TIES, DARE, PCB, …), then re-factorised to a LoRA of the target
// rank by a truncated SVD (A = U√S, B = √S Vᵀ). These are not PEFT's add_weighted_adapter, whose
// linear/ties/dare types combine the LoRA factors separately: that is ./peft-weighted.ts, under
// PEFT's names. Task arithmetic with rank ≥ Σ source ranks is exact.
import * as tf from '@tensorflow/tfjs-core';
import { Rng, checkKnownKeys, describeValue, resolveConfig, type Module } from '@weft/core';
import { checkInt, checkPositiveInt } from '@weft/core/internal';
import type { AdapterLayer } from '../adapter-layer.js';
import { checkAdapterName, type AdaptedLayer } from '../adapted-layer.js';
import { fanIn } from '../base-op.js';
import { adaptedLayers, adapterNames, setActiveAdapters } from '../inject.js';
import type { LoraConfig } from '../lora/config.js';
import { LoraLayer } from '../lora/layer.js';
import { resolveAdapterConfig } from '../registry.js';
import { svd } from '../svd.js';
import { mergeMethod } from './registry.js';

/** Options of {@link combineAdapters}: the common ones below plus the chosen method's own (see its defaults). */
export interface CombineOptions {
  /** A registered merge method ({@link mergeMethodNames}). Default: 'task-arithmetic' (Σ wᵢ ΔWᵢ). */
  method?: string;
  /** Rank of the resulting LoRA (SVD). Default: Σ source ranks for task arithmetic, the largest source rank otherwise (capped by the layer size). */
  rank?: number;
  /** Seed of the method's randomness (DARE's drops). Default: 0. */
  seed?: number;
  /** Per-layer weights (layer path → one weight per source) replacing `weights` there (Sens-Merging, evolved recipes). Default: none. */
  layerWeights?: Record<string, number[]>;
  /** The method's options (density, majoritySign, …); unknown ones are refused with the nearest name. */
  [option: string]: unknown;
}

const COMMON = ['method', 'rank', 'seed', 'layerWeights'];

function rankOf(a: AdapterLayer): number {
  const o = (a as unknown as { options?: { r?: number } }).options;
  return o?.r ?? Math.min(fanIn(a.base), a.base.outFeatures);
}

/**
 * Weft's ΔW-space merge: combine adapters `sources` (names on `model`, any method, with `weights`)
 * by the registered merge method `options.method` into a new LoRA adapter `name` on every layer any
 * source adapts; the new adapter becomes the only active one. Returns the adapted paths. For PEFT's
 * own add_weighted_adapter semantics use {@link addWeightedAdapter}.
 */
export async function combineAdapters(model: Module<any, any>, sources: string[], weights: number[], name: string, options: CombineOptions = {}): Promise<string[]> {
  const fn = 'combineAdapters';
  checkKnownKeys(`${fn}: options`, options, [...COMMON, ...Object.keys(mergeMethod(options?.method ?? 'task-arithmetic').defaults)]);
  const methodName = options.method ?? 'task-arithmetic';
  const method = mergeMethod(methodName);
  const { method: _m, rank: rankOption, seed, layerWeights, ...rest } = options;
  const resolved = resolveConfig(`${fn} (${methodName})`, method.defaults as Record<string, unknown>, rest);
  const methodOptions = method.check ? method.check(resolved, `${fn} (${methodName})`) : resolved;
  if (!Array.isArray(sources) || sources.length === 0 || !sources.every((s) => typeof s === 'string')) {
    throw new Error(`${fn}: sources=${describeValue(sources)} must be a non-empty list of adapter names`);
  }
  if (!Array.isArray(weights) || weights.length !== sources.length || !weights.every((w) => typeof w === 'number' && Number.isFinite(w))) {
    throw new Error(`${fn}: weights=${describeValue(weights)} must be ${sources.length} finite numbers (one per source)`);
  }
  checkAdapterName(name, fn);
  const known = adapterNames(model);
  for (const s of sources) if (!known.includes(s)) throw new Error(`${fn}: no adapter ${describeValue(s)} (has: ${known.join(', ') || 'none'})`);
  if (known.includes(name)) throw new Error(`${fn}: the model already has an adapter "${name}"`);
  if (rankOption !== undefined) checkPositiveInt(fn, 'rank', rankOption);
  const rng = new Rng(seed === undefined ? 0 : checkInt(fn, 'seed', seed, 0));

  const layers = adaptedLayers(model).filter(([, l]) => sources.some((s) => l.has(s)));
  if (layerWeights !== undefined) {
    if (typeof layerWeights !== 'object' || layerWeights === null || Array.isArray(layerWeights)) throw new Error(`${fn}: layerWeights=${describeValue(layerWeights)} must be an object {layer path: weights}`);
    for (const [p, w] of Object.entries(layerWeights)) {
      if (!layers.some(([q]) => q === p)) throw new Error(`${fn}: layerWeights names layer ${describeValue(p)}, which no source adapts (layers: ${layers.map(([q]) => q).join(', ')})`);
      if (!Array.isArray(w) || w.length !== sources.length || !w.every((x) => typeof x === 'number' && Number.isFinite(x))) {
        throw new Error(`${fn}: layerWeights[${describeValue(p)}]=${describeValue(w)} must be ${sources.length} finite numbers`);
      }
    }
  }
  const made: Array<[AdaptedLayer, LoraLayer]> = [];
  try {
    for (const [index, [path, l]] of layers.entries()) {
      const ws = layerWeights && Object.hasOwn(layerWeights, path) ? layerWeights[path]! : weights;
      const here = sources.map((s, i) => ({ a: l.has(s) ? l.adapter(s) : null, w: ws[i]! })).filter((e) => e.a !== null) as Array<{ a: AdapterLayer; w: number }>;
      const k = fanIn(l.base), out = l.base.outFeatures;
      const deltas: Float32Array[] = [];
      for (const e of here) {
        const d = e.a.deltaWeight(); // [fanIn, out]
        deltas.push((await d.data()) as Float32Array);
        d.dispose();
      }
      const combined = method.merge(deltas, here.map((e) => e.w), methodOptions, { path, layer: index, layers: layers.length, rows: k, cols: out, rng });
      const sumRank = here.reduce((s, e) => s + rankOf(e.a), 0);
      const r = Math.min(rankOption ?? (methodName === 'task-arithmetic' ? sumRank : Math.max(...here.map((e) => rankOf(e.a)))), Math.min(k, out));
      const { u, s, v, k: kk } = svd(combined, k, out);
      const a = new Float32Array(k * r), b = new Float32Array(r * out);
      for (let c = 0; c < r; c++) {
        const root = Math.sqrt(s[c]!);
        for (let i = 0; i < k; i++) a[i * r + c] = u[i * kk + c]! * root;
        for (let j = 0; j < out; j++) b[c * out + j] = v[j * kk + c]! * root;
      }
      const layer = new LoraLayer(l.base, { r, alpha: r, dropout: 0, rslora: false, dora: false, initWeights: true }, rng);
      made.push([l, layer]);
      tf.tidy(() => {
        layer.loraA.assign(tf.tensor2d(a, [k, r]));
        layer.loraB.assign(tf.tensor2d(b, [r, out]));
      });
    }
  } catch (e) {
    for (const [, layer] of made) layer.dispose();
    throw e;
  }
  for (const [l, layer] of made) {
    layer.resolvedConfig = resolveAdapterConfig<LoraConfig>({ method: 'lora', targets: [], r: layer.options.r, alpha: layer.options.alpha });
    l.add(name, layer);
  }
  setActiveAdapters(model, [name]);
  return layers.map(([p]) => p);
}

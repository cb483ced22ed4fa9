// Combining adapters into a new LoRA adapter. Task arithmetic: Editing Models with Task Arithmetic
// (arXiv:2212.04089); TIES-Merging (arXiv:2306.01708); DARE: Language Models are Super Mario
// (arXiv:2311.03099). Every method works on each layer's full weight update ΔW (so LoRA, LoHa,
// LoKr and IA3 sources and unequal ranks combine alike, like PEFT's *_svd variants of
// add_weighted_adapter), then re-factorises the result to a LoRA of the target rank by a truncated
// SVD. "cat" is PEFT's exact concatenation for LoRA sources (rank = Σ ranks, no SVD). Departure
// from PEFT: no 0.99-quantile clamping of the SVD factors.
import * as tf from '@tensorflow/tfjs-core';
import { Rng, checkKnownKeys, configKeys, type Module, describeValue } from '@weft/core';
import type { AdapterLayer } from './adapter-layer.js';
import { checkAdapterName, type AdaptedLayer } from './adapted-layer.js';
import { fanIn } from './base-op.js';
import { adaptedLayers, adapterNames, setActiveAdapters } from './inject.js';
import { LoraLayer } from './lora/layer.js';
import type { LoraConfig } from './lora/config.js';
import { resolveAdapterConfig } from './registry.js';
import { svd } from './svd.js';

/** How to combine. */
export type CombinationType = 'linear' | 'cat' | 'ties' | 'dare_linear' | 'dare_ties' | 'magnitude_prune';

/** Options of {@link combineAdapters}. */
export interface CombineOptions {
  /** The combination. Default: 'linear' (task arithmetic: Σ wᵢ ΔWᵢ). */
  type?: CombinationType;
  /** Fraction of entries kept by TIES / DARE / magnitude pruning, in (0, 1]. Default: 0.5. */
  density?: number;
  /** TIES sign election: 'total' (sign of Σ values) or 'frequency' (sign of Σ signs). Default: 'total'. */
  majoritySign?: 'total' | 'frequency';
  /** Rank of the resulting LoRA (SVD). Default: Σ source ranks for 'linear', max source rank otherwise (capped by the layer size). */
  rank?: number;
  /** Seed of DARE's random drops. Default: 0. */
  seed?: number;
}

const TYPES: CombinationType[] = ['linear', 'cat', 'ties', 'dare_linear', 'dare_ties', 'magnitude_prune'];
const COMBINE_OPTIONS = configKeys<CombineOptions>({ type: true, density: true, majoritySign: true, rank: true, seed: true });

function rankOf(a: AdapterLayer): number {
  const o = (a as unknown as { options?: { r?: number } }).options;
  return o?.r ?? Math.min(fanIn(a.base), a.base.outFeatures);
}

/** Keep the `density` fraction of largest-magnitude entries (PEFT's magnitude prune). */
function magnitudePrune(x: Float32Array, density: number): Float32Array {
  const k = Math.round(density * x.length);
  if (k >= x.length) return x;
  const sorted = Float32Array.from(x, Math.abs).sort();
  const threshold = sorted[x.length - k]!;
  let kept = 0;
  return x.map((v) => (Math.abs(v) >= threshold && kept++ < k ? v : 0));
}

/** DARE: drop each entry with probability 1 − density and rescale the kept ones by 1/density. */
function darePrune(x: Float32Array, density: number, rng: Rng): Float32Array {
  return x.map((v) => (rng.next() < density ? v / density : 0));
}

/** TIES sign election and disjoint mean over the agreeing (weighted) entries. */
function disjointMerge(tensors: Float32Array[], weights: number[], method: 'total' | 'frequency'): Float32Array {
  const n = tensors[0]!.length;
  const out = new Float32Array(n);
  for (let j = 0; j < n; j++) {
    let vote = 0;
    for (const t of tensors) vote += method === 'total' ? t[j]! : Math.sign(t[j]!);
    const sign = vote >= 0 ? 1 : -1;
    let sum = 0, count = 0;
    tensors.forEach((t, i) => {
      if (Math.sign(t[j]!) === sign) {
        sum += weights[i]! * t[j]!;
        count++;
      }
    });
    out[j] = sum / Math.max(count, 1);
  }
  return out;
}

/**
 * Combine adapters `sources` (names on `model`, with `weights`) into a new LoRA adapter `name` on
 * every layer any source adapts; the new adapter becomes the only active one. Returns the
 * adapted paths.
 */
export async function combineAdapters(model: Module<any, any>, sources: string[], weights: number[], name: string, options: CombineOptions = {}): Promise<string[]> {
  const fn = 'combineAdapters';
  checkKnownKeys(`${fn}: options`, options, COMBINE_OPTIONS);
  const type = options.type ?? 'linear';
  if (!TYPES.includes(type)) throw new Error(`${fn}: type=${describeValue(type)}; allowed: ${TYPES.join(', ')}`);
  if (!Array.isArray(sources) || sources.length === 0) throw new Error(`${fn}: sources must be a non-empty list of adapter names`);
  if (!Array.isArray(weights) || weights.length !== sources.length || !weights.every(Number.isFinite)) {
    throw new Error(`${fn}: weights=${describeValue(weights)} must be ${sources.length} finite numbers (one per source)`);
  }
  const density = options.density ?? 0.5;
  if (!(density > 0 && density <= 1)) throw new Error(`${fn}: density=${density} must be in (0, 1]`);
  const majority = options.majoritySign ?? 'total';
  if (majority !== 'total' && majority !== 'frequency') throw new Error(`${fn}: majoritySign=${describeValue(majority)}; allowed: total, frequency`);
  checkAdapterName(name, fn);
  const known = adapterNames(model);
  for (const s of sources) if (!known.includes(s)) throw new Error(`${fn}: no adapter "${s}" (has: ${known.join(', ') || 'none'})`);
  if (known.includes(name)) throw new Error(`${fn}: the model already has an adapter "${name}"`);
  if (options.rank !== undefined && !(Number.isInteger(options.rank) && options.rank > 0)) throw new Error(`${fn}: rank=${options.rank} must be a positive integer`);

  const layers = adaptedLayers(model).filter(([, l]) => sources.some((s) => l.has(s)));
  if (type === 'cat') {
    for (const [path, l] of layers) for (const s of sources) if (l.has(s) && !(l.adapter(s) instanceof LoraLayer && !(l.adapter(s) as LoraLayer).magnitude)) {
      throw new Error(`${fn}: type "cat" needs plain LoRA sources; "${s}" at "${path}" is ${l.adapter(s).method}${l.adapter(s).method === 'lora' ? ' with DoRA' : ''} (use "linear")`);
    }
  }
  const rng = new Rng(options.seed ?? 0);
  const made: Array<[AdaptedLayer, LoraLayer]> = [];
  try {
    for (const [, l] of layers) {
      const here = sources.map((s, i) => ({ a: l.has(s) ? l.adapter(s) : null, w: weights[i]! })).filter((e) => e.a !== null) as Array<{ a: AdapterLayer; w: number }>;
      const k = fanIn(l.base), out = l.base.outFeatures;
      const cap = Math.min(k, out);
      const sumRank = here.reduce((s, e) => s + rankOf(e.a), 0);
      if (type === 'cat') {
        const parts = here.map((e) => e.a as LoraLayer);
        const r = sumRank;
        const layer = new LoraLayer(l.base, { r, alpha: r, dropout: 0, rslora: false, dora: false, initWeights: true }, rng);
        tf.tidy(() => {
          layer.loraA.assign(tf.concat(parts.map((p) => p.loraA), 1)); // [fanIn, Σr]
          layer.loraB.assign(tf.concat(parts.map((p, i) => tf.mul(p.loraB, (here[i]!.w * p.scaling) / layer.scaling)), 0)); // [Σr, out]
        });
        made.push([l, layer]);
        continue;
      }
      const deltas: Float32Array[] = [];
      for (const e of here) {
        const d = e.a.deltaWeight();
        deltas.push((await d.data()) as Float32Array);
        d.dispose();
      }
      let combined: Float32Array;
      if (type === 'linear') {
        combined = new Float32Array(k * out);
        deltas.forEach((d, i) => d.forEach((v, j) => (combined[j]! += here[i]!.w * v)));
      } else if (type === 'magnitude_prune' || type === 'dare_linear') {
        combined = new Float32Array(k * out);
        deltas.forEach((d, i) => {
          const p = type === 'magnitude_prune' ? magnitudePrune(d, density) : darePrune(d, density, rng);
          p.forEach((v, j) => (combined[j]! += here[i]!.w * v));
        });
      } else {
        const pruned = deltas.map((d) => (type === 'ties' ? magnitudePrune(d, density) : darePrune(d, density, rng)));
        combined = disjointMerge(pruned, here.map((e) => e.w), majority);
      }
      const r = Math.min(options.rank ?? (type === 'linear' ? sumRank : Math.max(...here.map((e) => rankOf(e.a)))), cap);
      const { u, s, v, k: kk } = svd(combined, k, out);
      const a = new Float32Array(k * r), b = new Float32Array(r * out);
      for (let c = 0; c < r; c++) {
        const root = Math.sqrt(s[c]!);
        for (let i = 0; i < k; i++) a[i * r + c] = u[i * kk + c]! * root;
        for (let j = 0; j < out; j++) b[c * out + j] = v[j * kk + c]! * root;
      }
      const layer = new LoraLayer(l.base, { r, alpha: r, dropout: 0, rslora: false, dora: false, initWeights: true }, rng);
      tf.tidy(() => {
        layer.loraA.assign(tf.tensor2d(a, [k, r]));
        layer.loraB.assign(tf.tensor2d(b, [r, out]));
      });
      made.push([l, layer]);
    }
  } catch (e) {
    for (const [, layer] of made) layer.dispose();
    throw e;
  }
  const paths: string[] = [];
  for (const [l, layer] of made) {
    layer.resolvedConfig = resolveAdapterConfig<LoraConfig>({ method: 'lora', targets: [], r: layer.options.r, alpha: layer.options.alpha });
    l.add(name, layer);
  }
  for (const [path, l] of layers) if (l.has(name)) paths.push(path);
  setActiveAdapters(model, [name]);
  return paths;
}

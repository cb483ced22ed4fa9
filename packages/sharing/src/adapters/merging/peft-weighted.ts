// PEFT's LoraModel.add_weighted_adapter (peft/tuners/lora/model.py, PEFT 0.21), with TIES-Merging
// (arXiv:2306.01708) and DARE (arXiv:2311.03099): the same numbers under the same names. `linear`,
// `ties`, `dare_linear`, `dare_ties` and `magnitude_prune` combine the A factors and the B factors
// separately, with weights √|wᵢ sᵢ|·sign(wᵢ sᵢ) on A and √|wᵢ sᵢ| on B (sᵢ each source's scaling);
// `cat` stacks wᵢ sᵢ Aᵢ and Bᵢ along the rank; the `*_svd` types (and `svd`) combine the full
// ΔWᵢ = sᵢ BᵢAᵢ with weights wᵢ, then keep the top svd_rank singular triplets: B = U·S, A = Vᵀ,
// optionally clamped at the svd_clamp quantile of |values|. The new adapter has r = alpha = its rank
// and keeps the first source's rsLoRA flag, as PEFT's config copy does. Departures: DARE's masks come
// from a seeded Weft Rng (PEFT draws from torch's global generator); an existing name, DoRA sources
// and an svd_rank above min(in, out) are refused where PEFT returns silently, builds DoRA magnitudes
// afresh, or produces mis-shaped factors. Weft's own ΔW-space merges live in ./delta.ts.
import * as tf from '@tensorflow/tfjs-core';
import { Rng, checkKnownKeys, configKeys, describeValue, type Module } from '@weft/core';
import { checkBool, checkInt, checkNumber, checkOneOf, checkPositiveInt } from '@weft/core/internal';
import { checkAdapterName, type AdaptedLayer } from '../adapted-layer.js';
import { adaptedLayers, adapterNames, setActiveAdapters } from '../inject.js';
import type { LoraConfig } from '../lora/config.js';
import { LoraLayer } from '../lora/layer.js';
import { resolveAdapterConfig } from '../registry.js';
import { svd } from '../svd.js';
import { disjointMerge, magnitudePrune, randomPrune, weightedSum, type MajoritySignMethod } from './prune.js';

/** PEFT's combination types, under PEFT's names. */
export const PEFT_COMBINATION_TYPES = [
  'svd', 'linear', 'cat', 'ties', 'ties_svd', 'dare_linear', 'dare_ties', 'dare_linear_svd', 'dare_ties_svd', 'magnitude_prune', 'magnitude_prune_svd',
] as const;

/** One of PEFT's combination types. */
export type PeftCombinationType = (typeof PEFT_COMBINATION_TYPES)[number];

/** Options of {@link addWeightedAdapter}: PEFT's keyword arguments in camelCase. */
export interface AddWeightedAdapterOptions {
  /** PEFT's combination_type. Default: 'svd' (PEFT's default). A single source is always 'linear', as in PEFT. */
  combinationType?: PeftCombinationType;
  /** Rank of the result of the `*_svd` types. Default: the largest source rank. */
  svdRank?: number;
  /** Quantile in [0, 1] at which the SVD factors are clamped (to ±that quantile of their values). Default: none. */
  svdClamp?: number;
  /**
   * PEFT's svd_full_matrices (torch.linalg.svd's full_matrices). Accepted for parity: the factors
   * keep at most min(in, out) singular triplets either way, so it does not change the result. Default: true.
   */
  svdFullMatrices?: boolean;
  /** Fraction of entries kept by the pruning types, in [0, 1] ((0, 1] for DARE). Required by them, as in PEFT. */
  density?: number;
  /** TIES sign election. Default: 'total'. */
  majoritySignMethod?: MajoritySignMethod;
  /** Seed of DARE's Bernoulli masks. Default: 0. */
  seed?: number;
}

const OPTIONS = configKeys<AddWeightedAdapterOptions>({
  combinationType: true, svdRank: true, svdClamp: true, svdFullMatrices: true, density: true, majoritySignMethod: true, seed: true,
});
const FACTOR_TYPES: readonly PeftCombinationType[] = ['linear', 'ties', 'dare_linear', 'dare_ties', 'magnitude_prune'];

/** Combine flat task tensors the way PEFT's merge_utils does for `type` (with or without the _svd suffix). */
function combine(type: string, tasks: Float32Array[], weights: number[], density: number, sign: MajoritySignMethod, rng: Rng): Float32Array {
  switch (type.replace(/_svd$/, '')) {
    case 'svd':
    case 'linear':
      return weightedSum(tasks, weights);
    case 'magnitude_prune':
      return weightedSum(tasks.map((t) => magnitudePrune(t, density)), weights);
    case 'ties':
      return disjointMerge(tasks.map((t) => magnitudePrune(t, density)), weights, sign);
    case 'dare_linear':
      return weightedSum(tasks.map((t) => randomPrune(t, density, rng)), weights);
    case 'dare_ties':
      return disjointMerge(tasks.map((t) => randomPrune(t, density, rng)), weights, sign);
    default:
      throw new Error(`addWeightedAdapter: unknown combination ${type}`);
  }
}

/** The `q` quantile of `x` with linear interpolation between order statistics (torch.quantile's default). */
export function quantile(x: ArrayLike<number>, q: number): number {
  const s = Float64Array.from(x).sort();
  const pos = q * (s.length - 1);
  const lo = Math.floor(pos), hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

/**
 * Factor ΔW ([fanIn, out], row-major) as A [fanIn, r] = V_r and B [r, out] = S_r U_rᵀ in PEFT's
 * layout terms (PEFT: lora_B = U·S, lora_A = Vh of ΔWᵀ), clamped at the `clamp` quantile when given.
 * Columns beyond min(fanIn, out) are zero.
 */
function svdFactors(dw: Float32Array, k: number, out: number, r: number, clamp: number | undefined): { a: Float32Array; b: Float32Array } {
  const { u, s, v, k: kk } = svd(dw, k, out);
  const a = new Float32Array(k * r), b = new Float32Array(r * out);
  for (let c = 0; c < Math.min(r, kk); c++) {
    for (let i = 0; i < k; i++) a[i * r + c] = u[i * kk + c]!;
    for (let j = 0; j < out; j++) b[c * out + j] = v[j * kk + c]! * s[c]!;
  }
  if (clamp !== undefined) {
    // PEFT takes the quantile over U·S and Vh truncated to the new rank (here B and A, zeros included when r > min).
    const hi = quantile([...a, ...b], clamp);
    const clip = (x: number) => Math.min(Math.max(x, -hi), hi);
    return { a: a.map(clip), b: b.map(clip) };
  }
  return { a, b };
}

/**
 * PEFT's `add_weighted_adapter`: combine the LoRA adapters `adapters` of `model` with `weights`
 * into a new LoRA adapter `adapterName` on every layer any of them adapts, and make it the only
 * active adapter. Same semantics and names as PEFT (see the file header); Weft's ΔW-space merges
 * (any adapter method, registry of merge methods) are {@link combineAdapters}. Returns the adapted paths.
 */
export async function addWeightedAdapter(
  model: Module<any, any>, adapters: string[], weights: number[], adapterName: string, options: AddWeightedAdapterOptions = {},
): Promise<string[]> {
  const fn = 'addWeightedAdapter';
  checkKnownKeys(`${fn}: options`, options, OPTIONS);
  let type = options.combinationType ?? 'svd';
  checkOneOf(fn, 'combinationType', type, PEFT_COMBINATION_TYPES);
  if (!Array.isArray(adapters) || adapters.length === 0 || !adapters.every((a) => typeof a === 'string')) {
    throw new Error(`${fn}: adapters=${describeValue(adapters)} must be a non-empty list of adapter names`);
  }
  if (!Array.isArray(weights) || weights.length !== adapters.length || !weights.every((w) => typeof w === 'number' && Number.isFinite(w))) {
    throw new Error(`${fn}: weights=${describeValue(weights)} must be ${adapters.length} finite numbers (one per adapter)`);
  }
  checkAdapterName(adapterName, fn);
  const known = adapterNames(model);
  for (const s of adapters) if (!known.includes(s)) throw new Error(`${fn}: no adapter ${describeValue(s)} (has: ${known.join(', ') || 'none'})`);
  if (known.includes(adapterName)) throw new Error(`${fn}: the model already has an adapter "${adapterName}"`);
  if (adapters.length === 1) type = 'linear'; // PEFT: one adapter can only be merged linearly
  const pruning = !['svd', 'linear', 'cat'].includes(type);
  const dare = type.startsWith('dare');
  let density = 1;
  if (pruning) {
    if (options.density === undefined) throw new Error(`${fn}: combinationType "${type}" needs a density (the fraction of entries kept)`);
    density = checkNumber(fn, 'density', options.density, 0, 1);
    if (dare && density === 0) throw new Error(`${fn}: density=0 is not allowed for "${type}" (DARE rescales the kept entries by 1/density)`);
  } else if (options.density !== undefined) checkNumber(fn, 'density', options.density, 0, 1);
  const sign = options.majoritySignMethod ?? 'total';
  checkOneOf(fn, 'majoritySignMethod', sign, ['total', 'frequency'] as const);
  const clamp = options.svdClamp === undefined ? undefined : checkNumber(fn, 'svdClamp', options.svdClamp, 0, 1);
  if (options.svdFullMatrices !== undefined) checkBool(fn, 'svdFullMatrices', options.svdFullMatrices);
  if (options.svdRank !== undefined) checkPositiveInt(fn, 'svdRank', options.svdRank);
  const rng = new Rng(options.seed === undefined ? 0 : checkInt(fn, 'seed', options.seed, 0));

  const layers = adaptedLayers(model).filter(([, l]) => adapters.some((s) => l.has(s)));
  const entries = layers.map(([path, l]) => ({
    path, l,
    here: adapters.flatMap((s, i) => {
      if (!l.has(s)) return [];
      const a = l.adapter(s);
      if (!(a instanceof LoraLayer) || a.magnitude) {
        throw new Error(`${fn}: "${s}" at "${path}" is ${a.method}${a.method === 'lora' ? ' with DoRA' : ''}; add_weighted_adapter combines plain LoRA adapters (combineAdapters merges any method in ΔW space)`);
      }
      return [{ name: s, a, w: weights[i]! }];
    }),
  }));
  // Ranks as PEFT sizes the new adapter: each source's largest rank over the layers.
  const maxRank = adapters.map((s) => Math.max(...entries.flatMap((e) => e.here.filter((h) => h.name === s).map((h) => h.a.options.r))));
  const firstRslora = entries.flatMap((e) => e.here).find((h) => h.name === adapters[0])!.a.options.rslora;
  const svdRank = options.svdRank ?? Math.max(...maxRank);

  const made: Array<[AdaptedLayer, LoraLayer]> = [];
  try {
    for (const { path, l, here } of entries) {
      const [k, out] = [here[0]!.a.loraA.shape[0]!, here[0]!.a.loraB.shape[1]!]; // A [fanIn, r], B [r, out]
      let r: number;
      let a: Float32Array, b: Float32Array;
      if (type === 'cat') {
        r = maxRank.reduce((x, y) => x + y, 0);
        a = new Float32Array(k * r); // [fanIn, Σr]: wᵢ sᵢ Aᵢ side by side, zero columns for a source absent here
        b = new Float32Array(r * out); // [Σr, out]: Bᵢ stacked
        let col = 0;
        for (const { a: src, w } of here) {
          const ri = src.options.r;
          const av = await src.loraA.data(), bv = await src.loraB.data();
          for (let i = 0; i < k; i++) for (let c = 0; c < ri; c++) a[i * r + col + c] = av[i * ri + c]! * w * src.scaling;
          b.set(bv, col * out);
          col += ri;
        }
      } else if (FACTOR_TYPES.includes(type)) {
        r = here[0]!.a.options.r;
        const bad = here.find((e) => e.a.options.r !== r);
        if (bad) throw new Error(`${fn}: "${type}" needs equal ranks; at "${path}" the sources have r=${here.map((e) => e.a.options.r).join(', ')} (use "cat" or an *_svd type)`);
        const ws = here.map((e) => e.w * e.a.scaling);
        const wA = ws.map((x) => Math.sqrt(Math.abs(x)) * (x >= 0 ? 1 : -1)); // the sign goes on A only
        const wB = ws.map((x) => Math.sqrt(Math.abs(x)));
        const as = await Promise.all(here.map((e) => e.a.loraA.data() as Promise<Float32Array>));
        const bs = await Promise.all(here.map((e) => e.a.loraB.data() as Promise<Float32Array>));
        a = combine(type, as, wA, density, sign, rng);
        b = combine(type, bs, wB, density, sign, rng);
      } else {
        if (svdRank > Math.min(k, out)) throw new Error(`${fn}: svdRank=${svdRank} exceeds min(in, out)=${Math.min(k, out)} at "${path}"`);
        r = svdRank;
        const deltas: Float32Array[] = [];
        for (const e of here) {
          const d = e.a.deltaWeight(); // sᵢ AᵢBᵢ, [fanIn, out]
          deltas.push((await d.data()) as Float32Array);
          d.dispose();
        }
        ({ a, b } = svdFactors(combine(type, deltas, here.map((e) => e.w), density, sign, rng), k, out, r, clamp));
      }
      const layer = new LoraLayer(l.base, { r, alpha: r, dropout: 0, rslora: firstRslora, dora: false, initWeights: true }, rng);
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
    layer.resolvedConfig = resolveAdapterConfig<LoraConfig>({ method: 'lora', targets: [], r: layer.options.r, alpha: layer.options.alpha, rslora: firstRslora });
    l.add(adapterName, layer);
  }
  setActiveAdapters(model, [adapterName]);
  return layers.map(([p]) => p);
}

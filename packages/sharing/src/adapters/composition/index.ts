// AdapterHub composition (arXiv:2007.07779) and ScaLearn (arXiv:2310.01217): compositions are added
// as named adapters over source adapters, so they activate, nest, count and save like any adapter;
// Parallel runs each source on its own copy of the batch.
import * as tf from '@tensorflow/tfjs-core';
import { Rng, checkKnownKeys, configKeys, describeValue, type ForwardContext, type Module } from '@weft/core';
import { checkInt, checkOneOf } from '@weft/core/internal';
import { checkAdapterName } from '../adapted-layer.js';
import { adaptedLayers, adapterNames, withPerExampleAdapters } from '../inject.js';
import { CompositionLayer, type CompositionKind } from './blocks.js';

export * from './blocks.js';

/** A composition over named source adapters (or other compositions). */
export interface CompositionSpec {
  /** stack | average | split | fuse (AdapterFusion) | scalearn. */
  kind: CompositionKind;
  /** The source adapters, in order (Stack applies them in this order). */
  sources: string[];
  /** Average: one weight per source. Default: 1/n each. */
  weights?: number[];
  /** Split: rows whose sequence position is < splitAt use the first source, the rest the second. */
  splitAt?: number;
  /** Split: the sequence length T of the (B, T, features) input. */
  seqLen?: number;
  /** Seed of Fuse's Q and K. Default: 0. */
  seed?: number;
}

const KEYS = configKeys<CompositionSpec>({ kind: true, sources: true, weights: true, splitAt: true, seqLen: true, seed: true });
const KINDS: readonly CompositionKind[] = ['stack', 'average', 'split', 'fuse', 'scalearn'];

/**
 * Add composition `name` over `spec.sources` on every layer that has all of them (activate it with
 * setActiveAdapters; its sources stay frozen). Returns the adapted paths.
 */
export function addComposition(model: Module<any, any>, name: string, spec: CompositionSpec): string[] {
  const fn = 'addComposition';
  checkKnownKeys(`${fn}: spec`, spec, KEYS);
  checkOneOf(fn, 'kind', spec.kind, KINDS);
  checkAdapterName(name, fn);
  const known = adapterNames(model);
  if (known.includes(name)) throw new Error(`${fn}: the model already has an adapter "${name}"`);
  const { sources } = spec;
  if (!Array.isArray(sources) || sources.length === 0) throw new Error(`${fn}: sources=${describeValue(sources)} must be a non-empty list of adapter names`);
  for (const s of sources) if (!known.includes(s)) throw new Error(`${fn}: no adapter ${describeValue(s)} (has: ${known.join(', ') || 'none'})`);
  const n = sources.length;
  const weights = spec.weights ?? sources.map(() => 1 / n);
  if (spec.kind === 'average' && (!Array.isArray(weights) || weights.length !== n || !weights.every(Number.isFinite))) {
    throw new Error(`${fn}: weights=${describeValue(spec.weights)} must be ${n} finite numbers (one per source)`);
  }
  if (spec.kind === 'split') {
    if (n !== 2) throw new Error(`${fn}: split takes 2 sources (got ${n})`);
    checkInt(fn, 'seqLen', spec.seqLen, 1);
    checkInt(fn, 'splitAt', spec.splitAt, 0, spec.seqLen);
  }
  const layers = adaptedLayers(model).filter(([, l]) => sources.every((s) => l.has(s)));
  if (layers.length === 0) throw new Error(`${fn}: no layer has all of ${sources.join(', ')}`);
  const rng = new Rng(spec.seed ?? 0);
  for (const [, l] of layers) {
    const layer = new CompositionLayer(l.base, sources.map((s) => l.adapter(s)), { kind: spec.kind, weights, splitAt: spec.splitAt, seqLen: spec.seqLen }, rng);
    l.add(name, layer);
  }
  return layers.map(([p]) => p);
}

/**
 * AdapterHub's Parallel: the batch `x` is run once per adapter in `names` (each on its own copy, in
 * one forward), returning [names.length · B, …] outputs, copy i from adapter names[i].
 */
export function forwardParallel(model: Module<any, any>, x: tf.Tensor, names: string[], ctx?: ForwardContext): tf.Tensor {
  const b = x.shape[0]!;
  const tiled = tf.concat(names.map(() => x)); // (n·B, …)
  const perExample = names.flatMap((n) => Array<string>(b).fill(n));
  return withPerExampleAdapters(model, perExample, () => model.call(tiled, ctx));
}

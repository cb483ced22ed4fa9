// The adapter methods under test, read from the registry (PEFT's test style: one case list every
// suite runs). Every registered method runs with its defaults plus the SMALL settings below, sized
// for layers of 2 to 16 features; the VARIANTS add the settings that change a method's computation.
// A new method is picked up by the adapter matrix and the conformance rows with no edit here when its
// defaults fit such layers; otherwise it adds one SMALL line.
import * as tf from '@tensorflow/tfjs-core';
import { Rng, type Module } from '@weft/core';
import { adapterMethodNames, type AdapterConfigBase } from '../src/index.js';

/** A method config without its targets (each suite targets its own model's layers). */
export type CaseConfig = Omit<AdapterConfigBase, 'targets'> & Record<string, unknown>;

/** One case: a label for test titles and a config. */
export interface AdapterCase {
  label: string;
  method: string;
  config: CaseConfig;
}

/** Settings that make a method's defaults fit a layer of 2 to 16 features (real-scale defaults do not). */
const SMALL: Record<string, Record<string, unknown>> = {
  lora: { r: 1, alpha: 2 },
  loha: { r: 1, alpha: 2 },
  lokr: { r: 1, alpha: 1, decomposeBoth: true },
  mos: { r: 1, shardSize: 1, poolSize: 8, privateShards: 1 },
  moka: { experts: 2 },
  hyper: { tasks: 2, taskDim: 2, layerDim: 2, hidden: 3, r: 1 },
  road: { groupSize: 2 },
  poly: { r: 1, nSkills: 2, nTasks: 2 },
  shears: { ranks: [2, 1], alpha: 2 },
};

/** Further cases per method: settings that change the computation. */
const VARIANTS: Record<string, Array<[string, Record<string, unknown>]>> = {
  lora: [['rsLoRA', { r: 2, rslora: true }], ['DoRA', { dora: true }]],
  lokr: [['full factors', { r: 1, decomposeBoth: false }]],
  ia3: [['feed-forward', { feedforward: '.*' }]],
  taps: [['factored', { r: 1 }]],
  residual: [['bottleneck', { bottleneck: 1, activation: 'identity' }]],
  ether: [['ETHER+', { plus: true }]],
  hyper: [['bottleneck', { form: 'bottleneck' }]],
  mos: [['routed', { candidates: 3, topK: 3 }]], // all candidates kept: smooth in the logits (top-k's switches: mos.test.ts)
  road: [['road_2', { variant: 'road_2' }], ['road_4', { variant: 'road_4' }]],
};

/** Methods that refuse Conv2d layers, with the reason; every other registered method runs the matrix on Conv2d too. */
export const CONV_UNSUPPORTED: Record<string, string> = {
  poly: "PEFT's Poly adapts Linear layers only",
  shears: 'an elastic-rank supernet over sparsified Linear layers',
};

/** Further cases on Conv2d layers: the settings that change a conv computation. */
const CONV_VARIANTS: Record<string, Array<[string, Record<string, unknown>]>> = {
  loha: [['Tucker', { effectiveConv2d: true }]],
  lokr: [['Tucker', { effectiveConv2d: true }]],
};

/** The cases of the matrix on Conv2d layers: every case of a method not in {@link CONV_UNSUPPORTED}, plus its conv variants. */
export function convAdapterCases(): AdapterCase[] {
  return adapterCases()
    .filter((c) => !(c.method in CONV_UNSUPPORTED))
    .flatMap((c) => [c, ...(c.label === c.method ? CONV_VARIANTS[c.method] ?? [] : []).map(([v, o]) => ({ label: `${c.method} (${v})`, method: c.method, config: { ...c.config, ...o } }))]);
}

/** Every registered method's cases, in registry order. */
export function adapterCases(): AdapterCase[] {
  return adapterMethodNames().flatMap((method) => [
    { label: method, method, config: { method, ...SMALL[method] } },
    ...(VARIANTS[method] ?? []).map(([variant, o]) => ({ label: `${method} (${variant})`, method, config: { method, ...SMALL[method], ...o } })),
  ]);
}

/**
 * Add N(0, 0.3²) noise to every trainable (adapter) parameter, so that adapters initialised as
 * no-ops (a zero factor, ETHER+'s v = u, IA3's l = 1) are real adapters with a gradient everywhere.
 */
export function perturbAdapters(model: Module<any, any>, seed: number): void {
  const rng = new Rng(seed);
  for (const v of model.trainableParameters()) tf.tidy(() => v.assign(tf.add(v, tf.tensor(rng.normalArray(v.size, 0, 0.3), v.shape))));
}

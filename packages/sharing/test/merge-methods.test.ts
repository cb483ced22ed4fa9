// The merge-method registry's paper methods against reference computations: PCB-Merging against a
// naive loop of its published formula, CABS' disjoint n:m masks on a hand-computed case, Mediator's
// sign conflict and layer-wise average-or-route, 1bit quantization, the evolutionary recipe search on
// a known optimum, Sens-Merging's coefficient structure, per-layer weights in combineAdapters, and the
// registry's refusals. The merging benchmark (all methods on the same task LoRAs) is merging-benchmark.test.ts.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Rng, softmaxCrossEntropy } from '@weft/core';
import {
  AdaptedLayer, cabsMasks, combineAdapters, evolveMergeRecipe, injectAdapter, mediatorMerge, mergeMethod, mergeMethodNames, oneBitMerge, oneBitQuantize,
  registerMergeMethod, routeByUncertainty, sensMergingWeights, signConflict, svd,
} from '../src/index.js';
import { Tiny, maxDiff } from './adapters-helpers.js';

const f32 = (x: number[]) => Float32Array.from(x);
const ctx = { path: 'fc', layer: 0, layers: 1, rows: 2, cols: 3, rng: new Rng(0) };
const delta = (m: Tiny, p: 'fc1' | 'fc2', name: string) => (m[p] as unknown as AdaptedLayer).adapter(name).deltaWeight();

function threeAdapters(): Tiny {
  const m = new Tiny(new Rng(1));
  for (const [i, n] of ['a', 'b', 'c'].entries()) injectAdapter(m, n, { method: 'lora', targets: ['fc1', 'fc2'], r: 2, initWeights: false }, { rng: new Rng(i + 2) });
  return m;
}

describe('merge methods', () => {
  it('the registry lists the paper methods, refuses duplicates and bad names', () => {
    expect(mergeMethodNames()).toEqual(expect.arrayContaining(['task-arithmetic', 'ties-merging', 'dare', 'dare-ties', 'magnitude-prune', 'pcb', 'cabs', 'copa']));
    expect(() => registerMergeMethod('pcb', mergeMethod('pcb'))).toThrow(/"pcb" is already registered/);
    expect(() => registerMergeMethod('My_Method', mergeMethod('pcb'))).toThrow(/must be lower-case letters, digits and "-"/);
  });

  it('PCB-Merging equals a naive loop of its formula (intra exp(T·minmax|τ|²) × inter tanh(τ·Στ), top-ratio kept, score-weighted mean)', () => {
    const rng = new Rng(3);
    const tasks = [0, 1, 2].map(() => f32(rng.normalArray(40)));
    const weights = [1, 0.5, 2], ratio = 0.3;
    const got = mergeMethod('pcb').merge(tasks, weights, { ratio }, ctx);
    // Naive reference, written from the paper's equations.
    const n = 40, T = 3;
    const scale: number[][] = tasks.map((t) => {
      const abs = Array.from(t, Math.abs), lo = Math.min(...abs), hi = Math.max(...abs);
      const score = abs.map((a, j) => Math.exp(T * ((a - lo) / (hi - lo)) ** 2) * Math.tanh(t[j]! * tasks.reduce((s, u) => s + u[j]!, 0)));
      const floor = [...score].sort((x, y) => x - y)[Math.floor(n * (1 - ratio))]!;
      const c = score.map((v) => Math.max(v, floor)), cl = Math.min(...c), ch = Math.max(...c);
      return c.map((v) => (v - cl) / (ch - cl));
    });
    const want = Array.from({ length: n }, (_, j) => {
      const den = scale.reduce((s, sc) => s + sc[j]!, 0);
      return scale.reduce((s, sc, i) => s + weights[i]! * sc[j]! * tasks[i]![j]!, 0) / Math.max(den, 1e-12);
    });
    got.forEach((v, j) => expect(Math.abs(v - want[j]!)).toBeLessThan(1e-5));
    // ~ratio of each task's entries survive (its top scores; ties at the floor keep a few more at most).
    const kept = scale.map((sc) => sc.filter((v) => v > 0).length);
    kept.forEach((k) => expect(k).toBeLessThanOrEqual(Math.ceil(ratio * n)));
  });

  it('CABS: masks are disjoint, ≤ n of every m per task, earlier tasks pick first (hand-computed)', async () => {
    const a = f32([5, -1, 0.5, 2, 3, -4, 1, 0]);
    const b = f32([6, 7, -1, 0.1, -9, 1, 1, 2]);
    const masks = cabsMasks([a, b], 1, 4);
    // a: groups [5,-1,.5,2] → 0; [3,-4,1,0] → 5. b: among free: [-,7,-1,.1] → 1; [-9,-,1,2] → 4.
    expect(Array.from(masks[0]!)).toEqual([1, 0, 0, 0, 0, 1, 0, 0]);
    expect(Array.from(masks[1]!)).toEqual([0, 1, 0, 0, 1, 0, 0, 0]);
    const merged = mergeMethod('cabs').merge([a, b], [1, 0.5], { n: 1, m: 4 }, ctx);
    expect(Array.from(merged)).toEqual([5, 3.5, 0, 0, -4.5, -4, 0, 0]);
    const m = threeAdapters();
    await expect(combineAdapters(m, ['a', 'b'], [1, 1], 'x', { method: 'cabs', n: 5, m: 4 })).rejects.toThrow(/n=5 must be ≤ m=4/);
    m.dispose();
  });

  it('CoPA: each pruned task vector is rescaled to its σ₁ and entries are averaged over the tasks that kept them (naive reference)', () => {
    const rng = new Rng(6);
    const c = { ...ctx, rows: 4, cols: 5 };
    const tasks = [0, 1].map(() => f32(rng.normalArray(20)));
    const got = mergeMethod('copa').merge(tasks, [1, 0.5], { density: 0.3 }, c);
    const s1 = (x: Float32Array) => svd(x, 4, 5).s[0]!;
    const pruned = tasks.map((t) => {
      const thr = [...t].map(Math.abs).sort((a, b) => b - a)[5]!; // ⌊0.3·20⌋ = 6 kept: |v| ≥ the 6th largest
      return t.map((v) => (Math.abs(v) >= thr ? v : 0));
    });
    const scales = tasks.map((t, i) => s1(t) / s1(pruned[i]!));
    got.forEach((v, j) => {
      const kept = pruned.map((p) => p[j] !== 0);
      const sum = pruned.reduce((s, p, i) => s + [1, 0.5][i]! * scales[i]! * p[j]!, 0);
      expect(v).toBeCloseTo(sum / Math.max(kept.filter(Boolean).length, 1), 5);
    });
    expect(scales.every((s) => s >= 1)).toBe(true); // pruning can only lower σ₁
  });

  it('Mediator: sign conflict counts disagreeing signs among marked entries; low-conflict layers are averaged, the others routed per task', async () => {
    expect(signConflict([f32([1, 1, -1, 0]), f32([1, -1, -1, 0])], 1)).toBeCloseTo(1 / 3, 12); // entry 3 is zero in both: not marked
    const m = threeAdapters();
    const r = await mediatorMerge(m, ['a', 'b', 'c'], 'med', { routed: 0.5 });
    expect(r.experts).toEqual(['med0', 'med1', 'med2']);
    const routed = r.layers.filter((l) => l.routed);
    expect(routed).toHaveLength(1);
    expect(routed[0]!.conflict).toBeGreaterThanOrEqual(r.layers.find((l) => !l.routed)!.conflict);
    for (const [t, src] of ['a', 'b', 'c'].entries()) for (const l of r.layers) {
      const p = l.path as 'fc1' | 'fc2';
      const want = l.routed ? delta(m, p, src) : tf.div(tf.addN(['a', 'b', 'c'].map((s) => delta(m, p, s))), 3);
      expect(await maxDiff(delta(m, p, `med${t}`), want)).toBeLessThan(1e-5);
    }
    // fc1 has 8·16 = 128 entries, fc2 16·4 = 64: storage = (3·routed + 1·averaged) / (3·all).
    const size = (p: string) => (p === 'fc1' ? 128 : 64);
    expect(r.storageRatio).toBeCloseTo((3 * size(routed[0]!.path) + size(r.layers.find((l) => !l.routed)!.path)) / (3 * 192), 12);
    m.dispose();
  });

  it('1bit: sign(τ)·mean|τ| keeps the L1 mass; experts hold exactly that; storage is 1 bit per entry plus a scale per layer', async () => {
    expect(Array.from(oneBitQuantize(f32([2, -1, 0, 1])))).toEqual([1, -1, 0, 1]);
    const m = threeAdapters();
    const r = await oneBitMerge(m, ['a', 'b', 'c'], 'bit');
    const want = oneBitQuantize((await delta(m, 'fc2', 'b').data()) as Float32Array);
    expect(await maxDiff(delta(m, 'fc2', 'bit1'), tf.tensor2d(want, [16, 4]))).toBeLessThan(1e-5);
    expect(r.storageRatio).toBeCloseTo((192 + 64) / (32 * 192), 12);
    m.dispose();
  });

  it('uncertainty routing picks, per example, the expert with the lowest predictive entropy', async () => {
    const sure = tf.tensor2d([[5, 0], [0, 0]]), unsure = tf.tensor2d([[0, 0.1], [0, 9]]);
    const { logits, choice } = routeByUncertainty([sure, unsure]);
    expect(Array.from(await choice.data())).toEqual([0, 1]);
    expect(await maxDiff(logits, [[5, 0], [0, 9]])).toBe(0);
  });

  it('evolutionary recipe search climbs a known optimum (seeded, deterministic)', async () => {
    const target = { l1: [0.2, 1.5], l2: [-0.5, 0.8] };
    const score = async (w: Record<string, number[]>) => -Object.entries(target).reduce((s, [p, t]) => s + t.reduce((a, v, i) => a + (w[p]![i]! - v) ** 2, 0), 0);
    const r = await evolveMergeRecipe(['l1', 'l2'], [1, 1], score, { generations: 30, population: 10, parents: 3, seed: 4 });
    expect(r.history[0]).toBeCloseTo(-(0.64 + 0.25 + 2.25 + 0.04), 10);
    expect(r.score).toBeGreaterThan(-0.05);
    for (let g = 1; g < r.history.length; g++) expect(r.history[g]!).toBeGreaterThanOrEqual(r.history[g - 1]!);
    const again = await evolveMergeRecipe(['l1', 'l2'], [1, 1], score, { generations: 30, population: 10, parents: 3, seed: 4 });
    expect(again.layerWeights).toEqual(r.layerWeights);
    expect(r.evaluated).toBe(1 + 30 * 10);
  });

  it('Sens-Merging: α over layers and β over tasks have mean 1, layerWeights = λαβ, and a layer a task leaves unchanged gets its smallest α', async () => {
    const m = threeAdapters();
    (m.fc2 as unknown as AdaptedLayer).adapter('a').parameters().forEach((v) => v.assign(tf.zerosLike(v))); // a changes fc1 only
    const x = tf.tensor2d(new Rng(5).normalArray(16 * 8), [16, 8]);
    const y = tf.tensor1d(Int32Array.from({ length: 16 }, (_, i) => i % 4), 'int32');
    const batches = [0, 1, 2].map(() => ({ x, y }));
    const before = tf.memory().numTensors;
    const s = await sensMergingWeights(m, ['a', 'b', 'c'], batches, (z, t) => softmaxCrossEntropy(z, t), { lambda: 2 });
    expect(tf.memory().numTensors).toBe(before);
    const mean = (v: number[]) => v.reduce((p, q) => p + q, 0) / v.length;
    s.taskScaling.forEach((a) => expect(mean(a)).toBeCloseTo(1, 10));
    expect(mean(s.crossTask)).toBeCloseTo(1, 10);
    expect(s.taskScaling[0]![1]!).toBeLessThan(s.taskScaling[0]![0]!); // fc2 is layer 1
    expect(s.layerWeights['fc1']![2]).toBeCloseTo(2 * s.taskScaling[2]![0]! * s.crossTask[2]!, 10);
    m.dispose();
  });

  it('combineAdapters applies per-layer weights (layerWeights) and refuses a layer no source adapts', async () => {
    const m = threeAdapters();
    await combineAdapters(m, ['a', 'b'], [1, 1], 'lw', { rank: 4, layerWeights: { fc2: [0.5, -1] } });
    expect(await maxDiff(delta(m, 'fc1', 'lw'), tf.add(delta(m, 'fc1', 'a'), delta(m, 'fc1', 'b')))).toBeLessThan(1e-4);
    expect(await maxDiff(delta(m, 'fc2', 'lw'), tf.sub(tf.mul(delta(m, 'fc2', 'a'), 0.5), delta(m, 'fc2', 'b')))).toBeLessThan(1e-4);
    await expect(combineAdapters(m, ['a', 'b'], [1, 1], 'x', { layerWeights: { fc3: [1, 1] } })).rejects.toThrow(/layerWeights names layer "fc3", which no source adapts/);
    await expect(combineAdapters(m, ['a', 'b'], [1, 1], 'x', { layerWeights: { fc1: [1] } })).rejects.toThrow(/layerWeights\["fc1"\]=\[1\] must be 2 finite numbers/);
    m.dispose();
  });
});

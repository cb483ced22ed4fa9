// The routed merges' paper parts against reference computations written here from the task vectors:
// Mediator's dense + sparse experts on its routed layers (expert t = τ̄ + top-density(τ_t − τ̄)) with
// their storage, Mediator's uncertainty routing that mixes experts for uncertain examples, and
// 1bit-Merging's fusion of the non-routed task vectors (expert t = λ Σ fused τ + Q(τ_t) on t's routed
// layers) with its storage. Tolerance 1e-5: the experts are exact SVD refactorisations of the ΔW.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Rng } from '@weft/core';
import { AdaptedLayer, injectAdapter, mediatorMerge, oneBitMerge, oneBitQuantize, routeByUncertainty } from '../src/index.js';
import { Tiny, maxDiff } from './adapters-helpers.js';

const NAMES = ['a', 'b', 'c'];
const SIZE = { fc1: 8 * 16, fc2: 16 * 4 } as const;
type Path = keyof typeof SIZE;

function threeAdapters(): Tiny {
  const m = new Tiny(new Rng(1));
  for (const [i, n] of NAMES.entries()) injectAdapter(m, n, { method: 'lora', targets: ['fc1', 'fc2'], r: 2, initWeights: false }, { rng: new Rng(i + 2) });
  return m;
}

/** ΔW of adapter `name` on layer `p`, flat. */
async function delta(m: Tiny, p: Path, name: string): Promise<Float32Array> {
  const d = (m[p] as unknown as AdaptedLayer).adapter(name).deltaWeight();
  const v = (await d.data()) as Float32Array;
  d.dispose();
  return v;
}

const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

describe('Mediator: dense and sparse experts', () => {
  it('on routed layers expert t = τ̄ + the largest density·n entries of τ_t − τ̄; averaged layers τ̄; storage counts the dense expert once and each sparse value with its index', async () => {
    const m = threeAdapters();
    const tasks = Object.fromEntries(await Promise.all((['fc1', 'fc2'] as const).map(async (p) => [p, await Promise.all(NAMES.map((n) => delta(m, p, n)))]))) as Record<Path, Float32Array[]>;
    const density = 0.25;
    const r = await mediatorMerge(m, NAMES, 'med', { routed: 0.5, density });
    const routedPath = r.layers.find((l) => l.routed)!.path as Path;
    const avgPath = r.layers.find((l) => !l.routed)!.path as Path;
    const mean = (p: Path) => tasks[p][0]!.map((_, j) => tasks[p].reduce((s, t) => s + t[j]!, 0) / 3);
    for (const [t, n] of NAMES.entries()) {
      // Naive top-k of the residual, written out: sort indices by |residual|, keep ⌊density·n⌋.
      const avg = mean(routedPath), res = tasks[routedPath][t]!.map((v, j) => v - avg[j]!);
      const keep = new Set([...res.keys()].sort((i, j) => Math.abs(res[j]!) - Math.abs(res[i]!)).slice(0, Math.floor(density * res.length)));
      const want = avg.map((v, j) => v + (keep.has(j) ? res[j]! : 0));
      expect(maxAbs(await delta(m, routedPath, `med${t}`), want), n).toBeLessThan(1e-5);
      expect(maxAbs(await delta(m, avgPath, `med${t}`), mean(avgPath)), n).toBeLessThan(1e-5);
      // The experts differ from the whole task vector (the residual was pruned) and from the average.
      expect(maxAbs(want, tasks[routedPath][t]!)).toBeGreaterThan(1e-3);
      expect(maxAbs(want, avg)).toBeGreaterThan(1e-3);
    }
    const nr = SIZE[routedPath], na = SIZE[avgPath];
    expect(r.storageRatio).toBeCloseTo((na + nr + 3 * 2 * Math.floor(density * nr)) / (3 * (nr + na)), 12);
    await expect(mediatorMerge(m, NAMES, 'bad', { density: 0 })).rejects.toThrow(/density=0 must be > 0/);
    await expect(mediatorMerge(m, NAMES, 'bad', { density: 1.5 })).rejects.toThrow(/density=1.5 must be a number in \[0, 1\]/);
    m.dispose();
  });

  it('uncertainty routing: a confident example takes its least uncertain expert, an uncertain one the softmax(−H/T) mixture of every expert', async () => {
    const z = [tf.tensor2d([[6, 0], [0.2, 0], [0, 3]]), tf.tensor2d([[0, 0.5], [0, 0.3], [1, 0]]), tf.tensor2d([[0.1, 0], [0.1, 0.4], [0, 0]])];
    const [confidence, temperature] = [0.6, 0.5];
    const { logits, choice, weights } = routeByUncertainty(z, { confidence, temperature });
    const zs = await Promise.all(z.map((t) => t.array() as Promise<number[][]>));
    const want: number[][] = [], wantW: number[][] = [], bests: number[] = [];
    for (let n = 0; n < 3; n++) {
      const h = zs.map((e) => {
        const lse = Math.log(e[n]!.reduce((s, v) => s + Math.exp(v), 0));
        return -e[n]!.reduce((s, v) => s + Math.exp(v - lse) * (v - lse), 0);
      });
      const ex = h.map((v) => Math.exp(-v / temperature)), sum = ex.reduce((a, b) => a + b, 0);
      const p = ex.map((v) => v / sum);
      const best = h.indexOf(Math.min(...h));
      bests.push(best);
      const w = Math.max(...p) >= confidence ? p.map((_, i) => (i === best ? 1 : 0)) : p;
      wantW.push(w);
      want.push([0, 1].map((c) => w.reduce((s, wi, i) => s + wi * zs[i]![n]![c]!, 0)));
    }
    expect(await maxDiff(weights, wantW)).toBeLessThan(1e-6);
    expect(await maxDiff(logits, want)).toBeLessThan(1e-5);
    // Example 0 is confident (one-hot), example 1 is not (a real mixture): the test covers both branches.
    expect(wantW[0]!.filter((v) => v === 1)).toHaveLength(1);
    expect(wantW[1]!.every((v) => v > 0 && v < 1)).toBe(true);
    expect(Array.from(await choice.data())).toEqual(bests);
    expect(() => routeByUncertainty(z, { confidence: 2 })).toThrow(/confidence=2 must be a number in \[0, 1\]/);
    expect(() => routeByUncertainty(z, { temprature: 1 } as never)).toThrow(/did you mean 'temperature'/);
    tf.dispose([...z, logits, choice, weights]);
  });
});

describe('1bit-Merging: routed 1-bit vectors, the others fused', () => {
  it('expert t = λ Σ τ (tasks fused on the layer) + Q(τ_t) on its routed layers; storage counts 1 bit per routed entry, a scale per routed layer, a fused layer once', async () => {
    const m = threeAdapters();
    const tasks = Object.fromEntries(await Promise.all((['fc1', 'fc2'] as const).map(async (p) => [p, await Promise.all(NAMES.map((n) => delta(m, p, n)))]))) as Record<Path, Float32Array[]>;
    // a routes fc1 only (its fc2 vector is fused), b routes fc2 only, c routes both (default).
    const routedLayers = { a: ['fc1'], b: ['fc2'] };
    const r = await oneBitMerge(m, NAMES, 'bit', { routedLayers });
    expect(r.layers).toEqual([{ path: 'fc1', routed: ['a', 'c'], fused: ['b'] }, { path: 'fc2', routed: ['b', 'c'], fused: ['a'] }]);
    const routes: Record<string, Path[]> = { a: ['fc1'], b: ['fc2'], c: ['fc1', 'fc2'] };
    for (const [t, n] of NAMES.entries()) for (const p of ['fc1', 'fc2'] as const) {
      const fusedFrom = NAMES.filter((s) => !routes[s]!.includes(p));
      const fused = tasks[p][0]!.map((_, j) => fusedFrom.reduce((s, f) => s + tasks[p][NAMES.indexOf(f)]![j]! / fusedFrom.length, 0));
      const q = routes[n]!.includes(p) ? oneBitQuantize(tasks[p][t]!) : null;
      expect(maxAbs(await delta(m, p, `bit${t}`), fused.map((v, j) => v + (q ? q[j]! : 0))), `${n} ${p}`).toBeLessThan(1e-5);
    }
    expect(r.storageRatio).toBeCloseTo((2 * (SIZE.fc1 + 32) + 32 * SIZE.fc1 + 2 * (SIZE.fc2 + 32) + 32 * SIZE.fc2) / (32 * 3 * (SIZE.fc1 + SIZE.fc2)), 12);
    // λ given: the fused ΔW is λ Σ τ; with no routed layers at all every expert is that one fused ΔW.
    const all = await oneBitMerge(m, NAMES, 'fused', { routedLayers: { a: [], b: [], c: [] }, fusedWeight: 0.5 });
    for (const p of ['fc1', 'fc2'] as const) {
      const want = tasks[p][0]!.map((_, j) => 0.5 * tasks[p].reduce((s, x) => s + x[j]!, 0));
      for (const t of [0, 1, 2]) expect(maxAbs(await delta(m, p, `fused${t}`), want)).toBeLessThan(1e-5);
    }
    expect(all.storageRatio).toBeCloseTo(1 / 3, 12);
    await expect(oneBitMerge(m, NAMES, 'bad', { routedLayers: { d: ['fc1'] } })).rejects.toThrow(/routedLayers names "d", which is not a source/);
    await expect(oneBitMerge(m, NAMES, 'bad', { routedLayers: { a: ['fc3'] } })).rejects.toThrow(/routedLayers\["a"\] names layer "fc3"/);
    m.dispose();
  });
});

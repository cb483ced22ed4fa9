// SPOS' evolutionary search (src/search/evolution.ts): on a score with a known optimum it beats
// random search given the same number of scored candidates; the best never gets worse (elitism);
// candidates seen before are not scored again; genes round-trip for cell genotypes and entangled
// subnets; and in SPOS it starts from the random search's own candidates, so it can only improve on them.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Rng, mse } from '@weft/core';
import {
  createCellSearch, createEntangledSearch, evolve, genotypeGenes, randomGenotype, randomSubnet, resolveEntangledSpace, resolveEvolution, resolveSpace,
  runSearch, subnetGenes, type GeneSpace, type SposEntangledSearch, type SposSearch,
} from '../src/index.js';

/** 12 genes of 4 values; the score is the Hamming distance to a hidden target (optimum 0). */
function hamming(target: number[]): { space: GeneSpace<number[]>; score: (g: number[]) => Promise<number> } {
  return {
    space: { random: (rng) => target.map(() => rng.int(4)), genes: (g) => g, fromGenes: (g) => g as number[] },
    score: async (g) => g.reduce((s, v, i) => s + (v === target[i] ? 0 : 1), 0),
  };
}

describe('evolve', () => {
  it('finds a closer candidate than random search with the same number of scores (Hamming, 6 seeds)', async () => {
    const evo: number[] = [];
    const rnd: number[] = [];
    for (let seed = 1; seed <= 6; seed++) {
      const target = Array.from({ length: 12 }, (_, i) => (i * 7 + seed) % 4);
      const { space, score } = hamming(target);
      const r = await evolve(space, score, resolveEvolution('test', { population: 20, generations: 8, parents: 5, mutationProb: 0.1 }), new Rng(seed));
      for (let i = 1; i < r.history.length; i++) expect(r.history[i]!).toBeLessThanOrEqual(r.history[i - 1]!);
      expect(r.evaluated).toBeLessThanOrEqual(20 * 9);
      evo.push(r.score);
      const random = await evolve(space, score, { population: r.evaluated, generations: 0, parents: 1, mutationProb: 0 }, new Rng(seed + 100));
      rnd.push(random.score);
    }
    const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
    console.log(`[nas evolution] Hamming distance to the target (12 genes): evolution ${evo.join(' ')} (mean ${mean(evo).toFixed(2)}) vs random ${rnd.join(' ')} (mean ${mean(rnd).toFixed(2)})`);
    expect(mean(evo)).toBeLessThan(mean(rnd) - 1);
  });

  it('scores each distinct candidate once', async () => {
    let calls = 0;
    const space: GeneSpace<number[]> = { random: (rng) => [rng.int(2), rng.int(2)], genes: (g) => g, fromGenes: (g) => g as number[] };
    const r = await evolve(space, async (g) => (calls++, g[0]! + g[1]!), resolveEvolution('test', { population: 8, generations: 5, parents: 2 }), new Rng(1));
    expect(calls).toBe(r.evaluated);
    expect(r.evaluated).toBeLessThanOrEqual(4);
    expect(r.score).toBe(0);
  });

  it('rejects bad sizes by name', () => {
    expect(() => resolveEvolution('spos', { population: 1 })).toThrow(/spos: population=1 must be an integer ≥ 2/);
    expect(() => resolveEvolution('spos', { parents: 9, population: 8 })).toThrow(/parents=9 must be ≤ population=8/);
    expect(() => resolveEvolution('spos', { mutationProb: 1.5 })).toThrow(/mutationProb=1.5 must be in \[0, 1\]/);
  });
});

describe('SPOS with evolution', () => {
  it('genes round-trip: cell genotypes (vector and conv) and entangled subnets (MLP with activations, CNN)', () => {
    const rng = new Rng(3);
    for (const space of [resolveSpace({ space: 'vector', steps: 3 }), resolveSpace({ space: 'conv', steps: 2 })]) {
      const genes = genotypeGenes(space);
      const g = randomGenotype(space, rng);
      expect(genes.fromGenes(genes.genes(g))).toEqual(g);
      expect(genes.genes(g)).toHaveLength(space.steps * (space.space === 'conv' ? 2 : 1));
    }
    for (const space of [
      resolveEntangledSpace({ kind: 'mlp', inFeatures: 4, numOutputs: 2, activationChoices: ['relu', 'tanh'] }),
      resolveEntangledSpace({ kind: 'cnn', inFeatures: 1, numOutputs: 3 }),
    ]) {
      const c = randomSubnet(space, rng);
      expect(subnetGenes(space).fromGenes(subnetGenes(space).genes(c))).toEqual(c);
    }
  });

  it('cell and entangled searches: evolution scores at least as well as random search over its first generation', async () => {
    const rng = new Rng(5);
    const x = tf.tensor2d(rng.normalArray(256 * 3), [256, 3]);
    const y = tf.tensor2d(rng.normalArray(256 * 2), [256, 2]);
    const data = { train: { x: tf.slice(x, [0, 0], [192, 3]), y: tf.slice(y, [0, 0], [192, 2]) }, val: { x: tf.slice(x, [192, 0], [64, 3]), y: tf.slice(y, [192, 0], [64, 2]) } };
    const evo = { population: 8, generations: 3, parents: 3 };
    {
      const { net, searcher } = createCellSearch('spos', { space: 'vector', steps: 2, channels: 4, inChannels: 3, numOutputs: 2 }, mse, { evolution: evo }, 1);
      await runSearch({ searcher, train: data.train, val: data.val, steps: 20, batchSize: 32, reportEvery: 20, seed: 1 });
      const s = searcher as SposSearch;
      const e = await s.search(data.val);
      const r = await new (s.constructor as typeof SposSearch)(net, mse, { search: 'random', candidates: 8 }).search(data.val);
      expect(e.score).toBeLessThanOrEqual(r.score);
      expect(e.evaluated).toBeGreaterThan(8);
      searcher.dispose();
      net.dispose();
    }
    {
      const { net, searcher } = createEntangledSearch('spos-entangled', { kind: 'mlp', inFeatures: 3, numOutputs: 2, depthChoices: [1, 2], widthChoices: [2, 4, 8] }, mse, { evolution: evo }, 1);
      await runSearch({ searcher, train: data.train, val: data.val, steps: 20, batchSize: 32, reportEvery: 20, seed: 1 });
      const s = searcher as SposEntangledSearch;
      const e = await s.search(data.val);
      const r = await new (s.constructor as typeof SposEntangledSearch)(net, mse, { search: 'random', candidates: 8 }).search(data.val);
      expect(e.score).toBeLessThanOrEqual(r.score);
      searcher.dispose();
      net.dispose();
    }
    tf.dispose([x, y, data.train, data.val]);
  });

  it('rejects an unknown search', () => {
    expect(() => createCellSearch('spos', { space: 'vector' }, mse, { search: 'grid' })).toThrow(/spos: search="grid" must be 'evolution' or 'random'/);
  });
});

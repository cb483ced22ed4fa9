// The ranking benchmark: Kendall τ-b and top-k overlap against hand-computed and naive reference
// values, the relative improvement, and the cached table against its definition and a re-run of
// some of its stand-alone trainings.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Rng } from '@weft/core';
import {
  RANKING_BENCHMARKS, RANKING_TABLES, benchmarkData, benchmarkSubnets, canonicalSubnet, kendallTau, rankingAgreement, rankingBenchmark,
  relativeImprovement, standaloneMeans, subnetKey, topKOverlap, trainStandalone,
} from '../src/index.js';

/** Seeded experiments on a paper's claim run with WEFT_LONG_EXPERIMENTS=1 (minutes each; the suite has a 25-minute budget). */
const LONG_EXPERIMENTS = process.env.WEFT_LONG_EXPERIMENTS === '1';

/** τ-b from its textbook formula: (n_c − n_d) / √((n₀ − n₁)(n₀ − n₂)), n₁, n₂ = Σ t(t−1)/2 over tie groups. */
function naiveTauB(a: number[], b: number[]): number {
  const n = a.length;
  let nc = 0;
  let nd = 0;
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) {
    const s = Math.sign(a[i]! - a[j]!) * Math.sign(b[i]! - b[j]!);
    if (s > 0) nc++;
    else if (s < 0) nd++;
  }
  const tiePairs = (v: number[]) => [...v.reduce((m, x) => m.set(x, (m.get(x) ?? 0) + 1), new Map<number, number>()).values()].reduce((s, t) => s + (t * (t - 1)) / 2, 0);
  const n0 = (n * (n - 1)) / 2;
  return (nc - nd) / Math.sqrt((n0 - tiePairs(a)) * (n0 - tiePairs(b)));
}

describe('ranking metrics', () => {
  it('Kendall τ-b: a hand-computed case with ties in both lists, and the textbook formula on random lists with many ties (|Δ| ≤ 1e-12)', () => {
    // Pairs of ([1,2,2,3], [1,3,2,2]): 3 concordant, 1 discordant, 1 tied in a only, 1 in b only: 2/√(5·5).
    expect(kendallTau([1, 2, 2, 3], [1, 3, 2, 2])).toBeCloseTo(0.4, 12);
    const rng = new Rng(5);
    for (let t = 0; t < 200; t++) {
      const n = 2 + rng.int(30);
      const a = Array.from({ length: n }, () => rng.int(5));
      const b = Array.from({ length: n }, () => rng.int(4));
      const ref = naiveTauB(a, b);
      if (Number.isFinite(ref)) expect(Math.abs(kendallTau(a, b) - ref)).toBeLessThanOrEqual(1e-12);
      else expect(kendallTau(a, b)).toBe(0); // every pair tied in one list: τ-b undefined, reported as 0
    }
  });

  it('top-k overlap: hand-computed cases, ties to the lower index, argument errors', () => {
    expect(topKOverlap([5, 4, 3, 2, 1], [1, 2, 3, 4, 5], 2)).toBe(0);
    expect(topKOverlap([5, 4, 3, 2, 1], [9, 8, 7, 6, 5], 2)).toBe(1);
    // top 3 by scores {0, 1, 2}; by reference (5, 4, 3 at indices 1, 3, 0) {1, 3, 0}: 2 shared.
    expect(topKOverlap([5, 4, 3, 2, 1], [3, 5, 1, 4, 2], 3)).toBeCloseTo(2 / 3, 15);
    expect(topKOverlap([1, 1, 1, 0], [0, 1, 0, 0], 1)).toBe(0); // the tie picks index 0
    expect(() => topKOverlap([1, 2], [1, 2], 3)).toThrow(/k=3 must be an integer in \[1, 2\]/);
    expect(() => topKOverlap([1, NaN], [1, 2], 1)).toThrow(/scores\[1\]=NaN/);
    expect(() => topKOverlap([1, 2], [1], 1)).toThrow(/equally long/);
    expect(rankingAgreement([1, 2, 3, 4, 5, 6, 7, 8], [8, 7, 6, 5, 4, 3, 2, 1])).toEqual({ tau: -1, topK: 0, k: 2 });
  });

  it('relative improvement over the random architectures\' mean (Yang et al.): 100·(acc − mean)/mean', () => {
    expect(relativeImprovement(0.9, [0.8, 0.7])).toBeCloseTo(20, 12);
    expect(relativeImprovement(0.5, [0.5])).toBe(0);
    expect(() => relativeImprovement(0.5, [])).toThrow(/at least one/);
    expect(() => relativeImprovement(NaN, [0.5])).toThrow(/accuracy=NaN/);
  });
});

describe('ranking benchmark', () => {
  it('each benchmark has 24 distinct canonical subnets, and the cached table holds exactly them', () => {
    for (const name of RANKING_BENCHMARKS) {
      const b = rankingBenchmark(name);
      const subs = benchmarkSubnets(b);
      expect(subs).toHaveLength(24);
      expect(new Set(subs.map(subnetKey)).size).toBe(24);
      for (const s of subs) expect(canonicalSubnet(b.space, s)).toEqual(s);
      const t = RANKING_TABLES[name];
      expect(t.rows.map((r) => r.subnet)).toEqual(subs);
      for (const r of t.rows) expect(r.standalone).toHaveLength(b.standalone.seeds.length);
      for (const [k, v] of Object.entries(t.scores)) expect(v, k).toHaveLength(24);
    }
    expect(() => rankingBenchmark('cifar' as never)).toThrow(/name="cifar" is unknown; allowed: vector, conv8/);
  });

  it.runIf(LONG_EXPERIMENTS)('stand-alone training repeats exactly within a process, and re-training two rows per benchmark lands near the cached accuracies', async () => {
    // tfjs wasm training in Node is not reproducible across processes: two runs of the table script
    // differed on 11 of 24 'vector' rows (seed 0 by up to 0.072) and on 12 of the first 18 'conv8'
    // rows (by up to 0.19 on a seed-1 run), while repeats within one process match bit for bit. So
    // the cached rows are checked to 0.15 (twice the largest seed-0 difference seen), and exact
    // repeatability is checked within this process.
    const before = tf.memory().numTensors;
    for (const name of RANKING_BENCHMARKS) {
      const b = rankingBenchmark(name);
      const data = benchmarkData(b);
      const t = RANKING_TABLES[name];
      for (const row of [0, 23]) {
        const acc = await trainStandalone(b, data, t.rows[row]!.subnet, b.standalone.seeds[0]!);
        if (row === 0) expect(await trainStandalone(b, data, t.rows[row]!.subnet, b.standalone.seeds[0]!)).toBe(acc);
        expect(Math.abs(acc - t.rows[row]!.standalone[0]!), `${name} row ${row}`).toBeLessThanOrEqual(0.15);
      }
      tf.dispose([data.train.x, data.train.y, data.val.x, data.val.y]);
      // The noise floor of the reference: τ between stand-alone runs with different seeds.
      const seedTau = kendallTau(t.rows.map((r) => r.standalone[0]!), t.rows.map((r) => r.standalone[1]!));
      const agreement = Object.entries(t.scores).map(([k, v]) => `${k} τ=${rankingAgreement(v, standaloneMeans(t)).tau.toFixed(3)}`);
      console.log(`[nas ranking ${name}] seed 0 vs seed 1 stand-alone τ=${seedTau.toFixed(3)}; ${agreement.join(', ')}`);
    }
    expect(tf.memory().numTensors).toBe(before);
  }, 600_000);
});

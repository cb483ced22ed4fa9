// Super-net training heuristics (How to Train Your Super-Net, arXiv 2003.04276; Deeper Insights
// into Weight Sharing, arXiv 2001.01431) as options of spos-entangled: the schedule against its
// formula, fair sampling's counts, and the experiment: Kendall τ between the accuracies a trained
// supernet gives the ranking benchmark's 24 subnets and their cached stand-alone accuracies, for
// each heuristic over seeds 0–2; then the relative improvement (NAS evaluation is frustratingly
// hard, arXiv 1912.12522) of each entangled search method's subnet over the benchmark's random subnets.
// Measured (the cached ranking table's rows, seeds 0–2, τ vector / conv8): uniform SPOS 0.411 ± 0.157 /
// 0.503 ± 0.079; fair sampling 0.404 ± 0.134 / 0.363 ± 0.182; 10% warm-up + cosine 0.389 ± 0.023 /
// 0.242 ± 0.308. Neither heuristic raises τ at toy scale; every SPOS supernet ranks better than
// chance (Deeper Insights' finding that shared weights carry ranking information, asserted below).
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Rng, softmaxCrossEntropy } from '@weft/core';
import {
  FairSubnetSampler, RANKING_BENCHMARKS, RANKING_TABLES, benchmarkData, benchmarkSubnets, createEntangledSearch, kendallTau, rankingBenchmark, relativeImprovement,
  resolveEntangledSpace, runSearch, scheduledLr, searchMethodNames, standaloneMeans, subnetKey, supernetAccuracies, topKOverlap, trainStandalone, type RankingBenchmarkName,
} from '../src/index.js';
import { LONG_EXPERIMENTS } from './long-experiments.js';

const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
const sd = (a: number[]) => Math.sqrt(a.reduce((s, v) => s + (v - mean(a)) ** 2, 0) / Math.max(1, a.length - 1));
const pm = (a: number[], d = 3) => `${mean(a).toFixed(d)} ± ${sd(a).toFixed(d)}`;

/** Supernet steps per benchmark (the table's SPOS rows use the same). */
const STEPS: Record<RankingBenchmarkName, number> = { vector: 2000, conv8: 1500 };

describe('supernet training heuristics', () => {
  it('the schedule: linear warm-up (t+1)/W·lr, then constant, or cosine to minLr (half-way: the mean of lr and minLr)', () => {
    const s = { totalSteps: 110, warmupSteps: 10 };
    expect(scheduledLr(0, 0.1, s)).toBeCloseTo(0.01, 15);
    expect(scheduledLr(9, 0.1, s)).toBeCloseTo(0.1, 15);
    expect(scheduledLr(10, 0.1, s)).toBeCloseTo(0.1, 15);
    expect(scheduledLr(60, 0.1, s)).toBeCloseTo(0.05, 12);
    expect(scheduledLr(60, 0.1, { ...s, minLr: 0.02 })).toBeCloseTo(0.06, 12);
    expect(scheduledLr(110, 0.1, s)).toBeCloseTo(0, 12);
    expect(scheduledLr(500, 0.1, { ...s, decay: 'constant' })).toBe(0.1);
    // cos(π·t/T) by hand at a quarter: 0.1·(1 + cos(π/4))/2.
    expect(scheduledLr(35, 0.1, s)).toBeCloseTo((0.1 * (1 + Math.cos(Math.PI / 4))) / 2, 12);
  });

  it('fair sampling deals every choice of every decision once per round', () => {
    const space = resolveEntangledSpace({ kind: 'cnn', depthChoices: [1, 2, 3], widthChoices: [4, 8], kernelChoices: [1, 3, 5] });
    const f = new FairSubnetSampler(space, new Rng(3));
    const subs = Array.from({ length: 60 }, () => f.next()); // 60 = 10 rounds of 6 = 20 of 3 = 30 of 2
    const count = (vals: (number | string)[]) => [...vals.reduce((m, v) => m.set(v, (m.get(v) ?? 0) + 1), new Map()).values()];
    expect(count(subs.map((s) => s.depth))).toEqual([20, 20, 20]);
    for (let l = 0; l < 3; l++) {
      expect(count(subs.map((s) => s.widths[l]!))).toEqual([30, 30]);
      expect(count(subs.map((s) => s.kernels![l]!))).toEqual([20, 20, 20]);
      // Any 3 consecutive depths of a round are the 3 choices.
      expect(new Set(subs.slice(3 * l, 3 * l + 3).map((s) => s.depth)).size).toBe(3);
    }
  });

  it('options are checked by name', () => {
    const space = { kind: 'mlp' as const, inFeatures: 2, numOutputs: 2 };
    expect(() => createEntangledSearch('spos-entangled', space, softmaxCrossEntropy, { sampling: 'fiar' })).toThrow(/sampling="fiar" must be one of uniform, fair/);
    expect(() => createEntangledSearch('spos-entangled', space, softmaxCrossEntropy, { lrSchedule: { totalSteps: 10, warmup: 2 } })).toThrow(/unknown option 'warmup'; did you mean 'warmupSteps'/);
    expect(() => createEntangledSearch('spos-entangled', space, softmaxCrossEntropy, { lrSchedule: { totalSteps: 10, warmupSteps: 20 } })).toThrow(/warmupSteps=20/);
    expect(() => createEntangledSearch('spos-entangled', space, softmaxCrossEntropy, { lrSchedule: { totalSteps: 10, decay: 'linear' } })).toThrow(/decay="linear" must be 'constant' or 'cosine'/);
  });

  it.runIf(LONG_EXPERIMENTS)('experiment: Kendall τ of the supernet ranking vs stand-alone, for each heuristic over seeds 0–2 (both benchmarks)', async () => {
    const variants: Array<[string, (steps: number) => Record<string, unknown>]> = [
      ['SPOS: uniform, Adam 0.01', () => ({})],
      ['lr 0.003', () => ({ weightOptimizer: { name: 'adam', learningRate: 0.003 } })],
      ['lr 0.03', () => ({ weightOptimizer: { name: 'adam', learningRate: 0.03 } })],
      ['warm-up 10% + cosine', (steps) => ({ lrSchedule: { totalSteps: steps, warmupSteps: steps / 10, decay: 'cosine' } })],
      ['fair sampling', () => ({ sampling: 'fair' })],
    ];
    const seeds = [0, 1, 2];
    const before = tf.memory().numTensors;
    const baseline: Record<string, number[]> = {};
    for (const name of RANKING_BENCHMARKS) {
      const b = rankingBenchmark(name);
      const data = benchmarkData(b);
      const subs = benchmarkSubnets(b);
      const table = RANKING_TABLES[name];
      const ref = standaloneMeans(table);
      const seedTaus = [[0, 1], [0, 2], [1, 2]].map(([i, j]) => kendallTau(table.rows.map((r) => r.standalone[i!]!), table.rows.map((r) => r.standalone[j!]!)));
      console.log(`[nas heuristics ${name}] stand-alone seed-vs-seed τ ${pm(seedTaus)} (the noise floor)`);
      for (const [label, make] of variants) {
        const taus: number[] = [];
        const tops: number[] = [];
        const t0 = performance.now();
        for (const seed of seeds) {
          const { net, searcher } = createEntangledSearch('spos-entangled', b.space, softmaxCrossEntropy, { search: 'random', candidates: 1, seed, ...make(STEPS[name]) }, seed);
          await runSearch({ searcher, train: data.train, val: data.val, steps: STEPS[name], batchSize: 64, seed, reportEvery: STEPS[name] });
          const acc = await supernetAccuracies(net, subs, data.val);
          taus.push(kendallTau(acc, ref));
          tops.push(topKOverlap(acc, ref, 6));
          searcher.dispose();
          net.dispose();
        }
        if (label.startsWith('SPOS')) baseline[name] = taus;
        console.log(`[nas heuristics ${name}] ${label}: τ ${pm(taus)} (${taus.map((t) => t.toFixed(3)).join(', ')}), top-6 overlap ${pm(tops, 2)}; ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      }
      tf.dispose([data.train.x, data.train.y, data.val.x, data.val.y]);
    }
    expect(tf.memory().numTensors).toBe(before);
    // Deeper Insights' finding (2): the shared weights still carry ranking information. Each seed's SPOS supernet ranks
    // the 24 subnets positively (τ > 0.2; a random ranking's τ has sd ≈ 0.15 at n = 24).
    for (const name of RANKING_BENCHMARKS) for (const t of baseline[name]!) expect(t).toBeGreaterThan(0.2);
  }, 1_800_000);

  it.runIf(LONG_EXPERIMENTS)('experiment: relative improvement of each entangled search method\'s subnet over the benchmark\'s 24 random subnets, seeds 0–2', async () => {
    // WEFT_NAS_RI_METHODS=a,b picks methods, WEFT_NAS_RI_BENCHMARKS=conv8 benchmarks (the full run takes long on a shared machine).
    const only = process.env.WEFT_NAS_RI_METHODS?.split(',');
    const benches = process.env.WEFT_NAS_RI_BENCHMARKS?.split(',');
    const before = tf.memory().numTensors;
    const lines: string[] = [];
    for (const name of RANKING_BENCHMARKS.filter((b) => !benches || benches.includes(b))) {
      const b = rankingBenchmark(name);
      const data = benchmarkData(b);
      // The average architecture: the mean stand-alone accuracy of the benchmark's random subnets (same recipe).
      const random = RANKING_TABLES[name].rows.flatMap((r) => r.standalone);
      for (const method of searchMethodNames('entangled').filter((m) => !only || only.includes(m))) {
        const ris: number[] = [];
        const found: string[] = [];
        for (const seed of [0, 1, 2]) {
          const { net, searcher } = createEntangledSearch(method, b.space, softmaxCrossEntropy, {}, seed);
          const r = await runSearch({ searcher, train: data.train, val: data.val, steps: STEPS[name], batchSize: 64, seed, reportEvery: STEPS[name] });
          searcher.dispose();
          net.dispose();
          const acc: number[] = [];
          for (const s of b.standalone.seeds) acc.push(await trainStandalone(b, data, r.result, s));
          ris.push(relativeImprovement(mean(acc), random));
          found.push(`${subnetKey(r.result)} (${mean(acc).toFixed(3)})`);
        }
        lines.push(`[nas relative improvement ${name}] ${method}: RI ${pm(ris, 1)} % over the random mean ${mean(random).toFixed(3)}; found ${found.join('; ')}`);
        console.log(lines.at(-1));
        expect(ris.every(Number.isFinite)).toBe(true);
      }
      tf.dispose([data.train.x, data.train.y, data.val.x, data.val.y]);
    }
    expect(tf.memory().numTensors).toBe(before);
  }, 1_800_000);
});

// ParZC (arXiv 2402.02105): DiffKendall against Kendall's τ (large sharpness, tie-free lists,
// |Δ| ≤ 1e-6) and its gradient against central finite differences (relative 2%); node-wise
// statistics against proxies.ts summed over nodes (SNIP relative 1e-4, log SynFlow |Δ| ≤ 1e-3,
// grad-norm per tensor 1e-4); the precision-weighted score against the same mean computed on the
// host from the model's μ and σ² (|Δ| ≤ 1e-5); fit and scoring leave no tensors; and the toy
// experiment on the paper's claim: on the ranking benchmark, held-out ParZC scores (3-fold, seeds
// 0–4) against the raw zero-cost proxies of the cached table (Kendall τ-b with the stand-alone
// means). Measured: vector 0.47 ± 0.14 vs grad-norm −0.07, SNIP −0.01, SynFlow 0.07; conv8
// 0.60 ± 0.12 vs −0.18, −0.25, 0.62 — the parameter count alone reaches 0.61 and 0.54.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Linear, Module, Rng, initBackend, softmaxCrossEntropy, type ForwardContext } from '@weft/core';
import {
  PARZC_SCORES, ParzcModel, RANKING_BENCHMARKS, RANKING_TABLES, benchmarkParzcData, diffKendall, fitParzc, gradNorm, kendallTau, nodeStatistics, parzcCrossValidated,
  parzcData, parzcScores, rankingBenchmark, snip, standaloneMeans, synflowLog,
} from '../src/index.js';
import { LONG_EXPERIMENTS } from './long-experiments.js';

const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
const sd = (a: number[]) => Math.sqrt(a.reduce((s, v) => s + (v - mean(a)) ** 2, 0) / Math.max(1, a.length - 1));
const randn = (rng: Rng, shape: number[]) => tf.tensor(rng.normalArray(shape.reduce((a, b) => a * b, 1)), shape);

/** A 3-layer ReLU MLP (nodes l0, l1, head). */
class Mlp extends Module {
  readonly l0: Linear;
  readonly l1: Linear;
  readonly head: Linear;
  constructor(rng: Rng) {
    super();
    this.l0 = this.addModule('l0', new Linear({ inFeatures: 3, outFeatures: 5 }, rng));
    this.l1 = this.addModule('l1', new Linear({ inFeatures: 5, outFeatures: 4 }, rng));
    this.head = this.addModule('head', new Linear({ inFeatures: 4, outFeatures: 3 }, rng));
  }
  forward(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    return this.head.forward(tf.relu(this.l1.forward(tf.relu(this.l0.forward(x, ctx)), ctx)), ctx);
  }
}

describe('ParZC: DiffKendall', () => {
  it('tends to Kendall τ at large sharpness on tie-free lists (|Δ| ≤ 1e-6), is the hand-computed tanh sum at a = 1, and its gradient matches finite differences (relative 2%)', async () => {
    await initBackend({ prefer: ['cpu'], fallback: false });
    const rng = new Rng(6);
    for (let t = 0; t < 20; t++) {
      const n = 3 + rng.int(12);
      const a = Array.from(rng.permutation(n), Number);
      const b = Array.from(rng.permutation(n), Number);
      const d = diffKendall(tf.tensor1d(a), tf.tensor1d(b), 50);
      expect(Math.abs((await d.data())[0]! - kendallTau(a, b))).toBeLessThanOrEqual(1e-6);
    }
    // n = 3, pred (0, 1, 3), target (0, 2, 1): pairs (0,1): tanh(−1)·(−1), (0,2): tanh(−3)·(−1), (1,2): tanh(−2)·(+1).
    const v = (await diffKendall(tf.tensor1d([0, 1, 3]), tf.tensor1d([0, 2, 1]), 1).data())[0]!;
    expect(v).toBeCloseTo((Math.tanh(1) + Math.tanh(3) - Math.tanh(2)) / 3, 6);
    const target = tf.tensor1d([0.3, -1, 2, 0.5, 0.1]);
    const p0 = [0.2, 0.1, -0.3, 0.4, 0];
    const f = (p: tf.Tensor) => diffKendall(p, target, 2);
    const g = await tf.grad(f)(tf.tensor1d(p0)).data();
    const h = 1e-3;
    for (let i = 0; i < 5; i++) {
      const at = async (dd: number) => (await f(tf.tensor1d(p0.map((x, k) => (k === i ? x + dd : x)))).data())[0]!;
      const fd = ((await at(h)) - (await at(-h))) / (2 * h);
      expect(Math.abs(g[i]! - fd)).toBeLessThanOrEqual(0.02 * Math.max(Math.abs(fd), 0.01));
    }
    expect(() => diffKendall(tf.tensor1d([1]), tf.tensor1d([1]), 1)).toThrow(/≥ 2/);
  });
});

describe('ParZC: node-wise statistics', () => {
  it('summed over nodes they are the network\'s SNIP and SynFlow; grad-norm per node is the norm of its tensors\' gradients', async () => {
    const rng = new Rng(2);
    const model = new Mlp(rng);
    const x = randn(rng, [8, 3]);
    const y = tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1], 'int32');
    const p = { model, x, y, loss: softmaxCrossEntropy };
    const before = tf.memory().numTensors;
    const st = await nodeStatistics(p);
    expect(tf.memory().numTensors).toBe(before);
    expect(st.map((s) => s.node)).toEqual(['l0', 'l1', 'head']);
    expect(st.map((s) => s.params)).toEqual([20, 24, 15]);
    const snipAll = await snip(p);
    expect(Math.abs(st.reduce((a, s) => a + s.snip, 0) - snipAll)).toBeLessThanOrEqual(1e-4 * snipAll);
    expect(Math.abs(Math.log(st.reduce((a, s) => a + s.synflow, 0)) - (await synflowLog({ model, x })))).toBeLessThanOrEqual(1e-3);
    const nodes = [[model.l0.weight, model.l0.bias!], [model.l1.weight, model.l1.bias!], [model.head.weight, model.head.bias!]];
    for (const [i, vars] of nodes.entries()) {
      const perTensor = await Promise.all(vars.map((v) => gradNorm({ ...p, variables: [v] })));
      expect(st[i]!.grad_norm).toBeCloseTo(Math.sqrt(perTensor.reduce((a, g) => a + g * g, 0)), 4);
    }
    tf.dispose([x, y]);
    model.dispose();
  });

  it('aligns nodes: an architecture\'s last node (the head) goes to the last position, absent ones are masked', () => {
    const s = (node: string, v: number) => ({ node, grad_norm: v, snip: v, synflow: v, params: v });
    const d = parzcData([[s('layers.0', 2), s('head', 3)], [s('layers.0', 1), s('layers.1', 1), s('layers.2', 1), s('head', Math.E)]], 4);
    expect(Array.from(d.mask)).toEqual([1, 0, 0, 1, 1, 1, 1, 1]);
    expect(d.x[3 * 4]).toBeCloseTo(Math.log(3), 6); // arch 0, position 3, first statistic
    expect(d.x[7 * 4 + 3]).toBeCloseTo(1, 6);
    expect(() => parzcData([[s('a', 1), s('b', 1), s('c', 1)]], 2)).toThrow(/3 nodes; allowed 1…2/);
  });
});

describe('ParZC: model', () => {
  it('scores are the precision-weighted mean Σ μ/σ² / Σ 1/σ² of the present nodes (|Δ| ≤ 1e-5)', async () => {
    const rng = new Rng(3);
    const m = new ParzcModel(4, 4, 8, rng);
    const x = randn(rng, [5, 4, 4]);
    const maskArr = [1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 0, 1, 1, 0, 1, 0, 1];
    const mask = tf.tensor2d(maskArr, [5, 4]);
    const got = await m.score(x, mask).data();
    const { mu, logvar } = m.gaussians(x);
    const [mu_, lv] = [await mu.data(), await logvar.data()];
    for (let b = 0; b < 5; b++) {
      let num = 0;
      let den = 0;
      for (let n = 0; n < 4; n++) {
        if (!maskArr[b * 4 + n]) continue;
        num += mu_[b * 4 + n]! / Math.exp(lv[b * 4 + n]!);
        den += 1 / Math.exp(lv[b * 4 + n]!);
      }
      expect(Math.abs(got[b]! - num / den)).toBeLessThanOrEqual(1e-5);
    }
    tf.dispose([x, mask, mu, logvar]);
    m.dispose();
  });

  it('fitting and scoring leave only the model\'s parameters; training raises DiffKendall on the training rows; options are checked', async () => {
    const rng = new Rng(4);
    const s = (v: number) => ({ node: 'n', grad_norm: v, snip: v * v, synflow: 1 + v, params: 10 });
    // 12 toy architectures of 2 nodes whose target is a noisy function of their statistics.
    const archs = Array.from({ length: 12 }, () => [s(rng.uniform(0.1, 2)), s(rng.uniform(0.1, 2))]);
    const targets = archs.map(([a, b]) => Math.log(a!.grad_norm) - 0.5 * Math.log(b!.grad_norm) + 0.05 * rng.normal());
    const d = parzcData(archs, 2);
    const rows = Array.from({ length: 12 }, (_, i) => i);
    const before = tf.memory().numTensors;
    const untrained = fitParzc(d, targets, rows, { steps: 1 });
    const fit = fitParzc(d, targets, rows, { steps: 100 });
    const t0 = kendallTau(await parzcScores(untrained, d, rows), targets);
    const t1 = kendallTau(await parzcScores(fit, d, rows), targets);
    expect(tf.memory().numTensors).toBe(before + 2 * fit.model.parameters().length);
    untrained.model.dispose();
    fit.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(t1).toBeGreaterThan(Math.max(t0, 0.6));
    expect(() => fitParzc(d, targets, rows, { stpes: 3 } as never)).toThrow(/did you mean 'steps'/);
    expect(() => fitParzc(d, targets, [0, 40])).toThrow(/row 40/);
  });
});

describe('ParZC: committed held-out scores (scripts/nas-parzc-scores.mjs)', () => {
  it('hold one score per benchmark row for seeds 0–4, each made without its own row (3 folds)', () => {
    for (const name of RANKING_BENCHMARKS) {
      const p = PARZC_SCORES[name];
      expect(Object.keys(p.scores)).toEqual([0, 1, 2, 3, 4].map((k) => `parzc_seed${k}`));
      for (const v of Object.values(p.scores)) {
        expect(v).toHaveLength(RANKING_TABLES[name].rows.length);
        expect(v.every(Number.isFinite)).toBe(true);
      }
      expect(Object.keys(p.notes)).toEqual(Object.keys(p.scores));
    }
  });

  it.runIf(LONG_EXPERIMENTS)('re-made in this process, seed 0 of \'vector\' ranks the rows as the committed scores do (τ ≥ 0.8; wasm training is not bit-reproducible across processes)', async () => {
    const ref = standaloneMeans(RANKING_TABLES.vector);
    const d = await benchmarkParzcData(rankingBenchmark('vector'));
    const again = await parzcCrossValidated(d, ref, 3, { seed: 0 });
    expect(kendallTau(again, PARZC_SCORES.vector.scores.parzc_seed0!)).toBeGreaterThanOrEqual(0.8);
  }, 600_000);
});

describe('ParZC: experiment', () => {
  it.runIf(LONG_EXPERIMENTS)('ranking benchmark: held-out ParZC scores (3-fold, seeds 0–4) vs the raw zero-cost proxies, Kendall τ-b against the stand-alone means', async () => {
    const before = tf.memory().numTensors;
    const beatsAll: boolean[] = [];
    const beatsGradients: boolean[] = [];
    for (const name of RANKING_BENCHMARKS) {
      const table = RANKING_TABLES[name];
      const ref = standaloneMeans(table);
      const d = await benchmarkParzcData(rankingBenchmark(name));
      const taus: number[] = [];
      for (const seed of [0, 1, 2, 3, 4]) taus.push(kendallTau(await parzcCrossValidated(d, ref, 3, { seed }), ref));
      const raw = Object.fromEntries(['grad_norm', 'snip', 'synflow', 'params'].map((k) => [k, kendallTau(table.scores[k]!, ref)]));
      console.log(`[parzc] ${name}: ParZC τ-b ${mean(taus).toFixed(3)} ± ${sd(taus).toFixed(3)} (seeds ${taus.map((t) => t.toFixed(2)).join(', ')}); raw proxies ${Object.entries(raw).map(([k, t]) => `${k} ${t.toFixed(3)}`).join(', ')}`);
      beatsAll.push(mean(taus) > Math.max(raw.grad_norm!, raw.snip!, raw.synflow!));
      beatsGradients.push(mean(taus) > Math.max(raw.grad_norm!, raw.snip!));
    }
    expect(tf.memory().numTensors).toBe(before);
    // The claim — higher τ than the raw zero-cost proxies — held on 'vector' (0.47 ± 0.14 vs at most
    // 0.07) and against grad-norm and SNIP on both; on 'conv8' SynFlow alone (0.62) was level with
    // ParZC (0.60 ± 0.12), so the check is what held: the gradient proxies beaten on both, all on vector.
    expect(beatsGradients).toEqual([true, true]);
    expect(beatsAll[0]).toBe(true);
  }, 1_800_000);
});

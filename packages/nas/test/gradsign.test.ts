// GradSign (arXiv 2110.08616) against per-example gradients worked out by hand for a linear
// softmax classifier, and the experiment: its Kendall τ against the ranking benchmark's stand-alone
// accuracies next to the other zero-cost proxies on the same subnets, over initialisation seeds 0–2.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Linear, Rng, softmaxCrossEntropy } from '@weft/core';
import {
  RANKING_BENCHMARKS, RANKING_TABLES, SubnetNetwork, benchmarkData, benchmarkSubnets, gradNorm, gradSign, kendallTau, naswot, rankingBenchmark, snip, standaloneMeans, synflowLog,
} from '../src/index.js';

/** Seeded experiments on a paper's claim run with WEFT_LONG_EXPERIMENTS=1 (minutes each; the suite has a 25-minute budget). */
const LONG_EXPERIMENTS = process.env.WEFT_LONG_EXPERIMENTS === '1';

const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
const sd = (a: number[]) => Math.sqrt(a.reduce((s, v) => s + (v - mean(a)) ** 2, 0) / Math.max(1, a.length - 1));

describe('GradSign', () => {
  it('equals Σ_k |Σ_i sign(g_ik)| with the per-example gradients of softmax cross-entropy written out (dW = xᵀ(p − e_y), db = p − e_y); exact', async () => {
    const rng = new Rng(2);
    const [B, F, C] = [7, 5, 3];
    const model = new Linear({ inFeatures: F, outFeatures: C }, rng);
    const xs = Array.from(rng.normalArray(B * F));
    const ys = Array.from({ length: B }, () => rng.int(C));
    const W = await model.weight.data(); // (F, C)
    const b = await model.bias!.data();
    const sumW = new Float64Array(F * C);
    const sumB = new Float64Array(C);
    for (let i = 0; i < B; i++) {
      const z = Array.from({ length: C }, (_, c) => b[c]! + xs.slice(i * F, i * F + F).reduce((s, xv, f) => s + xv * W[f * C + c]!, 0));
      const m = Math.max(...z);
      const e = z.map((v) => Math.exp(v - m));
      const p = e.map((v) => v / e.reduce((s, u) => s + u, 0));
      const d = p.map((v, c) => v - (c === ys[i] ? 1 : 0));
      for (let f = 0; f < F; f++) for (let c = 0; c < C; c++) sumW[f * C + c]! += Math.sign(xs[i * F + f]! * d[c]!);
      for (let c = 0; c < C; c++) sumB[c]! += Math.sign(d[c]!);
    }
    const ref = [...sumW, ...sumB].reduce((s, v) => s + Math.abs(v), 0);
    const x = tf.tensor2d(xs, [B, F]);
    const y = tf.tensor1d(ys, 'int32');
    const before = tf.memory().numTensors;
    expect(await gradSign({ model, x, y, loss: softmaxCrossEntropy })).toBe(ref);
    expect(tf.memory().numTensors).toBe(before);
    const y1 = tf.tensor1d([0], 'int32');
    await expect(gradSign({ model, x, y: y1, loss: softmaxCrossEntropy })).rejects.toThrow(/x has 7 examples and y 1/);
    tf.dispose([x, y, y1]);
  });

  it.runIf(LONG_EXPERIMENTS)('experiment: Kendall τ vs stand-alone accuracy on the ranking benchmark, GradSign next to grad-norm, SNIP, SynFlow and NASWOT, init seeds 0–2', async () => {
    const before = tf.memory().numTensors;
    const result: Record<string, Record<string, number[]>> = {};
    for (const name of RANKING_BENCHMARKS) {
      const b = rankingBenchmark(name);
      const data = benchmarkData(b);
      const subs = benchmarkSubnets(b);
      const ref = standaloneMeans(RANKING_TABLES[name]);
      const x = tf.slice(data.train.x, 0, 64);
      const y = tf.slice(data.train.y, 0, 64);
      const taus: Record<string, number[]> = { gradsign: [], grad_norm: [], snip: [], synflow: [] };
      if (b.space.activationChoices.length === 1) taus.naswot = [];
      for (const seed of [0, 1, 2]) {
        const scores: Record<string, number[]> = Object.fromEntries(Object.keys(taus).map((k) => [k, []]));
        for (const s of subs) {
          const net = new SubnetNetwork(b.space, s, new Rng(seed));
          const p = { model: net, x, y, loss: softmaxCrossEntropy };
          scores.gradsign!.push(await gradSign(p));
          scores.grad_norm!.push(await gradNorm(p));
          scores.snip!.push(await snip(p));
          scores.synflow!.push(await synflowLog(p));
          if (scores.naswot) scores.naswot.push(await naswot(p));
          net.dispose();
        }
        for (const k of Object.keys(taus)) taus[k]!.push(kendallTau(scores[k]!, ref));
      }
      result[name] = taus;
      console.log(`[nas gradsign ${name}] τ vs stand-alone over init seeds 0–2: ${Object.entries(taus).map(([k, v]) => `${k} ${mean(v).toFixed(3)} ± ${sd(v).toFixed(3)}`).join(', ')}`);
      tf.dispose([x, y, data.train.x, data.train.y, data.val.x, data.val.y]);
    }
    expect(tf.memory().numTensors).toBe(before);
    for (const name of RANKING_BENCHMARKS) expect(result[name]!.gradsign!.every(Number.isFinite)).toBe(true);
  }, 900_000);
});

describe('SynFlow', () => {
  it('leaks no tensor (its per-tensor log scales were kept and never freed)', async () => {
    const model = new Linear({ inFeatures: 3, outFeatures: 2 }, new Rng(1));
    const x = tf.ones([2, 3]);
    const before = tf.memory().numTensors;
    await synflowLog({ model, x });
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    model.dispose();
  });
});

// Balanced Mixture of SuperNets (arXiv 2306.11982): the pooling space's network against a forward
// written with raw tfjs convs and a reshape-mean 2×2 pool (|Δ| ≤ 1e-5); the association gradient
// against central finite differences of its objective (float64, |Δ| ≤ 1e-7); what the balance term
// does (configurations spread over the models with it, on one model without it); the mixture's
// training keeps tensors flat; and — with WEFT_LONG_EXPERIMENTS=1 — the toy experiment on the
// paper's claim: the 8 pooling configurations of a 3-layer CNN on 8×8 shapes ranked (Kendall τ-b
// against stand-alone training, 3 seeds each) by one supernet and by the balanced mixture.
// Measured (POOLING_RECIPE: 1500 steps each, seeds 0–2; the same runs are cached in pooling/table.ts
// by scripts/nas-pooling-table.mjs, 19 min on the loaded 2-core machine): one supernet τ −0.03 ± 0.19
// (0.18, −0.19, −0.07); the balanced mixture −0.18 ± 0.23 (−0.36, −0.27, 0.07), its configurations
// split 4–4 or 3–5 over the two models in every seed; without the balance term 0.15 ± 0.13 (0.25,
// 0.00, 0.18), all 8 configurations on one model in seeds 0 and 1. The paper's claim (a better
// ranking than one supernet) does not hold at this toy scale: the configurations' stand-alone means
// lie between 0.88 and 0.98 with seed-to-seed spreads as large (seed 0 stops at 0.775 on three of
// them), and τ over 8 items moves in steps of 0.07.
// What the test asserts is the mechanism: with the balance term every seed uses both models.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ForwardContext, Rng, shapes, toTensors } from '@weft/core';
import {
  BalancedMixture, POOLING_RECIPE, PoolingNetwork, associationGradient, associationObjective, kendallTau, poolingBenchmarkData, poolingConfigs, poolingKey, resolvePoolingSpace, trainPoolingStandalone,
} from '../src/index.js';
import { LONG_EXPERIMENTS } from './long-experiments.js';

const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
const sd = (a: number[]) => Math.sqrt(a.reduce((s, v) => s + (v - mean(a)) ** 2, 0) / Math.max(1, a.length - 1));

describe('pooling space', () => {
  it('has 2^layers configurations; the network equals raw convs, ReLU and reshape-mean 2×2 pools (|Δ| ≤ 1e-5)', async () => {
    expect(poolingConfigs(2)).toEqual([[0, 0], [0, 1], [1, 0], [1, 1]]);
    expect(poolingKey([0, 1, 1])).toBe('·PP');
    const space = resolvePoolingSpace({ channels: 3 });
    const net = new PoolingNetwork(space, new Rng(1));
    const x = tf.tensor(new Rng(2).normalArray(2 * 8 * 8), [2, 8, 8, 1]);
    const conv = (h: tf.Tensor, c: { weight: tf.Variable; bias: tf.Variable | null }) => tf.relu(tf.add(tf.conv2d(h as tf.Tensor4D, c.weight as tf.Tensor4D, 1, 'same'), c.bias!));
    const pool = (h: tf.Tensor) => {
      const [B, H, W, C] = h.shape as number[];
      return tf.mean(tf.reshape(h, [B!, H! / 2, 2, W! / 2, 2, C!]), [2, 4]); // (B, H, W, C) -> (B, H/2, 2, W/2, 2, C) -> (B, H/2, W/2, C)
    };
    for (const cfg of [[0, 1, 1], [1, 0, 0], [1, 1, 1]]) {
      net.pooling = cfg;
      const got = net.forward(x, new ForwardContext());
      let h = conv(x, net.stem);
      net.convs.items.forEach((c, l) => {
        if (cfg[l]) h = pool(h);
        h = conv(h, c);
      });
      const ref = net.head.forward(tf.mean(h, [1, 2]));
      expect((await tf.max(tf.abs(tf.sub(got, ref))).data())[0]).toBeLessThanOrEqual(1e-5);
    }
    // Every bit changes the network: no two configurations give the same output (a pool after the
    // last conv would be a no-op under the global average, making pairs of configurations equal).
    const outs = await Promise.all(poolingConfigs(3).map((cfg) => {
      net.pooling = cfg;
      return net.forward(x, new ForwardContext()).data();
    }));
    for (let i = 0; i < 8; i++) for (let j = i + 1; j < 8; j++) expect(Math.max(...Array.from(outs[i]!, (v, k) => Math.abs(v - outs[j]![k]!)))).toBeGreaterThan(1e-4);
    net.pooling = [1, 2, 0];
    expect(() => net.forward(x, new ForwardContext())).toThrow(/pooling=\[1,2,0\] must be 3 bits/);
    x.dispose();
    net.dispose();
  });
});

describe('balanced mixture: associations', () => {
  it('the gradient of J(θ) = mean_c Σ_m p(m|c) L̂(c,m) + λ·KL(q ‖ uniform) matches central finite differences (|Δ| ≤ 1e-7)', () => {
    const rng = new Rng(3);
    const [C, M] = [5, 3];
    const theta = Float64Array.from({ length: C * M }, () => rng.normal());
    const L = Float64Array.from({ length: C * M }, () => rng.uniform(0.2, 2));
    for (const lambda of [0, 0.7]) {
      const g = associationGradient(theta, L, C, M, lambda);
      const h = 1e-5;
      for (let i = 0; i < C * M; i++) {
        const at = (d: number) => associationObjective(theta.map((v, k) => (k === i ? v + d : v)), L, C, M, lambda);
        expect(Math.abs(g[i]! - (at(h) - at(-h)) / (2 * h))).toBeLessThanOrEqual(1e-7);
      }
    }
  });

  it('descending J with equal losses everywhere but model 0 slightly better: without balance every configuration goes to model 0, with it they spread (q within 0.1 of uniform)', () => {
    const [C, M] = [8, 2];
    const L = Float64Array.from({ length: C * M }, (_, i) => (i % M === 0 ? 1 : 1.1));
    const q = (lambda: number) => {
      const theta = Float64Array.from({ length: C * M }, (_, i) => 0.01 * Math.sin(i));
      for (let t = 0; t < 3000; t++) associationGradient(theta, L, C, M, lambda).forEach((g, i) => (theta[i]! -= 2 * g));
      const p = theta.map((_, i) => i); // p(m | c) by softmax of each row
      for (let c = 0; c < C; c++) {
        const e = [Math.exp(theta[c * M]!), Math.exp(theta[c * M + 1]!)];
        p[c * M] = e[0]! / (e[0]! + e[1]!);
        p[c * M + 1] = e[1]! / (e[0]! + e[1]!);
      }
      return [0, 1].map((m) => mean(Array.from({ length: C }, (_, c) => p[c * M + m]!)));
    };
    expect(q(0)[0]).toBeGreaterThan(0.95);
    expect(Math.abs(q(1)[0]! - 0.5)).toBeLessThanOrEqual(0.1);
  });

  it('training steps keep tensors flat; options are checked', async () => {
    const t = toTensors(shapes({ n: 64, size: 8 }, 1));
    const mix = new BalancedMixture({ channels: 4 }, { supernets: 2 });
    await mix.train({ x: t.x, y: t.y }, 20, 16); // both models get Adam state
    const before = tf.memory().numTensors;
    await mix.train({ x: t.x, y: t.y }, 5, 16);
    expect(tf.memory().numTensors).toBe(before);
    expect(mix.modelSteps.reduce((a, b) => a + b, 0)).toBe(25);
    const s = await mix.scores({ x: t.x, y: t.y });
    expect(s).toHaveLength(8);
    expect(s.every((a) => a >= 0 && a <= 1)).toBe(true);
    mix.dispose();
    tf.dispose([t.x, t.y, ...Object.values(t.extra ?? {})]);
    expect(() => new BalancedMixture({}, { supernets: 0 })).toThrow(/supernets=0/);
    expect(() => new BalancedMixture({}, { balanse: 1 } as never)).toThrow(/did you mean 'balance'/);
  });
});

describe('balanced mixture: experiment', () => {
  it.runIf(LONG_EXPERIMENTS)('8 pooling configurations on 8×8 shapes: τ-b against stand-alone accuracy of one supernet vs the balanced mixture (M = 2) vs the mixture without balance, seeds 0–2', async () => {
    const before = tf.memory().numTensors;
    const space = resolvePoolingSpace({});
    const configs = poolingConfigs(space.layers);
    const data = poolingBenchmarkData();
    const [tr, va] = [data.train, data.val];
    // Stand-alone: each configuration trained alone (POOLING_RECIPE: Adam 0.01, 400 steps of 64, seeds 0–2).
    const standalone: number[] = [];
    for (const cfg of configs) {
      const accs: number[] = [];
      for (const seed of POOLING_RECIPE.standalone.seeds) accs.push(await trainPoolingStandalone(space, data, cfg, seed));
      standalone.push(mean(accs));
    }
    console.log(`[pooling] stand-alone accuracy per configuration: ${configs.map((c, i) => `${poolingKey(c)} ${standalone[i]!.toFixed(3)}`).join(', ')}`);
    const runs: Record<string, { supernets: number; balance: number }> = { 'one supernet': { supernets: 1, balance: 1 }, 'balanced mixture M=2': { supernets: 2, balance: 1 }, 'mixture M=2, no balance': { supernets: 2, balance: 0 } };
    const taus: Record<string, number[]> = {};
    const used: Record<string, number[]> = {};
    for (const [name, c] of Object.entries(runs)) {
      taus[name] = [];
      used[name] = [];
      for (const seed of [0, 1, 2]) {
        const mix = new BalancedMixture(space, { ...c, seed });
        await mix.train(tr, POOLING_RECIPE.mixture.steps, POOLING_RECIPE.mixture.batchSize);
        taus[name]!.push(kendallTau(await mix.scores(va), standalone));
        const models = new Set(configs.map((_, i) => mix.modelOf(i)));
        used[name]!.push(models.size);
        console.log(`[pooling] ${name} seed ${seed}: τ ${taus[name]!.at(-1)!.toFixed(2)}, models used ${models.size}, config → model ${configs.map((cfg, i) => `${poolingKey(cfg)}:${mix.modelOf(i)}`).join(' ')}`);
        mix.dispose();
      }
      console.log(`[pooling] ${name}: τ-b ${mean(taus[name]!).toFixed(2)} ± ${sd(taus[name]!).toFixed(2)}`);
    }
    tf.dispose([tr.x, tr.y, va.x, va.y]);
    expect(tf.memory().numTensors).toBe(before);
    // The mechanism (the claim, a higher τ than one supernet, did not hold here: see the header):
    // with the balance term every seed serves the configurations with both models.
    expect(used['balanced mixture M=2']!.every((n) => n === 2)).toBe(true);
    expect(Object.values(taus).flat().every(Number.isFinite)).toBe(true);
  }, 3_600_000);
});

// Mixture-of-Supernets (arXiv 2306.04845): a subnet of the mixture equals the same subnet of a
// plain entangled supernet holding Σ_e g_e W_e (the gates computed by hand from the router's
// weights and the encoding), the router learns through the mix, and the experiment on the paper's
// claim: a better ranking (Kendall τ vs stand-alone accuracy) than one supernet; seeds 0–2.
// Measured (the cached ranking table's mixture_supernet rows: 2 experts, seeds 0–2): vector τ
// 0.521 ± 0.086 vs one supernet 0.411 ± 0.157; conv8 0.433 ± 0.163 vs 0.503 ± 0.079. Higher on the
// MLP (inside the seeds' spread), lower on the CNN: the claim holds only on one benchmark at toy scale.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ForwardContext, Rng, softmaxCrossEntropy } from '@weft/core';
import {
  EntangledSupernet, MixtureSupernet, MixtureSupernetSearch, RANKING_BENCHMARKS, RANKING_TABLES, benchmarkData, benchmarkSubnets, createEntangledSearch, encodeSubnet, kendallTau,
  rankingBenchmark, runSearch, standaloneMeans, supernetAccuracies, type RankingBenchmarkName, type SubnetConfig,
} from '../src/index.js';
import { LONG_EXPERIMENTS } from './long-experiments.js';

const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
const sd = (a: number[]) => Math.sqrt(a.reduce((s, v) => s + (v - mean(a)) ** 2, 0) / Math.max(1, a.length - 1));
const STEPS: Record<RankingBenchmarkName, number> = { vector: 2000, conv8: 1500 };

describe('Mixture-of-Supernets', () => {
  it('a subnet of the mixture = the same subnet of an entangled supernet holding Σ g_e W_e, gates softmax(encoding·R + r) by hand (|Δ| ≤ 1e-5)', async () => {
    const space = { kind: 'cnn' as const, inFeatures: 2, numOutputs: 3, depthChoices: [1, 2], widthChoices: [2, 4], kernelChoices: [1, 3] };
    const m = new MixtureSupernet(space, 3, new Rng(1));
    // Give the router non-trivial weights so the gates differ.
    m.router.weight.assign(tf.tensor(new Rng(5).normalArray(m.router.weight.size), m.router.weight.shape));
    const cfg: SubnetConfig = { depth: 2, widths: [4, 2], kernels: [3, 1] };
    const enc = encodeSubnet(m.space, cfg);
    expect(enc.reduce((a, b) => a + b)).toBe(1 + 2 + 2); // depth, 2 widths, 2 kernels: one 1 each
    const R = await m.router.weight.data();
    const r = await m.router.bias!.data();
    const z = [0, 1, 2].map((e) => r[e]! + enc.reduce((s, v, i) => s + v * R[i * 3 + e]!, 0));
    const ez = z.map((v) => Math.exp(v - Math.max(...z)));
    const g = ez.map((v) => v / ez.reduce((a, b) => a + b));
    const plain = new EntangledSupernet(space, new Rng(9));
    const mixOf = async (v: tf.Variable) => {
      const d = await v.data();
      const n = d.length / 3;
      return tf.tensor(Array.from({ length: n }, (_, i) => g[0]! * d[i]! + g[1]! * d[n + i]! + g[2]! * d[2 * n + i]!), v.shape.slice(1));
    };
    for (const [dst, src] of [...plain.weights.map((w, l) => [w, m.weights[l]!]), ...plain.biases.map((b, l) => [b, m.biases[l]!]), [plain.headWeight, m.headWeight], [plain.headBias, m.headBias]] as Array<[tf.Variable, tf.Variable]>) {
      const t = await mixOf(src);
      dst.assign(t);
      t.dispose();
    }
    const x = tf.tensor4d(new Rng(2).normalArray(2 * 5 * 5 * 2), [2, 5, 5, 2]);
    m.subnet = cfg;
    plain.subnet = cfg;
    const a = await m.forward(x, new ForwardContext()).data();
    const b = await plain.forward(x, new ForwardContext()).data();
    expect(Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i]!)))).toBeLessThanOrEqual(1e-5);
    // The router learns through the mix.
    const { grads } = tf.variableGrads(() => tf.sum(tf.square(m.forward(x, new ForwardContext()))) as tf.Scalar, [m.router.weight]);
    expect(Math.max(...Array.from(await grads[m.router.weight.name]!.data(), Math.abs))).toBeGreaterThan(0);
    tf.dispose([x, ...Object.values(grads)]);
    m.dispose();
    plain.dispose();
    expect(() => new MixtureSupernet(space, 0)).toThrow(/experts/);
  });

  it.runIf(LONG_EXPERIMENTS)('experiment: Kendall τ vs stand-alone accuracy, one supernet (SPOS) against a mixture of 2 and of 4, seeds 0–2', async () => {
    const before = tf.memory().numTensors;
    for (const name of RANKING_BENCHMARKS) {
      const b = rankingBenchmark(name);
      const data = benchmarkData(b);
      const subs = benchmarkSubnets(b);
      const ref = standaloneMeans(RANKING_TABLES[name]);
      for (const [label, method, config] of [['one supernet (SPOS)', 'spos-entangled', {}], ['mixture of 2', 'mixture-supernet', { experts: 2 }], ['mixture of 4', 'mixture-supernet', { experts: 4 }]] as const) {
        const taus: number[] = [];
        for (const seed of [0, 1, 2]) {
          const { net, searcher } = createEntangledSearch(method, b.space, softmaxCrossEntropy, { ...config, search: 'random', candidates: 1, seed }, seed);
          await runSearch({ searcher, train: data.train, val: data.val, steps: STEPS[name], batchSize: 64, seed, reportEvery: STEPS[name] });
          const ms = searcher instanceof MixtureSupernetSearch ? searcher : null;
          taus.push(kendallTau(await supernetAccuracies(ms ? (s) => ms.netFor(s) : net, subs, data.val), ref));
          searcher.dispose();
          net.dispose();
        }
        console.log(`[nas mixture ${name}] ${label}: τ ${mean(taus).toFixed(3)} ± ${sd(taus).toFixed(3)} (${taus.map((t) => t.toFixed(3)).join(', ')})`);
        expect(taus.every(Number.isFinite)).toBe(true);
      }
      tf.dispose([data.train.x, data.train.y, data.val.x, data.val.y]);
    }
    expect(tf.memory().numTensors).toBe(before);
  }, 1_800_000);
});

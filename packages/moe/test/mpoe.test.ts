// MPOE: the rebuilt expert matrices equal a plain-JS float64 contraction of the three cores
// (W[(a1 a2 a3),(b1 b2 b3)] = Σ L[a1,b1,r]·C[r,a2,b2,s]·R[s,a3,b3], 1e-5); the layer equals an MoE
// with 'ffn' experts holding those rebuilt weights (1e-5); the ledger stores the central cores once
// and counts them active for every token. Experiment (seeds 0–2): stored parameters and clusterTasks
// test MSE of MPOE vs a plain MoE with the same expert count; figures printed. Measured (wasm, 400
// steps): MoE 0.127 ± 0.033 with 4480 layer parameters, MPOE (bond 4) 0.130 ± 0.022 with 1408 (3.2×
// fewer): comparable accuracy at a third of the stored parameters (the paper: 27.2× fewer than Switch
// with better accuracy, from MPO-decomposing a pre-trained model, which this toy does not do).
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { clusterTasks, ForwardContext, makeOptimizer, mse, parameterLedger, Rng, split, toTensors, train } from '@weft/core';
import { MixtralRouter, MoE, MPOEMoE, mpoWeights, Regressor } from '../src/index.js';

/** Seeded experiments on a paper's claim run with WEFT_LONG_EXPERIMENTS=1 (minutes each; the suite has a 25-minute budget). */
const LONG_EXPERIMENTS = process.env.WEFT_LONG_EXPERIMENTS === '1';

describe('MPOE', () => {
  it('rebuilds W from the cores as the einsum does', async () => {
    const rng = new Rng(1);
    const [e, a, b, r, s] = [2, [2, 3, 2], [3, 2, 2], 2, 3];
    const L = rng.normalArray(e * a[0]! * b[0]! * r);
    const C = rng.normalArray(r * a[1]! * b[1]! * s);
    const R = rng.normalArray(e * s * a[2]! * b[2]!);
    const w = (await mpoWeights(tf.tensor(L, [e, a[0]!, b[0]!, r]), tf.tensor(C, [r, a[1]!, b[1]!, s]), tf.tensor(R, [e, s, a[2]!, b[2]!])).array()) as number[][][];
    const [I, J] = [a[0]! * a[1]! * a[2]!, b[0]! * b[1]! * b[2]!];
    for (let x = 0; x < e; x++) for (let i = 0; i < I; i++) for (let j = 0; j < J; j++) {
      const [i1, i2, i3] = [Math.floor(i / (a[1]! * a[2]!)), Math.floor(i / a[2]!) % a[1]!, i % a[2]!];
      const [j1, j2, j3] = [Math.floor(j / (b[1]! * b[2]!)), Math.floor(j / b[2]!) % b[1]!, j % b[2]!];
      let v = 0;
      for (let p = 0; p < r; p++) for (let q = 0; q < s; q++) {
        v += L[((x * a[0]! + i1) * b[0]! + j1) * r + p]! * C[((p * a[1]! + i2) * b[1]! + j2) * s + q]! * R[((x * s + q) * a[2]! + i3) * b[2]! + j3]!;
      }
      expect(Math.abs(w[x]![i]![j]! - v)).toBeLessThan(1e-5);
    }
  });

  it('equals an MoE holding the rebuilt weights; the central cores are stored once and always active', async () => {
    const cfg = { dim: 8, numExperts: 4, topK: 2, hidden: 12, router: 'mixtral' } as const;
    const m = new MPOEMoE({ ...cfg, dimFactors: [2, 2, 2], hiddenFactors: [2, 3, 2], bond: 3 }, new Rng(2));
    const plain = new MoE(cfg, new Rng(3));
    const { w1, w2 } = m.experts.weights();
    const P = new Map(m.experts.namedParameters());
    const Q = new Map(plain.experts.namedParameters());
    Q.get('w1')!.assign(w1);
    Q.get('w2')!.assign(w2);
    Q.get('b1')!.assign(P.get('b1')!);
    Q.get('b2')!.assign(P.get('b2')!);
    (plain.router as MixtralRouter).gate.weight.assign((m.router as MixtralRouter).gate.weight);
    const x = tf.tensor3d(new Rng(4).normalArray(2 * 5 * 8), [2, 5, 8]);
    const d = tf.tidy(() => tf.max(tf.abs(tf.sub(m.forward(x, new ForwardContext()), plain.forward(x, new ForwardContext())))));
    expect((await d.data())[0]).toBeLessThan(1e-5);
    const t = parameterLedger(m).totals;
    const central = P.get('central1')!.size + P.get('central2')!.size;
    const perExpert = [...P].filter(([n]) => !n.startsWith('central')).reduce((s, [, v]) => s + v.size, 0);
    expect(t.stored).toBe(8 * 4 + central + perExpert);
    expect(t.active).toBeCloseTo(8 * 4 + central + (2 / 4) * perExpert, 5);
    expect(() => new MPOEMoE({ ...cfg, dimFactors: [2, 2, 3], hiddenFactors: [2, 3, 2] })).toThrow(/dimFactors=\[2,2,3\] must be three positive integers whose product is 8/);
    tf.dispose([x, d, w1, w2]);
    m.dispose();
    plain.dispose();
  });
});

it.runIf(LONG_EXPERIMENTS)('experiment: MPOE vs a plain MoE with the same 8 experts — stored parameters and clusterTasks test MSE (seeds 0–2)', async () => {
  const moe = { dim: 16, numExperts: 8, topK: 2, hidden: 16, router: 'mixtral', loadBalance: 'switch', loadBalanceWeight: 0.01 } as const;
  const runs: Record<string, { mse: number[]; stored: number }> = {};
  for (const seed of [0, 1, 2]) {
    for (const [name, mid] of [
      ['MoE', (r: Rng) => new MoE(moe, r)],
      ['MPOE bond 4', (r: Rng) => new MPOEMoE({ ...moe, dimFactors: [2, 4, 2], hiddenFactors: [2, 4, 2], bond: 4 }, r)],
    ] as const) {
      const ds = clusterTasks({ n: 4096, clusters: 8, dim: 2, target: 'nonlinear', outputs: 1 }, seed);
      const [trainSet, testSet] = split(ds, [0.75, 0.25], seed + 1);
      const tr = toTensors(trainSet!);
      const te = toTensors(testSet!);
      const model = new Regressor(2, 1, 16, mid, new Rng(seed + 2));
      const opt = makeOptimizer({ name: 'adam', learningRate: 0.01 });
      const draw = new Rng(seed + 4);
      const n = tr.x.shape[0]!;
      const batch = () => tf.tidy(() => {
        const idx = tf.tensor1d(Int32Array.from({ length: 256 }, () => draw.int(n)), 'int32');
        return { x: tf.gather(tr.x, idx), y: tf.gather(tr.y, idx) };
      });
      await train({ model, steps: 400, optimizer: opt, batch, loss: (o, b) => mse(o, b.y), reportEvery: 400, seed });
      const v = tf.tidy(() => mse(model.forward(te.x, new ForwardContext()), te.y));
      (runs[name] ??= { mse: [], stored: parameterLedger((model as Regressor).mid).totals.stored }).mse.push((await v.data())[0]!);
      tf.dispose([v, tr.x, tr.y, te.x, te.y, ...Object.values(tr.extra), ...Object.values(te.extra)]);
      opt.dispose();
      model.dispose();
    }
    console.log(`[mpoe] seed ${seed}: ${Object.entries(runs).map(([k, v]) => `${k} ${v.mse[seed]!.toFixed(4)}`).join(', ')}`);
  }
  const stat = (xs: number[]) => {
    const mu = xs.reduce((a, b) => a + b, 0) / xs.length;
    return `${mu.toFixed(4)} ± ${Math.sqrt(xs.reduce((a, b) => a + (b - mu) ** 2, 0) / xs.length).toFixed(4)}`;
  };
  console.log(`[mpoe] test MSE ${Object.entries(runs).map(([k, v]) => `${k} ${stat(v.mse)} (${v.stored} stored in the layer)`).join(', ')}`);
  expect(runs['MPOE bond 4']!.stored).toBeLessThan(runs.MoE!.stored);
}, 900_000);

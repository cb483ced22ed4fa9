// Capped expert choice (Zhou et al., arXiv:2202.09368, §3.3): the entropy-regularised LP solved by
// Dykstra's KL projections equals a float64 run of the same iteration (1e-4), meets its constraints
// (rows = C, columns ≤ b, 0 ≤ A ≤ 1, to 1e-3 after 200 iterations), and at a small entropy weight the
// routing it gives reaches the exact LP optimum, found by enumerating every 0/1 assignment of a
// 3-expert, 4-token problem (the transportation polytope's vertices are integral). With a cap, no
// token gets more than b experts where the uncapped router gives one token more than b.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ForwardContext, Rng } from '@weft/core';
import { cappedExpertChoiceLP, ExpertChoiceRouter, MoE } from '../src/index.js';

/** The same Dykstra iteration in float64. */
function referenceLP(s: number[][], c: number, b: number, lambda: number, iters: number): number[][] {
  const m = Math.max(...s.flat());
  let a = s.map((r) => r.map((v) => Math.exp((v - m) / lambda)));
  let qCol = a.map((r) => r.map(() => 1));
  let qBox = a.map((r) => r.map(() => 1));
  const rows = (x: number[][]) => x.map((r) => r.map((v) => (v * c) / Math.max(r.reduce((p, q) => p + q, 0), 1e-30)));
  for (let i = 0; i < iters; i++) {
    a = rows(a);
    let y = a.map((r, e) => r.map((v, n) => v * qCol[e]![n]!));
    const col = y[0]!.map((_, n) => y.reduce((p, r) => p + r[n]!, 0));
    a = y.map((r) => r.map((v, n) => v * Math.min(1, b / Math.max(col[n]!, 1e-30))));
    qCol = y.map((r, e) => r.map((v, n) => v / Math.max(a[e]![n]!, 1e-30)));
    y = a.map((r, e) => r.map((v, n) => v * qBox[e]![n]!));
    a = y.map((r) => r.map((v) => Math.min(v, 1)));
    qBox = y.map((r, e) => r.map((v, n) => v / Math.max(a[e]![n]!, 1e-30)));
  }
  return rows(a);
}

describe('capped expert choice', () => {
  it('the LP iteration equals its float64 reference and meets the constraints', async () => {
    const rng = new Rng(1);
    const s = Array.from({ length: 4 }, () => Array.from(rng.normalArray(10), (v) => 1 / (1 + Math.exp(-v))));
    for (const [iters, tol] of [[10, 1e-4], [200, 1e-4]] as const) {
      const got = (await cappedExpertChoiceLP(tf.tensor2d(s), 5, 2, 0.1, iters).array()) as number[][];
      const want = referenceLP(s, 5, 2, 0.1, iters);
      got.forEach((r, e) => r.forEach((v, n) => expect(Math.abs(v - want[e]![n]!)).toBeLessThan(tol)));
      if (iters === 200) {
        got.forEach((r) => expect(r.reduce((p, q) => p + q, 0)).toBeCloseTo(5, 3));
        for (let n = 0; n < 10; n++) expect(got.reduce((p, r) => p + r[n]!, 0)).toBeLessThan(2 + 1e-3);
        got.flat().forEach((v) => expect(v).toBeLessThanOrEqual(1 + 1e-5)); // float32 after the last row rescale
      }
    }
  });

  it('at a small entropy weight its routing reaches the exact LP optimum (every 0/1 assignment enumerated)', async () => {
    for (const seed of [2, 3, 4, 5]) {
      const rng = new Rng(seed);
      const [e, n, c, b] = [3, 4, 2, 2];
      const s = Array.from({ length: e }, () => Array.from(rng.normalArray(n), (v) => 1 / (1 + Math.exp(-v))));
      const subsets = [[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]];
      let best = -Infinity;
      for (const r0 of subsets) for (const r1 of subsets) for (const r2 of subsets) {
        const rowsOf = [r0, r1, r2];
        const load = new Array<number>(n).fill(0);
        rowsOf.forEach((r) => r.forEach((t) => (load[t]! += 1)));
        if (load.some((l) => l > b)) continue;
        best = Math.max(best, rowsOf.reduce((p, r, i) => p + r.reduce((q, t) => q + s[i]![t]!, 0), 0));
      }
      const a = cappedExpertChoiceLP(tf.tensor2d(s), c, b, 0.01, 300);
      const picked = (await tf.topk(a, c).indices.array()) as number[][];
      const load = new Array<number>(n).fill(0);
      picked.forEach((r) => r.forEach((t) => (load[t]! += 1)));
      expect(Math.max(...load)).toBeLessThanOrEqual(b);
      const value = picked.reduce((p, r, i) => p + r.reduce((q, t) => q + s[i]![t]!, 0), 0);
      expect(value).toBeCloseTo(best, 5);
    }
  });

  it('the capped router gives no token more than b experts where the plain one gives a token more', async () => {
    const shape = { dim: 4, numExperts: 4, topK: 2, capacityFactor: 1 }; // C = 4 tokens per expert of 8
    const plain = new ExpertChoiceRouter({}, shape, new Rng(0));
    const capped = new ExpertChoiceRouter({ maxExpertsPerToken: 2, entropy: 0.005, iterations: 500 }, shape, new Rng(0));
    for (const r of [plain, capped]) r.gate.weight.assign(tf.mul(tf.eye(4), 3));
    // token 0: near-uniform scores (≈ 0.25 everywhere, no exact ties); tokens 1–4: peaked on one expert each; tokens 5–7: near-uniform (random, small)
    const x = tf.concat([tf.tensor2d([[0.03, 0.01, -0.01, -0.02]]), tf.eye(4), tf.mul(tf.tensor2d(new Rng(11).normalArray(12), [3, 4]), 0.1)]);
    const count = async (r: ExpertChoiceRouter) => {
      const tokens = await r.forward(x as tf.Tensor2D, new ForwardContext()).token.data();
      const per = new Array<number>(8).fill(0);
      tokens.forEach((t) => (per[t]! += 1));
      return per;
    };
    expect(Math.max(...(await count(plain)))).toBeGreaterThan(2);
    expect(Math.max(...(await count(capped)))).toBeLessThanOrEqual(2);
    expect(() => new ExpertChoiceRouter({ maxExpertsPerToken: 1 }, shape, new Rng(0))).toThrow(/maxExpertsPerToken=1 must be ≥ capacityFactor·topK=2/);
    const m = new MoE({ dim: 4, numExperts: 4, topK: 2, hidden: 4, router: 'expert-choice', routerConfig: { maxExpertsPerToken: 2 }, capacityFactor: 1 }, new Rng(3));
    const n0 = tf.memory().numTensors;
    tf.tidy(() => void m.forward(tf.ones([6, 4]), new ForwardContext()));
    expect(tf.memory().numTensors).toBe(n0);
    m.dispose();
  });
});

describe('evaluation capacity factor and minCapacity (DeepSpeed)', () => {
  it('training uses capacityFactor, eval evalCapacityFactor; neither goes below minCapacity', () => {
    const m = new MoE({ dim: 4, numExperts: 4, topK: 2, hidden: 4, capacityFactor: 1, evalCapacityFactor: 2, minCapacity: 3 }, new Rng(0));
    expect(m.capacity(4, true)).toBe(3); // ⌈1·4·2/4⌉ = 2 < 3
    expect(m.capacity(4, false)).toBe(4); // ⌈2·4·2/4⌉
    expect(m.capacity(16, true)).toBe(8);
    expect(m.capacity(16, false)).toBe(16);
    const { plan } = m.plan(tf.ones([16, 4]) as tf.Tensor2D, new ForwardContext());
    expect(plan.blockSize).toBe(16);
    expect(() => new MoE({ dim: 4, evalCapacityFactor: 2 })).toThrow(/evalCapacityFactor=2 needs a capacityFactor/);
    expect(() => new MoE({ dim: 4, capacityFactor: 1, minCapacity: 0 })).toThrow(/minCapacity/);
    m.dispose();
  });
});

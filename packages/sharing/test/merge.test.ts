// Weft's ΔW-space merges (combineAdapters over the merge-method registry): task arithmetic (exact
// through the SVD when the rank suffices), TIES on a hand-computed case, DARE's drop-and-rescale,
// unequal ranks and mixed methods, SVD re-factorisation to a lower rank (Eckart–Young residual), and
// bad input. PEFT's own add_weighted_adapter is tested against PEFT's outputs in peft-merge.test.ts.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Linear, Module, Rng, type ForwardContext } from '@weft/core';
import { AdaptedLayer, LoraLayer, adapterNames, combineAdapters, injectAdapter, svd } from '../src/index.js';
import { Tiny, maxDiff } from './adapters-helpers.js';

const delta = (m: Tiny, layer: 'fc1' | 'fc2', name: string) => (m[layer] as unknown as AdaptedLayer).adapter(name).deltaWeight();

describe('svd', () => {
  it('reconstructs a random matrix, with orthonormal U and V and descending singular values', () => {
    for (const [m, n] of [[7, 4], [4, 7], [12, 12]] as const) {
      const rng = new Rng(m * n);
      const a = rng.normalArray(m * n);
      const { u, s, v, k } = svd(a, m, n);
      let err = 0;
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
        let x = 0;
        for (let c = 0; c < k; c++) x += u[i * k + c]! * s[c]! * v[j * k + c]!;
        err = Math.max(err, Math.abs(x - a[i * n + j]!));
      }
      expect(err).toBeLessThan(1e-5);
      for (let c = 1; c < k; c++) expect(s[c]!).toBeLessThanOrEqual(s[c - 1]!);
      for (let c = 0; c < k; c++) for (let d = 0; d < k; d++) {
        let dot = 0;
        for (let j = 0; j < n; j++) dot += v[j * k + c]! * v[j * k + d]!;
        expect(Math.abs(dot - (c === d ? 1 : 0))).toBeLessThan(1e-9);
      }
    }
  });
});

function twoAdapters(methodB: 'lora' | 'loha' = 'lora') {
  const model = new Tiny(new Rng(1));
  injectAdapter(model, 'a', { method: 'lora', targets: ['fc1', 'fc2'], r: 2, alpha: 4, initWeights: false }, { rng: new Rng(2) });
  injectAdapter(model, 'b', { method: methodB, targets: ['fc1'], r: 3, alpha: 3, initWeights: false }, { rng: new Rng(3) });
  return model;
}

describe('combineAdapters', () => {
  it('linear (task arithmetic) with unequal ranks: ΔW = 0.7 ΔWa − 0.4 ΔWb exactly (rank 5 SVD), and only on the layers a source adapts', async () => {
    const model = twoAdapters();
    const paths = await combineAdapters(model, ['a', 'b'], [0.7, -0.4], 'ab');
    expect(paths).toEqual(['fc1', 'fc2']);
    const want1 = tf.add(tf.mul(delta(model, 'fc1', 'a'), 0.7), tf.mul(delta(model, 'fc1', 'b'), -0.4));
    expect(await maxDiff(delta(model, 'fc1', 'ab'), want1)).toBeLessThan(1e-4);
    expect(await maxDiff(delta(model, 'fc2', 'ab'), tf.mul(delta(model, 'fc2', 'a'), 0.7))).toBeLessThan(1e-4);
    expect(((model.fc1 as unknown as AdaptedLayer).adapter('ab') as LoraLayer).options.r).toBe(5);
    expect((model.fc1 as unknown as AdaptedLayer).active).toEqual(['ab']);
    model.dispose();
  });

  it('mixes methods (LoRA + LoHa) in ΔW space', async () => {
    const model = twoAdapters('loha');
    await combineAdapters(model, ['a', 'b'], [1, 1], 'ab', { rank: 8 });
    const want = tf.add(delta(model, 'fc1', 'a'), delta(model, 'fc1', 'b'));
    expect(await maxDiff(delta(model, 'fc1', 'ab'), want)).toBeLessThan(1e-4); // rank(ΔW_loha) ≤ 9 but 8 columns: fc1 is 8→16
    model.dispose();
  });

  it('SVD re-factorisation to a lower rank leaves the Eckart–Young residual Σ_{i>r} σᵢ²', async () => {
    const model = twoAdapters();
    await combineAdapters(model, ['a', 'b'], [1, 1], 'low', { rank: 2 });
    const full = tf.add(delta(model, 'fc1', 'a'), delta(model, 'fc1', 'b'));
    const { s } = svd(await full.data(), 8, 16);
    const tail = Array.from(s).slice(2).reduce((x, v) => x + v * v, 0);
    const resid = (await tf.sum(tf.square(tf.sub(full, delta(model, 'fc1', 'low')))).data())[0]!;
    expect(Math.abs(resid - tail) / tail).toBeLessThan(1e-3);
    model.dispose();
  });

  it('TIES: magnitude trim, sign election, disjoint mean (hand-computed)', async () => {
    class One extends Module {
      readonly fc: Linear;
      constructor() {
        super();
        this.fc = this.addModule('fc', new Linear({ inFeatures: 2, outFeatures: 2 }, new Rng(1)));
      }
      forward(x: tf.Tensor, ctx: ForwardContext) {
        return this.fc.forward(x, ctx);
      }
    }
    const model = new One();
    const set = (name: string, d: number[][]) => {
      injectAdapter(model, name, { method: 'lora', targets: ['fc'], r: 2, alpha: 2 });
      const l = (model.fc as unknown as AdaptedLayer).adapter(name) as LoraLayer;
      l.loraA.assign(tf.eye(2));
      l.loraB.assign(tf.tensor2d(d));
    };
    set('d1', [[1, -2], [0.1, 3]]);
    set('d2', [[2, 1], [-0.2, -1]]);
    await combineAdapters(model, ['d1', 'd2'], [1, 1], 'ties', { method: 'ties-merging', density: 0.5, rank: 2 });
    // trimmed: d1 → [[0,-2],[0,3]], d2 → [[2,1],[0,0]]; signs of Σ: [+,-,+,+]; agreeing means: [[2,-2],[0,3]]
    expect(await maxDiff((model.fc as unknown as AdaptedLayer).adapter('ties').deltaWeight(), [[2, -2], [0, 3]])).toBeLessThan(1e-5);
    await combineAdapters(model, ['d1', 'd2'], [1, 1], 'tiesf', { method: 'ties-merging', density: 1, majoritySign: 'frequency', rank: 2 });
    // frequency votes: (0,0): +1+1 → +, mean(1,2)=1.5; (0,1): -1+1=0 → +, 1; (1,0): +1-1=0 → +, 0.1; (1,1): +1-1 → +, 3
    expect(await maxDiff((model.fc as unknown as AdaptedLayer).adapter('tiesf').deltaWeight(), [[1.5, 1], [0.1, 3]])).toBeLessThan(1e-5);
    model.dispose();
  });

  it('DARE: density 1 equals linear; density 0.5 keeps entries ×2 or drops them, seeded', async () => {
    const model = twoAdapters();
    await combineAdapters(model, ['a'], [1], 'd1', { method: 'dare', density: 1, rank: 2 });
    expect(await maxDiff(delta(model, 'fc1', 'd1'), delta(model, 'fc1', 'a'))).toBeLessThan(1e-5);
    await combineAdapters(model, ['a'], [1], 'dh', { method: 'dare', density: 0.5, rank: 8, seed: 3 });
    const a = await delta(model, 'fc1', 'a').data();
    const d = await delta(model, 'fc1', 'dh').data();
    let kept = 0;
    d.forEach((v, i) => {
      const ok = Math.abs(v) < 1e-4 || Math.abs(v - 2 * a[i]!) < 1e-4;
      expect(ok, `entry ${i}: ${v} vs ${a[i]}`).toBe(true);
      if (Math.abs(v) >= 1e-4) kept++;
    });
    expect(kept / d.length).toBeGreaterThan(0.35);
    expect(kept / d.length).toBeLessThan(0.65);
    await combineAdapters(model, ['a', 'b'], [1, 1], 'dt', { method: 'dare-ties', density: 0.5, seed: 1 });
    expect(adapterNames(model)).toContain('dt');
    model.dispose();
  });

  it('refuses bad input and leaves the model unchanged', async () => {
    const model = twoAdapters('loha');
    const before = adapterNames(model);
    await expect(combineAdapters(model, ['a', 'zz'], [1, 1], 'x')).rejects.toThrow(/no adapter "zz"/);
    await expect(combineAdapters(model, ['a', 'b'], [1], 'x')).rejects.toThrow(/weights=\[1\] must be 2 finite numbers/);
    await expect(combineAdapters(model, ['a', 'b'], [1, 1], 'x', { method: 'dare', density: 0 })).rejects.toThrow(/density=0 must be > 0/);
    await expect(combineAdapters(model, ['a', 'b'], [1, 1], 'x', { method: 'ties-merging', density: 2 })).rejects.toThrow(/density=2 must be a number in \[0, 1\]/);
    await expect(combineAdapters(model, ['a', 'b'], [1, 1], 'x', { method: 'slerp' })).rejects.toThrow(/method="slerp" is not registered; allowed: task-arithmetic/);
    await expect(combineAdapters(model, ['a', 'b'], [1, 1], 'x', { method: 'dare_ties' })).rejects.toThrow(/"dare_ties" is PEFT's name: addWeightedAdapter gives PEFT's semantics/);
    await expect(combineAdapters(model, ['a', 'b'], [1, 1], 'x', { density: 0.5 })).rejects.toThrow(/unknown option 'density'/);
    await expect(combineAdapters(model, ['a', 'b'], [1, 1], 'a')).rejects.toThrow(/already has an adapter "a"/);
    expect(adapterNames(model)).toEqual(before);
    model.dispose();
  });
});

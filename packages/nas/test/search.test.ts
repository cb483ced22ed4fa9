// The search methods: DARTS' second-order architecture gradient against a finite-difference
// derivative of the unrolled objective L_val(w − ξ∇w L_train(w, α), α) (relative tolerance 3%,
// float32 on cpu), w restored afterwards; every registered cell method runs bilevel steps through
// the trainer's step hook without growing tensors and returns a valid genotype; GDAS samples one
// op per edge; DropNAS' grouped dropout rates; perturbation-based selection.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ForwardContext, Rng, mse, softmaxCrossEntropy, initBackend } from '@weft/core';
import { leakCheck } from '@weft/core/testing';
import {
  SearchNetwork, createCellSearch, dropGroups, gumbelSampler, perturbationSelect, resolveSpace, runSearch,
  searchMethod, searchMethodNames, secondOrderArchGradient, validateGenotype, gradsOf, cosinePowerAnnealing, type SearchBatch,
} from '../src/index.js';

/** The options among `wanted` that `method` takes (unknown options are refused). */
const optionsOf = (method: string, wanted: Record<string, unknown>) => Object.fromEntries(Object.entries(wanted).filter(([k]) => searchMethod(method).options.includes(k)));
const randn = (rng: Rng, shape: number[]) => tf.tensor(rng.normalArray(shape.reduce((a, b) => a * b, 1)), shape);
const vectorSpace = { space: 'vector' as const, steps: 2, channels: 4, inChannels: 3, numOutputs: 2, ops: ['none', 'skip_connect', 'linear', 'tanh_linear'] };

describe('DARTS second order', () => {
  it('matches the finite-difference derivative of the unrolled validation loss, and restores w', async () => {
    await initBackend({ prefer: ['cpu'], fallback: false });
    try {
      const rng = new Rng(7);
      const net = new SearchNetwork(vectorSpace, rng);
      // Larger α so the softmax is not flat.
      net.alphaNormal.assign(randn(rng, net.alphaNormal.shape));
      const batch: SearchBatch = { train: { x: randn(rng, [16, 3]), y: randn(rng, [16, 2]) }, val: { x: randn(rng, [16, 3]), y: randn(rng, [16, 2]) } };
      const xi = 0.05;
      const w = net.weightParameters();
      const before = await Promise.all(w.map((v) => v.data()));
      const s = { step: 0, ctx: new ForwardContext({ training: true }) };
      const g = tf.tidy(() => tf.keep(secondOrderArchGradient(net, batch, mse, s, xi, 0.01).grads[0]!));
      const after = await Promise.all(w.map((v) => v.data()));
      after.forEach((a, i) => expect(Array.from(a)).toEqual(Array.from(before[i]!)));

      // F(α) = L_val(w − ξ ∇w L_train(w, α), α), differentiated numerically in α.
      const F = () =>
        tf.tidy(() => {
          const saved = w.map((v) => tf.clone(v));
          const gt = gradsOf(() => mse(net.forward(batch.train.x, new ForwardContext()), batch.train.y), w).grads;
          w.forEach((v, i) => v.assign(tf.sub(saved[i]!, tf.mul(gt[i]!, xi))));
          const l = mse(net.forward(batch.val.x, new ForwardContext()), batch.val.y);
          w.forEach((v, i) => v.assign(saved[i]!));
          return l;
        });
      const alpha = await net.alphaNormal.data();
      const gd = await g.data();
      const h = 1e-2;
      let checked = 0;
      for (const k of [2, 3, 6, 7, 10, 11, 14, 15]) {
        const at = async (d: number) => {
          const a = Float32Array.from(alpha);
          a[k]! += d;
          net.alphaNormal.assign(tf.tensor(a, net.alphaNormal.shape));
          return (await F().data())[0]!;
        };
        const fd = ((await at(h)) - (await at(-h))) / (2 * h);
        expect(Math.abs(gd[k]! - fd), `α[${k}]: analytic ${gd[k]} vs finite difference ${fd}`).toBeLessThan(0.03 * Math.abs(fd) + 2e-4);
        checked++;
      }
      net.alphaNormal.assign(tf.tensor(alpha, net.alphaNormal.shape));
      expect(checked).toBe(8);
      // The Hessian term matters: the first-order gradient differs.
      const g1 = tf.tidy(() => gradsOf(() => mse(net.forward(batch.val.x, new ForwardContext()), batch.val.y), [net.alphaNormal]).grads[0]!);
      expect((await tf.max(tf.abs(tf.sub(g1, g))).data())[0]).toBeGreaterThan(1e-4);
    } finally {
      await initBackend({ prefer: ['wasm'], fallback: false });
    }
  });
});

describe('cell search methods', () => {
  const data = (seed: number) => {
    const rng = new Rng(seed);
    const x = randn(rng, [64, 3]);
    const y = tf.tensor1d(Int32Array.from({ length: 64 }, () => rng.int(2)), 'int32');
    return { x, y };
  };

  for (const method of searchMethodNames('cell')) {
    it(`${method}: bilevel steps through the trainer, no tensor growth, a valid genotype`, async () => {
      const { net, searcher } = createCellSearch(method, vectorSpace, softmaxCrossEntropy, optionsOf(method, { candidates: 3 }), 1);
      const train = data(1);
      const val = data(2);
      const run = () => runSearch({ searcher, train, val, steps: 3, batchSize: 16, reportEvery: 3 });
      await run(); // warm up optimiser slots
      const leak = await leakCheck(async () => void (await run()), { iterations: 2 });
      expect(leak.leaked, JSON.stringify(leak)).toBe(0);
      const r = await run();
      validateGenotype(r.result, net.space);
      expect(r.training.history.at(-1)!.loss).toBeGreaterThan(0);
      searcher.dispose();
      net.dispose();
    });
  }

  it('GDAS computes only the sampled op per edge: idx = argmax(α + g), output = that op, α still gets a gradient', async () => {
    const net = new SearchNetwork(vectorSpace, new Rng(3));
    net.alphaNormal.assign(randn(new Rng(4), net.alphaNormal.shape));
    const alpha = (await net.alphaNormal.data()) as Float32Array;
    net.sampler = gumbelSampler(() => 1, () => alpha);
    const [E, n] = net.alphaNormal.shape as [number, number];
    // Reference sample: the same seeded noise, Gumbel-max by hand.
    const u = new ForwardContext({ seed: 5 }).rng.uniformArray(E * n, 1e-10, 1 - 1e-10);
    const expected = Array.from({ length: E }, (_, e) => {
      const score = (o: number) => alpha[e * n + o]! - Math.log(-Math.log(u[e * n + o]!));
      let best = 0;
      for (let o = 1; o < n; o++) if (score(o) > score(best)) best = o;
      return best;
    });
    const choices = net.sampler('normal', net.alphaNormal, new ForwardContext({ seed: 5 }));
    expect(choices.map((c) => c.active)).toEqual(expected.map((i) => [i]));
    for (const [e, c] of choices.entries()) expect(Array.from(await c.weights.data()).map((v) => Math.round(v * 1e6) / 1e6)).toEqual(vectorSpace.ops.map((_, o) => (o === expected[e] ? 1 : 0)));

    // Forward value = the network with each edge's sampled op alone at weight 1.
    const x = randn(new Rng(6), [8, 3]);
    const y = net.forward(x, new ForwardContext({ seed: 5 }));
    expected.forEach((i, e) => net.overrides.set(`normal:${e}`, { active: [i], unit: true }));
    const ref = net.forward(x, new ForwardContext({ seed: 5 }));
    net.overrides.clear();
    expect((await tf.max(tf.abs(tf.sub(y, ref))).data())[0]).toBeLessThan(1e-6);

    // Cost: every stacked matmul multiplies one slot (one op), not all of them.
    const prof = await tf.profile(() => tf.tidy(() => net.forward(x, new ForwardContext({ seed: 5 }))));
    const mm = prof.kernels.filter((k) => k.name === 'BatchMatMul' && k.inputShapes[1]?.length === 3);
    expect(mm.length).toBeGreaterThan(0);
    for (const k of mm) expect(k.inputShapes[1]![0], JSON.stringify(k.inputShapes)).toBe(1);

    // Straight-through: α of every edge whose sampled op is not none gets a gradient.
    const g = tf.tidy(() => gradsOf(() => tf.sum(tf.square(net.forward(x, new ForwardContext({ seed: 5 })))) as tf.Scalar, [net.alphaNormal]).grads[0]!);
    const gd = await g.data();
    expected.forEach((i, e) => {
      const row = Array.from(gd.subarray(e * n, e * n + n));
      if (vectorSpace.ops[i] === 'none') expect(row.every((v) => v === 0)).toBe(true);
      else expect(row.every((v) => v !== 0), `edge ${e}: ${row}`).toBe(true);
    });
    expect(expected.some((i) => vectorSpace.ops[i] !== 'none')).toBe(true);
  });

  it('DropNAS drops each op of a group with p = r^(1/|group|) and keeps at least one per group', () => {
    const rng = new Rng(9);
    const groups = [[1, 2, 3, 4], [0, 5]];
    let kept = 0;
    const trials = 4000;
    for (let t = 0; t < trials; t++) {
      const k = dropGroups(groups, 3e-5, rng);
      expect(k.some((i) => groups[0]!.includes(i))).toBe(true);
      expect(k.some((i) => groups[1]!.includes(i))).toBe(true);
      kept += k.filter((i) => groups[0]!.includes(i)).length;
    }
    // E[kept] = 4(1 − p) + P(all dropped)·1 with p = (3e-5)^(1/4) ≈ 0.074.
    const p = Math.pow(3e-5, 1 / 4);
    const expected = 4 * (1 - p) + Math.pow(p, 4);
    expect(kept / trials).toBeCloseTo(expected, 1);
  });

  it('perturbation-based selection keeps the op whose removal hurts the supernet most', async () => {
    // A vector supernet whose 'tanh_linear' candidates are zeroed: only 'linear' carries signal, so
    // removing it hurts and removing tanh_linear does not — although α (near-uniform) cannot tell them apart.
    const space = resolveSpace({ ...vectorSpace, numOutputs: 4, ops: ['none', 'linear', 'tanh_linear'] });
    const net = new SearchNetwork(space, new Rng(11));
    const x = randn(new Rng(12), [64, 3]);
    const y = tf.zeros([1]);
    // Zero tanh_linear's slot (slot 1 of the stacked candidates) on every edge.
    for (const cell of net.cells.items) {
      for (const edge of cell.edges.items) {
        const st = edge.stacked!;
        st.weight!.assign(tf.mul(st.weight!, tf.tensor([1, 0], [2, 1, 1])));
        st.bias!.assign(tf.mul(st.bias!, tf.tensor([1, 0], [2, 1])));
      }
    }
    // The target is the network with 'linear' alone (weight 1) on every edge.
    for (let e = 0; e < 5; e++) net.overrides.set(`normal:${e}`, { active: [1], unit: true });
    const target = tf.tidy(() => net.forward(x, new ForwardContext()));
    net.overrides.clear();
    const g = await perturbationSelect(net, { x, y: target }, mse, { metric: 'loss' });
    validateGenotype(g, space);
    expect(g.normal.map(([op]) => op)).toEqual(['linear', 'linear', 'linear', 'linear']);
    expect(net.overrides.size).toBe(0);
    tf.dispose([x, y, target]);
  });

  it("sharpDARTS' cosine power annealing follows the published formula and drives the weight optimiser", async () => {
    // η_t = η_min + (η_max − η_min)(p^(½(1+cos(πt/T))+1) − p)/(p² − p); hand values for p = 10, T = 100.
    const c = { totalSteps: 100, maxLr: 0.1, minLr: 0.001, exponent: 10 };
    expect(cosinePowerAnnealing(0, c)).toBeCloseTo(0.1, 12);
    expect(cosinePowerAnnealing(100, c)).toBeCloseTo(0.001, 12);
    // t = T/2: cos = ½ → (10^1.5 − 10)/90 = 0.240253…
    expect(cosinePowerAnnealing(50, c)).toBeCloseTo(0.001 + 0.099 * ((Math.pow(10, 1.5) - 10) / 90), 12);
    expect((Math.pow(10, 1.5) - 10) / 90).toBeCloseTo(0.2402530733520421, 12);
    // t = T/4: cos = (1 + √2/2)/2 = 0.853553… → (10^1.853553 − 10)/90.
    expect(cosinePowerAnnealing(25, c)).toBeCloseTo(0.001 + 0.099 * ((Math.pow(10, 1.8535533905932737) - 10) / 90), 12);
    // Falls faster than cosine annealing early: below it at every interior step.
    for (let t = 1; t < 100; t++) expect(cosinePowerAnnealing(t, c)).toBeLessThan(cosinePowerAnnealing(t, { ...c, exponent: 1 }));
    // p = 1 is plain cosine annealing.
    expect(cosinePowerAnnealing(50, { ...c, exponent: 1 })).toBeCloseTo(0.0505, 12);
    expect(() => cosinePowerAnnealing(0, { ...c, exponent: 0.5 })).toThrow(/exponent=0.5 must be ≥ 1/);
    expect(() => cosinePowerAnnealing(0, { ...c, totalSteps: 0 })).toThrow(/totalSteps=0/);

    const { net, searcher } = createCellSearch('darts', vectorSpace, softmaxCrossEntropy, { weightSchedule: { totalSteps: 4, minLr: 0.001 } }, 1);
    const rates: number[] = [];
    const train = data(1);
    await runSearch({ searcher, train, val: data(2), steps: 5, batchSize: 16, reportEvery: 1, onProgress: () => void rates.push(((searcher as unknown as { opts: { weightOpt: { learningRate: number } } }).opts.weightOpt.learningRate)) });
    expect(rates).toHaveLength(5);
    rates.forEach((r, t) => expect(r, `step ${t}`).toBeCloseTo(cosinePowerAnnealing(t, { totalSteps: 4, maxLr: 0.01, minLr: 0.001 }), 10));
    searcher.dispose();
    net.dispose();
  });

  it('a GDAS step in which every edge samples none runs (α gets a zero gradient; it threw "Cannot find a connection" before)', async () => {
    const { net, searcher } = createCellSearch('gdas', { ...vectorSpace, ops: ['none', 'linear'] }, mse, {}, 3);
    net.alphaNormal.assign(tf.tensor2d(Array.from({ length: 5 }, () => [60, 0]))); // none wins every Gumbel draw
    await searcher.ready?.();
    const rng = new Rng(3);
    const b = { x: randn(rng, [8, 3]), y: randn(rng, [8, 2]) };
    const before = await net.alphaNormal.data();
    expect(() => tf.tidy(() => searcher.step({ train: b, val: b }, { step: 0, ctx: new ForwardContext({ training: true, seed: 1 }) }))).not.toThrow();
    expect(Array.from(await net.alphaNormal.data())).toEqual(Array.from(before));
    tf.dispose([b.x, b.y]);
    searcher.dispose();
    net.dispose();
  });
});

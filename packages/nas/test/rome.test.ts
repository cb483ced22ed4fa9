// ROME (arXiv 2011.11233): Gumbel-Top2 edge choices against the Plackett–Luce probabilities of
// drawing 2 of a node's edges without replacement from softmax(β) (Gumbel-top-k, Kool et al. 2019;
// 40 000 draws, |Δ| ≤ 0.012), the op choice against softmax(α) over the ops that are not `none`;
// gradient accumulation against K single-subnet steps averaged by hand (|Δ| ≤ 1e-5); the genotype
// and the forward of a sampled subnet; and — with WEFT_LONG_EXPERIMENTS=1 — the toy experiment on
// ROME's claim: the skip-connection share of the derived cell after ROME vs GDAS, seeds 0–2 (at
// toy scale GDAS does not collapse, so there is nothing to cure: see the experiment).
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ForwardContext, Rng, mse } from '@weft/core';
import {
  RomeSearch, SearchNetwork, collapseShare, createCellSearch, opRecovery, plantedCellTask, resolveSpace, romeChoices, runSearch, top2, trackCollapse,
  validateGenotype, type SearchBatch,
} from '../src/index.js';
import { LONG_EXPERIMENTS } from './long-experiments.js';

const randn = (rng: Rng, shape: number[]) => tf.tensor(rng.normalArray(shape.reduce((a, b) => a * b, 1)), shape);
const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
const sd = (a: number[]) => Math.sqrt(a.reduce((s, v) => s + (v - mean(a)) ** 2, 0) / Math.max(1, a.length - 1));
const gumbel = (rng: Rng, n: number) => Float32Array.from(rng.uniformArray(n, 1e-10, 1 - 1e-10), (u) => -Math.log(-Math.log(u)));
const softmax = (v: number[]) => {
  const e = v.map((x) => Math.exp(x - Math.max(...v)));
  return e.map((x) => x / e.reduce((a, b) => a + b, 0));
};
const VSPACE = { space: 'vector' as const, steps: 2, channels: 4, inChannels: 3, numOutputs: 2, ops: ['none', 'skip_connect', 'linear', 'tanh_linear'] };

describe('ROME: sampling', () => {
  it('Gumbel-Top2 keeps each pair of a node\'s edges with its Plackett–Luce probability, and each edge\'s op with softmax(α) over the non-none ops', () => {
    const ops = ['none', 'a', 'b'];
    // Two nodes: node 0 has edges 0, 1 (always both kept); node 1 has edges 2, 3, 4.
    const beta = [0.3, -0.2, 0.9, 0.1, -0.6];
    const alpha = [5, 0.2, -0.4, 5, 0, 0, 5, 1, 0, 5, -1, 0, 5, 0.5, 0.5]; // none's large α is ignored
    const rng = new Rng(9);
    const N = 40_000;
    const pairs = new Map<string, number>();
    const opB = [0, 0, 0, 0, 0];
    let node0Dropped = 0;
    let noneSampled = 0;
    for (let t = 0; t < N; t++) {
      const { edges, op } = romeChoices(alpha, beta, gumbel(rng, 15), gumbel(rng, 5), ops, 2);
      if (!(edges[0] && edges[1])) node0Dropped++;
      const key = [2, 3, 4].filter((e) => edges[e]).join(',');
      pairs.set(key, (pairs.get(key) ?? 0) + 1);
      op.forEach((o, e) => {
        if (o === 0) noneSampled++;
        if (o === 2) opB[e]!++;
      });
    }
    expect([node0Dropped, noneSampled]).toEqual([0, 0]);
    const p = softmax(beta.slice(2));
    const pl = (i: number, j: number) => (p[i]! * p[j]!) / (1 - p[i]!) + (p[j]! * p[i]!) / (1 - p[j]!);
    expect(Math.abs(pairs.get('2,3')! / N - pl(0, 1))).toBeLessThanOrEqual(0.012);
    expect(Math.abs(pairs.get('2,4')! / N - pl(0, 2))).toBeLessThanOrEqual(0.012);
    expect(Math.abs(pairs.get('3,4')! / N - pl(1, 2))).toBeLessThanOrEqual(0.012);
    for (let e = 0; e < 5; e++) expect(Math.abs(opB[e]! / N - softmax(alpha.slice(e * 3 + 1, e * 3 + 3))[1]!)).toBeLessThanOrEqual(0.012);
    expect(top2([1, 3, 3, 0])).toEqual([1, 2]);
    expect(top2([2])).toEqual([0]);
  });

  it('a step runs only the sampled ops: 2 edges per node, one op each, none never (checked through the mixed ops\' inputs)', async () => {
    const net = new SearchNetwork(VSPACE, new Rng(2));
    const s = new RomeSearch(net, mse, { samples: 1 });
    await s.ready();
    const runs: number[][] = [];
    net.cells.at(0).edges.items.forEach((edge, e) => {
      const f = edge.forward.bind(edge);
      edge.forward = (x, ctx, w, active) => {
        runs[e] = [...(active ?? [])];
        return f(x, ctx, w, active);
      };
    });
    const rng = new Rng(3);
    const b = { x: randn(rng, [8, 3]), y: randn(rng, [8, 2]) };
    tf.tidy(() => s.step({ train: b, val: b }, { step: 0, ctx: new ForwardContext({ training: true, seed: 5 }) }));
    // Node 0: edges 0, 1; node 1: edges 2, 3, 4 — two kept each.
    expect(runs.slice(0, 2).every((r) => r.length === 1)).toBe(true);
    expect(runs.slice(2).filter((r) => r.length === 1)).toHaveLength(2);
    expect(runs.flat().includes(0)).toBe(false);
    const g = await s.result();
    expect(() => validateGenotype(g, net.space)).not.toThrow();
    tf.dispose([b.x, b.y]);
    s.dispose();
    net.dispose();
  });
});

describe('ROME: gradient accumulation', () => {
  it('one step over K = 3 subnets moves w by the mean of 3 one-subnet steps from the same start (SGD, |Δ| ≤ 1e-5)', async () => {
    const rng = new Rng(4);
    const b = { x: randn(rng, [16, 3]), y: randn(rng, [16, 2]) };
    const batch: SearchBatch = { train: b, val: b };
    const cfg = { weightOptimizer: { name: 'sgd' as const, learningRate: 1 }, warmupSteps: 10 };
    const S = 7;
    const start = async (samples: number) => {
      const net = new SearchNetwork(VSPACE, new Rng(11));
      const s = new RomeSearch(net, mse, { ...cfg, samples });
      await s.ready();
      return { net, s, w0: await Promise.all(net.weightParameters().map((v) => v.data())) };
    };
    const delta = async (r: Awaited<ReturnType<typeof start>>) => (await Promise.all(r.net.weightParameters().map((v) => v.data()))).map((d, i) => Array.from(d, (v, k) => v - r.w0[i]![k]!));
    const K3 = await start(3);
    tf.tidy(() => K3.s.step(batch, { step: 0, ctx: new ForwardContext({ training: true, seed: S }) }));
    const dK = await delta(K3);
    // Subnet k of the K = 3 step draws its noise from seed S·3 + k; a K = 1 step with seed S·3 + k draws the same.
    const singles: number[][][] = [];
    for (let k = 0; k < 3; k++) {
      const one = await start(1);
      tf.tidy(() => one.s.step(batch, { step: 0, ctx: new ForwardContext({ training: true, seed: S * 3 + k }) }));
      singles.push(await delta(one));
      one.s.dispose();
      one.net.dispose();
    }
    let worst = 0;
    dK.forEach((d, i) => d.forEach((v, k) => (worst = Math.max(worst, Math.abs(v - mean(singles.map((s) => s[i]![k]!)))))));
    expect(worst).toBeLessThanOrEqual(1e-5);
    // The three subnets differ (else the check above would be one subnet's step thrice).
    expect(singles[0]!.flat().some((v, k) => Math.abs(v - singles[1]!.flat()[k]!) > 1e-4 || Math.abs(v - singles[2]!.flat()[k]!) > 1e-4)).toBe(true);
    K3.s.dispose();
    K3.net.dispose();
    tf.dispose([b.x, b.y]);
  });

  it('a search keeps tensors flat and leaves nothing after dispose; options are checked', async () => {
    const rng = new Rng(1);
    const data = { x: randn(rng, [64, 3]), y: randn(rng, [64, 2]) };
    const start = tf.memory().numTensors;
    const { net, searcher } = createCellSearch('rome', VSPACE, mse, { samples: 2 }, 1);
    await runSearch({ searcher, train: data, val: data, steps: 2, batchSize: 16, reportEvery: 2 }); // the optimisers make their state
    const before = tf.memory().numTensors;
    await runSearch({ searcher, train: data, val: data, steps: 6, batchSize: 16, reportEvery: 3 });
    expect(tf.memory().numTensors).toBe(before);
    await searcher.result();
    searcher.dispose();
    net.dispose();
    expect(tf.memory().numTensors).toBe(start);
    tf.dispose([data.x, data.y]);
    expect(() => createCellSearch('rome', VSPACE, mse, { samples: 0 })).toThrow(/samples=0/);
    expect(() => createCellSearch('rome', VSPACE, mse, { tauMin: 0 })).toThrow(/tauMin=0/);
    expect(() => createCellSearch('rome', { ...VSPACE, ops: ['none'] }, mse)).toThrow(/no op besides "none"/);
  });
});

describe('ROME: experiment', () => {
  // The collapse test's planted vector cell with parametric candidates besides skip (its bare
  // activations are parameter-free too) and without none (GDAS' α step finds no gradient when every
  // edge samples none; ROME never samples it). Measured (400 steps, seeds 0–2): neither collapses —
  // GDAS' and ROME's skip share 0.00 at every report; in the collapse test's own space GDAS derived
  // no skip either (parameter-free share 1.00: its bare activations); on the DARTS conv cell on 8×8
  // shapes GDAS' skip share went 0.13 → 0.00 over 300 steps (seed 0; ROME's 4 subnets a step were
  // past this machine's budget there). At toy scale there is no single-path collapse for ROME to
  // cure, so the check is that ROME derives no more skip connections than GDAS. Teacher ops
  // recovered: GDAS 0.08 ± 0.14, ROME 0.00 ± 0.00 (chance 0.2; the linear variants are hard to tell
  // apart); on the experiments test's one-node relu/tanh/sin/cos cell both recover 0.5 (seeds 1, 2).
  const SPACE = resolveSpace({ space: 'vector', steps: 2, channels: 8, inChannels: 4, numOutputs: 4, ops: ['skip_connect', 'linear', 'relu_linear', 'tanh_linear', 'sigmoid_linear'] });
  it.runIf(LONG_EXPERIMENTS)('skip-connection share of the derived normal cell after 400 steps, GDAS vs ROME, seeds 0–2 (the collapse measure)', async () => {
    const before = tf.memory().numTensors;
    const res: Record<string, { skip: number[]; pf: number[]; rec: number[] }> = {};
    for (const method of ['gdas', 'rome']) {
      const r = (res[method] = { skip: [] as number[], pf: [] as number[], rec: [] as number[] });
      for (const seed of [0, 1, 2]) {
        const task = plantedCellTask(SPACE, seed, { n: 2048 });
        const train = { x: tf.slice(task.x, 0, 1024), y: tf.slice(task.y, 0, 1024) };
        const val = { x: tf.slice(task.x, 1024, 1024), y: tf.slice(task.y, 1024, 1024) };
        const { net, searcher } = createCellSearch(method, SPACE, mse, {}, seed + 10);
        const rows = { edgeWeights: () => (searcher.edgeWeights ? searcher.edgeWeights() : net.edgeWeights()), space: net.space };
        const track = trackCollapse(rows);
        await runSearch({ searcher, train, val, steps: 400, batchSize: 64, seed, reportEvery: 100, onProgress: track.onProgress });
        const w = await rows.edgeWeights();
        const end = collapseShare(w, net.space);
        r.skip.push(end.skip);
        r.pf.push(end.parameterFree);
        r.rec.push(opRecovery(task.teacher, w, net.space));
        console.log(`[rome] ${method} seed ${seed}: skip share at steps 100…400 ${track.points.map((p) => p.skip.toFixed(2)).join(' ')}`);
        searcher.dispose();
        net.dispose();
        tf.dispose([task.x, task.y, train.x, train.y, val.x, val.y]);
      }
      console.log(`[rome] ${method}: final skip share ${mean(r.skip).toFixed(2)} ± ${sd(r.skip).toFixed(2)}, teacher ops recovered ${mean(r.rec).toFixed(2)} ± ${sd(r.rec).toFixed(2)}`);
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(mean(res.rome!.skip)).toBeLessThanOrEqual(mean(res.gdas!.skip));
  }, 1_800_000);
});

// NAS evaluation is frustratingly hard (arXiv 1912.12522): relative improvement over the randomly
// sampled average architecture, RI = 100·(acc − mean)/mean, for the cell (DARTS-family) methods on
// nas.html's two cell spaces: the planted vector cell (RI on the validation MSE) and DARTS' conv
// cell over 8×8 shapes (RI on accuracy). Reference: RI and its loss form against hand values.
// Experiments (long): for seeds 0–2, six random genotypes and each cell method's found genotype
// retrained with one recipe (Adam 0.01, 150 steps, as the page), RI per method.
// Measured on the vector cell (random mean val MSE 0.051 ± 0.022; RI mean ± sd over seeds 0–2, in %):
// darts 48.0 ± 12.7, darts-2nd 48.0 ± 12.7 (the same genotypes as darts), d-darts 48.0 ± 12.7 (one
// cell: per-cell α is DARTS' α), dropnas 51.2 ± 5.3, spos 35.5 ± 27.3, pc-darts 32.2 ± 19.1,
// gdas −17.9 ± 24.8, rome −17.1 ± 35.2, sharpdarts −32.5 ± 31.4. The paper's finding that many methods
// hardly beat the average architecture holds for the single-path samplers (GDAS, ROME) and sharpDARTS
// here, which land below it; the seed moves every figure by tens of points. On the conv cell the
// random genotypes already reach 98.6 ± 0.2 % after 150 steps: RI darts +1.0 ± 0.2 %, gdas
// +0.7 ± 0.5 %, pc-darts +0.2 ± 0.6 % — a ceiling, not a finding (other methods not run: time). The entangled methods on the conv8 ranking benchmark (supernet-training.test.ts,
// random mean 0.810): spos-entangled +16.8 ± 6.5 %, tanglenas +11.5 ± 13.3 %.
// The entangled methods' RI on both ranking benchmarks is in supernet-training.test.ts.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ForwardContext, Rng, accuracy, makeOptimizer, mse, shapes, softmaxCrossEntropy, toTensors, train } from '@weft/core';
import {
  DiscreteNetwork, createCellSearch, plantedCellTask, randomGenotype, relativeImprovement, relativeLossImprovement, resolveSpace, runSearch, searchMethodNames, toDartsString,
  type Genotype,
} from '../src/index.js';
import { LONG_EXPERIMENTS } from './long-experiments.js';

const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
const sd = (a: number[]) => Math.sqrt(a.reduce((s, v) => s + (v - mean(a)) ** 2, 0) / Math.max(1, a.length - 1));
const pm = (a: number[], d = 3) => `${mean(a).toFixed(d)} ± ${sd(a).toFixed(d)}`;

/** nas.html's conv space: DARTS cells with 2 nodes, normal–reduce–reduce, the 8 DARTS primitives, 4 channels. */
const CONV_SPACE = { space: 'conv' as const, steps: 2, multiplier: 2, channels: 4, layers: 3, inChannels: 1, numOutputs: 6 };
/** nas.html's vector cell space: 2 nodes over vector ops, a planted teacher makes the data. */
const CELL_SPACE = { space: 'vector' as const, steps: 2, channels: 8, inChannels: 4, numOutputs: 4, ops: ['none', 'skip_connect', 'linear', 'relu', 'tanh', 'sigmoid'] };

describe('relative improvement (NAS evaluation is frustratingly hard)', () => {
  it('RI on accuracy and on a loss, by hand', () => {
    // Random mean 0.75: 0.9 is 20 % better; a loss of 0.3 against a mean 0.4 is 25 % better.
    expect(relativeImprovement(0.9, [0.7, 0.8])).toBeCloseTo(20, 12);
    expect(relativeLossImprovement(0.3, [0.5, 0.3])).toBeCloseTo(25, 12);
    expect(relativeLossImprovement(0.5, [0.4])).toBeCloseTo(-25, 12);
    expect(() => relativeLossImprovement(0.1, [])).toThrow(/randomLosses=\[\] needs at least one/);
    expect(() => relativeLossImprovement(Infinity, [0.1])).toThrow(/loss=Infinity must be a finite number/);
  });

  /**
   * For seeds 0–2: six random genotypes and each cell method's found genotype (search: `steps` of
   * batches of `batch`) retrained with one recipe (Adam 0.01, 150 steps, as nas.html); RI per method.
   * WEFT_NAS_RI_METHODS=a,b picks methods.
   */
  async function cellRi(kind: 'conv' | 'vector', steps: number, batch: number) {
    const only = process.env.WEFT_NAS_RI_METHODS?.split(',');
    const methods = searchMethodNames('cell').filter((m) => !only || only.includes(m));
    const spaceConfig = kind === 'conv' ? CONV_SPACE : CELL_SPACE;
    const loss = kind === 'conv' ? softmaxCrossEntropy : mse;
    const before = tf.memory().numTensors;
    const space = resolveSpace(spaceConfig);
    const ris: Record<string, number[]> = {};
    const randomMeans: number[] = [];
    const tag = `[nas RI ${kind} cell]`;
    for (const seed of [0, 1, 2]) {
      const t = kind === 'conv' ? toTensors(shapes({ n: 1024 }, seed)) : plantedCellTask(CELL_SPACE, seed, { n: 1024 });
      const cut = (from: number) => ({ x: tf.slice(t.x, from, 512), y: tf.slice(t.y, from, 512) }); // (1024, …) -> (512, …)
      const data = { train: cut(0), val: cut(512) };
      // The score RI compares: held-out accuracy on shapes, validation MSE on the planted task.
      const fit = async (g: Genotype) => {
        const net = new DiscreteNetwork(g, space, new Rng(seed + 3));
        const opt = makeOptimizer({ name: 'adam', learningRate: 0.01 });
        const rng = new Rng(seed + 5);
        await train({
          model: net, optimizer: opt, steps: 150, reportEvery: 150, loss: (o, b) => loss(o, b.y),
          batch: () => {
            const i = tf.tensor1d(Int32Array.from({ length: batch }, () => rng.int(512)), 'int32');
            return { x: tf.gather(data.train.x, i), y: tf.gather(data.train.y, i) };
          },
        });
        const a = tf.tidy(() => {
          const out = net.forward(data.val.x, new ForwardContext({ training: false }));
          return kind === 'conv' ? accuracy(out, data.val.y) : mse(out, data.val.y);
        });
        const v = (await a.data())[0]!;
        tf.dispose([a]);
        opt.dispose();
        net.dispose();
        return v;
      };
      const ri = (v: number, random: number[]) => (kind === 'conv' ? relativeImprovement(v, random) : relativeLossImprovement(v, random));
      const grng = new Rng(seed + 7);
      const random: number[] = [];
      for (let k = 0; k < 6; k++) random.push(await fit(randomGenotype(space, grng)));
      randomMeans.push(mean(random));
      console.log(`${tag} seed ${seed}: random genotypes ${random.map((a) => a.toFixed(3)).join(', ')} (mean ${mean(random).toFixed(3)})`);
      for (const method of methods) {
        const t0 = performance.now();
        const { net, searcher } = createCellSearch(method, spaceConfig, loss, {}, seed + 1);
        const r = await runSearch({ searcher, train: data.train, val: data.val, steps, batchSize: batch, seed, reportEvery: steps });
        searcher.dispose();
        net.dispose();
        const v = await fit(r.result);
        (ris[method] ??= []).push(ri(v, random));
        console.log(`${tag} seed ${seed} ${method}: ${kind === 'conv' ? 'accuracy' : 'val MSE'} ${v.toFixed(4)}, RI ${ris[method]!.at(-1)!.toFixed(1)} %; ${toDartsString(r.result)}; ${((performance.now() - t0) / 1000).toFixed(0)} s`);
      }
      tf.dispose([t.x, t.y, data.train.x, data.train.y, data.val.x, data.val.y]);
    }
    console.log(`${tag} random mean ${kind === 'conv' ? 'accuracy' : 'val MSE'} ${pm(randomMeans, 4)}`);
    for (const [m, v] of Object.entries(ris)) {
      console.log(`${tag} ${m}: RI ${pm(v, 1)} % (${v.map((x) => x.toFixed(1)).join(', ')})`);
      expect(v.every(Number.isFinite)).toBe(true);
    }
    expect(tf.memory().numTensors).toBe(before);
  }

  it.runIf(LONG_EXPERIMENTS)('experiment: RI (on validation MSE) of every cell method on the planted vector cell, seeds 0–2', () => cellRi('vector', 300, 64), 3_600_000);

  it.runIf(LONG_EXPERIMENTS)('experiment: RI (on accuracy) of every cell method on the conv cell over 8×8 shapes, seeds 0–2', () => cellRi('conv', 150, 32), 7_200_000);
});

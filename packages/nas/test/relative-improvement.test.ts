// NAS evaluation is frustratingly hard (arXiv 1912.12522): relative improvement over the randomly
// sampled average architecture, RI = 100·(acc − mean)/mean, for the cell (DARTS-family) methods on
// DARTS' conv cell over 8×8 shapes (the page's conv space and recipe). Reference: RI and its loss
// form against hand values. Experiment (long): for seeds 0–2, six random genotypes and each cell
// method's found genotype retrained with one recipe (Adam 0.01, 150 steps of 32), RI per method.
// The entangled methods' RI on both ranking benchmarks is in supernet-training.test.ts.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ForwardContext, Rng, accuracy, makeOptimizer, shapes, softmaxCrossEntropy, toTensors, train } from '@weft/core';
import {
  DiscreteNetwork, createCellSearch, randomGenotype, relativeImprovement, relativeLossImprovement, resolveSpace, runSearch, searchMethodNames, toDartsString,
  type Genotype,
} from '../src/index.js';
import { LONG_EXPERIMENTS } from './long-experiments.js';

const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
const sd = (a: number[]) => Math.sqrt(a.reduce((s, v) => s + (v - mean(a)) ** 2, 0) / Math.max(1, a.length - 1));
const pm = (a: number[], d = 3) => `${mean(a).toFixed(d)} ± ${sd(a).toFixed(d)}`;

/** nas.html's conv space: DARTS cells with 2 nodes, normal–reduce–reduce, the 8 DARTS primitives, 4 channels. */
const CONV_SPACE = { space: 'conv' as const, steps: 2, multiplier: 2, channels: 4, layers: 3, inChannels: 1, numOutputs: 6 };

describe('relative improvement (NAS evaluation is frustratingly hard)', () => {
  it('RI on accuracy and on a loss, by hand', () => {
    // Random mean 0.75: 0.9 is 20 % better; a loss of 0.3 against a mean 0.4 is 25 % better.
    expect(relativeImprovement(0.9, [0.7, 0.8])).toBeCloseTo(20, 12);
    expect(relativeLossImprovement(0.3, [0.5, 0.3])).toBeCloseTo(25, 12);
    expect(relativeLossImprovement(0.5, [0.4])).toBeCloseTo(-25, 12);
    expect(() => relativeLossImprovement(0.1, [])).toThrow(/randomLosses=\[\] needs at least one/);
    expect(() => relativeLossImprovement(Infinity, [0.1])).toThrow(/loss=Infinity must be a finite number/);
  });

  it.runIf(LONG_EXPERIMENTS)('experiment: RI of every cell method on the conv cell space over 6 random genotypes, seeds 0–2', async () => {
    // WEFT_NAS_RI_METHODS=a,b picks methods.
    const only = process.env.WEFT_NAS_RI_METHODS?.split(',');
    const methods = searchMethodNames('cell').filter((m) => !only || only.includes(m));
    const before = tf.memory().numTensors;
    const space = resolveSpace(CONV_SPACE);
    const ris: Record<string, number[]> = {};
    const randomMeans: number[] = [];
    for (const seed of [0, 1, 2]) {
      const t = toTensors(shapes({ n: 1024 }, seed));
      const cut = (from: number) => ({ x: tf.slice(t.x, from, 512), y: tf.slice(t.y, from, 512) }); // (1024, …) -> (512, …)
      const data = { train: cut(0), val: cut(512) };
      const fit = async (g: Genotype) => {
        const net = new DiscreteNetwork(g, space, new Rng(seed + 3));
        const opt = makeOptimizer({ name: 'adam', learningRate: 0.01 });
        const rng = new Rng(seed + 5);
        await train({
          model: net, optimizer: opt, steps: 150, reportEvery: 150, loss: (o, b) => softmaxCrossEntropy(o, b.y),
          batch: () => {
            const i = tf.tensor1d(Int32Array.from({ length: 32 }, () => rng.int(512)), 'int32');
            return { x: tf.gather(data.train.x, i), y: tf.gather(data.train.y, i) };
          },
        });
        const a = tf.tidy(() => accuracy(net.forward(data.val.x, new ForwardContext({ training: false })), data.val.y));
        const v = (await a.data())[0]!;
        tf.dispose([a]);
        opt.dispose();
        net.dispose();
        return v;
      };
      const grng = new Rng(seed + 7);
      const random: number[] = [];
      for (let k = 0; k < 6; k++) random.push(await fit(randomGenotype(space, grng)));
      randomMeans.push(mean(random));
      console.log(`[nas RI conv seed ${seed}] random genotypes: ${random.map((a) => a.toFixed(3)).join(', ')} (mean ${mean(random).toFixed(3)})`);
      for (const method of methods) {
        const t0 = performance.now();
        const { net, searcher } = createCellSearch(method, CONV_SPACE, softmaxCrossEntropy, {}, seed + 1);
        const r = await runSearch({ searcher, train: data.train, val: data.val, steps: 150, batchSize: 32, seed, reportEvery: 150 });
        searcher.dispose();
        net.dispose();
        const acc = await fit(r.result);
        (ris[method] ??= []).push(relativeImprovement(acc, random));
        console.log(`[nas RI conv seed ${seed}] ${method}: accuracy ${acc.toFixed(3)}, RI ${ris[method]!.at(-1)!.toFixed(1)} %; ${toDartsString(r.result)}; ${((performance.now() - t0) / 1000).toFixed(0)} s`);
      }
      tf.dispose([t.x, t.y, data.train.x, data.train.y, data.val.x, data.val.y]);
    }
    console.log(`[nas RI conv] random mean accuracy ${pm(randomMeans)}`);
    for (const [m, v] of Object.entries(ris)) {
      console.log(`[nas RI conv] ${m}: RI ${pm(v, 1)} % (${v.map((x) => x.toFixed(1)).join(', ')})`);
      expect(v.every(Number.isFinite)).toBe(true);
    }
    expect(tf.memory().numTensors).toBe(before);
  }, 3_600_000);
});

// AdapterHub composition blocks and ScaLearn against dense references on one layer: Stack = the
// sources applied in order, Average and ScaLearn = y + Σ wᵢ (sᵢ(y) − y), Split by sequence position,
// Fuse = the AdapterFusion attention written out with plain loops, nesting, Parallel = each adapter on
// its own copy; only the composition's own parameters train. Claim (ScaLearn): learned scalars over
// frozen source adapters match AdapterFusion on a target task with far fewer parameters (3 seeds,
// WEFT_LONG_EXPERIMENTS=1: ~20 s). Measured after this stop's wasm kernel changes (SIMD matmul and
// softmax cross-entropy shifted the rounding): ScaLearn 0.862 ± 0.059 with 6 trained parameters vs
// AdapterFusion 0.893 ± 0.015 with 6144, base 0.409 — 3.1 points below Fusion on the mean (earlier
// rounding: 0.860 vs 0.877, 1.7 below), inside ScaLearn's own seed spread: "matches with far fewer
// parameters" holds for the parameters and only loosely for accuracy. Asserted: far fewer parameters,
// and ScaLearn learns the target far above the base; the accuracy gap is printed.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  ForwardContext, MLPClassifier, Rng, accuracy, makeOptimizer, parameterLedger, rotatedSpirals, softmaxCrossEntropy, split, splitByTask, toTensors, train,
} from '@weft/core';
import { AdaptedLayer, CompositionLayer, addComposition, forwardParallel, injectAdapter, setActiveAdapters } from '../src/index.js';
import { Tiny, maxDiff } from './adapters-helpers.js';

const ctx = () => new ForwardContext({ training: false });

function model(): Tiny {
  const m = new Tiny(new Rng(1));
  for (const [i, n] of ['a', 'b', 'c'].entries()) injectAdapter(m, n, { method: 'lora', targets: ['fc1', 'fc2'], r: 2, initWeights: false }, { rng: new Rng(i + 2) });
  return m;
}
const layer = (m: Tiny) => m.fc1 as unknown as AdaptedLayer;
/** fc1's output with `names` active. */
function fc1(m: Tiny, x: tf.Tensor, names: string[]): tf.Tensor {
  setActiveAdapters(m, names);
  return layer(m).forward(x, ctx());
}

describe('AdapterHub composition and ScaLearn', () => {
  const x = tf.tensor2d(new Rng(9).normalArray(6 * 8), [6, 8]);

  it('Stack, Average, Split and ScaLearn equal their dense definitions on a layer', async () => {
    const m = model();
    const [y0, ya, yb, yc] = [[], ['a'], ['b'], ['c']].map((n) => fc1(m, x, n));
    addComposition(m, 'st', { kind: 'stack', sources: ['a', 'b'] });
    expect(await maxDiff(fc1(m, x, ['st']), fc1(m, x, ['a', 'b']))).toBeLessThan(1e-6);
    addComposition(m, 'avg', { kind: 'average', sources: ['a', 'b', 'c'], weights: [0.5, -1, 2] });
    const want = tf.add(y0!, tf.addN([tf.mul(tf.sub(ya!, y0!), 0.5), tf.mul(tf.sub(yb!, y0!), -1), tf.mul(tf.sub(yc!, y0!), 2)]));
    expect(await maxDiff(fc1(m, x, ['avg']), want)).toBeLessThan(1e-5);
    addComposition(m, 'sp', { kind: 'split', sources: ['a', 'b'], splitAt: 2, seqLen: 3 });
    const got = (await fc1(m, x, ['sp']).array()) as number[][];
    const [ra, rb] = [(await ya!.array()) as number[][], (await yb!.array()) as number[][]];
    got.forEach((row, i) => expect(row).toEqual(i % 3 < 2 ? ra[i] : rb[i]));
    addComposition(m, 'sl', { kind: 'scalearn', sources: ['a', 'b', 'c'] });
    const sl = layer(m).adapter('sl') as CompositionLayer;
    expect(await maxDiff(fc1(m, x, ['sl']), tf.add(y0!, tf.div(tf.addN([tf.sub(ya!, y0!), tf.sub(yb!, y0!), tf.sub(yc!, y0!)]), 3)))).toBeLessThan(1e-5);
    sl.scales!.assign(tf.tensor1d([0.5, -1, 2]));
    expect(await maxDiff(fc1(m, x, ['sl']), want)).toBeLessThan(1e-5);
    expect(await maxDiff(sl.deltaWeight(), tf.addN([tf.mul(layer(m).adapter('a').deltaWeight(), 0.5), tf.neg(layer(m).adapter('b').deltaWeight()), tf.mul(layer(m).adapter('c').deltaWeight(), 2)]))).toBeLessThan(1e-5);
    m.dispose();
  });

  it('Fuse is AdapterFusion: softmax over sources of (yQ)·(oᵢK), Σ αᵢ oᵢV (plain loops); with Q = 0 it is the plain average; nests over a Stack', async () => {
    const m = model();
    addComposition(m, 'st', { kind: 'stack', sources: ['a', 'b'] });
    addComposition(m, 'fu', { kind: 'fuse', sources: ['st', 'c'], seed: 3 });
    const f = layer(m).adapter('fu') as CompositionLayer;
    f.value!.assign(tf.tensor2d(new Rng(4).normalArray(256, 0, 0.3), [16, 16]));
    const [y, o1, o2] = await Promise.all([fc1(m, x, []), fc1(m, x, ['a', 'b']), fc1(m, x, ['c'])].map((t) => t.array() as Promise<number[][]>));
    const [Q, K, V] = await Promise.all([f.query!, f.key!, f.value!].map((t) => t.array() as Promise<number[][]>));
    const mv = (v: number[], M: number[][]) => M[0]!.map((_, j) => v.reduce((s, vi, i) => s + vi * M[i]![j]!, 0));
    const want = y!.map((row, n) => {
      const q = mv(row, Q!);
      const outs = [o1![n]!, o2![n]!];
      const s = outs.map((o) => mv(o, K!).reduce((acc, k, j) => acc + k * q[j]!, 0));
      const e = s.map((v) => Math.exp(v - Math.max(...s)));
      const alpha = e.map((v) => v / e.reduce((p, q2) => p + q2, 0));
      const vals = outs.map((o) => mv(o, V!));
      return vals[0]!.map((_, j) => alpha.reduce((acc, a, i) => acc + a * vals[i]![j]!, 0));
    });
    expect(await maxDiff(fc1(m, x, ['fu']), want)).toBeLessThan(1e-4);
    f.query!.assign(tf.zeros([16, 16]));
    f.value!.assign(tf.eye(16));
    expect(await maxDiff(fc1(m, x, ['fu']), tf.div(tf.add(tf.tensor(o1!), tf.tensor(o2!)), 2))).toBeLessThan(1e-5);
    expect(() => addComposition(m, 'bad', { kind: 'split', sources: ['a', 'b', 'c'], splitAt: 1, seqLen: 2 })).toThrow(/split takes 2 sources/);
    expect(() => addComposition(m, 'bad', { kind: 'fusion' as never, sources: ['a'] })).toThrow(/kind="fusion" must be one of/);
    m.dispose();
  });

  it('Parallel runs each adapter on its own copy of the batch; only the composition\'s parameters train (ScaLearn: 1 per source and layer, Fuse: 3·out²)', async () => {
    const m = model();
    const par = forwardParallel(m, x, ['a', 'c'], ctx());
    for (const [i, n] of ['a', 'c'].entries()) {
      setActiveAdapters(m, [n]);
      expect(await maxDiff(tf.slice(par, [6 * i, 0], [6, 4]), m.forward(x, ctx()))).toBeLessThan(1e-5);
    }
    addComposition(m, 'sl', { kind: 'scalearn', sources: ['a', 'b', 'c'] });
    addComposition(m, 'fu', { kind: 'fuse', sources: ['a', 'b', 'c'] });
    setActiveAdapters(m, ['sl']);
    expect(m.trainableParameters().reduce((s, v) => s + v.size, 0)).toBe(3 * 2);
    setActiveAdapters(m, ['fu']);
    expect(m.trainableParameters().reduce((s, v) => s + v.size, 0)).toBe(3 * (16 * 16 + 4 * 4));
    // Training a composition keeps the tensor count flat (after the optimizer's first step creates its state).
    for (const name of ['fu', 'sl']) {
      setActiveAdapters(m, [name]);
      const opt = makeOptimizer({ name: 'adam', learningRate: 0.01 });
      const step = () => opt.minimize(() => tf.mean(tf.square(m.call(x, ctx()))) as tf.Scalar, false, m.trainableParameters());
      step();
      const before = tf.memory().numTensors;
      for (let k = 0; k < 5; k++) step();
      expect(tf.memory().numTensors, name).toBe(before);
    }
    m.dispose();
  });

  it.runIf(process.env.WEFT_LONG_EXPERIMENTS === '1')('claim (ScaLearn): over 3 frozen source LoRAs, learned scalars learn the target with far fewer parameters than AdapterFusion; the accuracy gap is printed', async () => {
    const res: Record<string, number[]> = { 'base': [], 'AdapterFusion': [], 'ScaLearn': [] };
    const params: Record<string, number> = {};
    for (const seed of [1, 2, 3]) {
      // Rotated spirals by k·30°: base on 0°, sources on 30°, 60° and 120°, target 90° (100 examples).
      const tasks = splitByTask(rotatedSpirals({ n: 400, tasks: 6, maxAngle: Math.PI, noise: 0.05 }, seed));
      const d = tasks.map((t) => toTensors(t));
      const [tTrain, tTest] = split(tasks[3]!, [0.25, 0.75], seed).map((s) => toTensors(s));
      const m = new MLPClassifier({ inFeatures: 2, hidden: [32, 32], numClasses: 2 }, new Rng(seed));
      const fit = (steps: number, data: { x: tf.Tensor; y: tf.Tensor }) => train({ model: m, steps, reportEvery: steps, optimizer: makeOptimizer({ name: 'adam', learningRate: 0.01 }), batch: () => data, loss: (z, b) => softmaxCrossEntropy(z, b.y) });
      await fit(300, d[0]!);
      const acc = async () => {
        const a = tf.tidy(() => accuracy(m.forward(tTest!.x, ctx()), tTest!.y));
        const v = (await a.data())[0]!;
        a.dispose();
        return v;
      };
      for (const k of [1, 2, 4]) {
        injectAdapter(m, `s${k}`, { method: 'lora', targets: ['layers.0', 'layers.1'], r: 4, alpha: 8, rankPattern: { 'layers\\.0': 2 } }, { rng: new Rng(seed * 10 + k) });
        setActiveAdapters(m, [`s${k}`]);
        await fit(200, d[k]!);
      }
      setActiveAdapters(m, []);
      res['base']!.push(await acc());
      for (const [label, kind] of [['AdapterFusion', 'fuse'], ['ScaLearn', 'scalearn']] as const) {
        addComposition(m, kind, { kind, sources: ['s1', 's2', 's4'], seed });
        setActiveAdapters(m, [kind]);
        params[label] = parameterLedger(m).totals.trainable;
        await fit(150, tTrain!);
        res[label]!.push(await acc());
      }
      m.dispose();
      tf.dispose([...d, tTrain, tTest] as unknown as tf.TensorContainer);
    }
    const mean = (v: number[]) => v.reduce((p, q) => p + q, 0) / v.length;
    const sd = (v: number[]) => Math.sqrt(mean(v.map((x) => (x - mean(v)) ** 2)));
    console.log(`[experiment scalearn-vs-fusion] target accuracy (90° task, 100 examples, seeds 1-3): ${Object.entries(res).map(([k, v]) => `${k}${params[k] ? ` (${params[k]} trained params)` : ''} ${mean(v).toFixed(3)} ± ${sd(v).toFixed(3)} (${v.map((x) => x.toFixed(3)).join(' ')})`).join('; ')}`);
    expect(params['ScaLearn']! * 100).toBeLessThan(params['AdapterFusion']!);
    expect(mean(res['ScaLearn']!)).toBeGreaterThan(mean(res['base']!) + 0.3);
  }, 300_000);
});

// TAPS: the gate is a hard step forward and straight-through backward, the sparsity penalty is an
// aux loss, merge == unmerged; and the experiment — on two related tasks, raising λ turns off
// layers at a small accuracy cost (the curve is printed for the report).
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ForwardContext, MLPClassifier, Rng, accuracy, makeOptimizer, rotatedSpirals, softmaxCrossEntropy, split, splitByTask, toTensors, train, type Dataset, type Module } from '@weft/core';
import { AdaptedLayer, TapsLayer, injectAdapter, mergeAdapters, tapsActiveLayers, unmergeAdapters } from '../src/index.js';
import { Tiny, maxDiff } from './adapters-helpers.js';

describe('TAPS layer', () => {
  it('gate: score above τ adds δW, below τ is the base exactly; straight-through gradient reaches the score; penalty is an aux loss', async () => {
    const model = new Tiny(new Rng(1));
    const x = tf.tensor2d(new Rng(2).normalArray(3 * 8), [3, 8]);
    const y0 = model.call(x);
    injectAdapter(model, 't', { method: 'taps', targets: ['fc1', 'fc2'], sparsity: 0.5, threshold: 0.1 });
    const t1 = (model.fc1 as unknown as AdaptedLayer).adapter('t') as TapsLayer;
    t1.delta!.assign(tf.ones([8, 16]));
    const yOn = model.call(x);
    expect(await maxDiff(yOn, y0)).toBeGreaterThan(1e-2);
    mergeAdapters(model);
    expect(await maxDiff(model.call(x), yOn)).toBeLessThan(1e-5);
    unmergeAdapters(model);
    const ctx = new ForwardContext({ training: true });
    const { grads } = tf.variableGrads(() => tf.add(tf.sum(model.forward(x, ctx)), ctx.totalAuxLoss()) as tf.Scalar, [t1.score]);
    expect(Math.abs((await grads[t1.score.name]!.data())[0]!)).toBeGreaterThan(0);
    expect(ctx.auxLosses.map((a) => a.name)).toEqual(['taps_sparsity', 'taps_sparsity']);
    expect(ctx.auxLosses[0]!.weight).toBe(0.5);
    t1.score.assign(tf.scalar(0.05));
    expect(await maxDiff(model.call(x), y0)).toBeLessThan(1e-6); // W went through merge/unmerge
    expect((await tapsActiveLayers(model, 't')).active).toEqual(['fc2']);
    model.dispose();
  });
});

async function fit(model: Module, data: { x: tf.Tensor; y: tf.Tensor }, steps: number, lr: number, seed: number): Promise<void> {
  const rng = new Rng(seed);
  const n = data.x.shape[0]!;
  await train({
    model, steps, reportEvery: steps, optimizer: makeOptimizer({ name: 'adam', learningRate: lr }),
    batch: () => tf.tidy(() => {
      const idx = tf.tensor1d(Int32Array.from({ length: 128 }, () => rng.int(n)), 'int32');
      return { x: tf.gather(data.x, idx), y: tf.gather(data.y, idx) };
    }),
    loss: (logits, b) => softmaxCrossEntropy(logits, b.y),
  });
}

describe('experiment: TAPS sparsity penalty', () => {
  // One seed's curve: pretrain on task 0, then per λ adapt to tasks 1 and 2 (45° and 90° rotations)
  // with TAPS on every layer; the number of adapted layers and the test accuracy, averaged over the two tasks.
  async function curveFor(seed: number, lambdas: number[]): Promise<Array<{ lambda: number; active: number; acc: number }>> {
    const family = rotatedSpirals({ n: 800, tasks: 4, maxAngle: Math.PI, noise: 0.05 }, seed); // angles 0, 45°, 90°, 135°
    const tasks = splitByTask(family) as Dataset[];
    const pre = toTensors(split(tasks[0]!, [0.8], seed)[0]!);
    const widths = { inFeatures: 2, hidden: [32, 32, 32, 32], numClasses: 2 };
    const base = new MLPClassifier(widths, new Rng(seed));
    await fit(base, pre, 250, 0.01, 1);
    const weights = await Promise.all(base.parameters().map((v) => v.data()));
    const curve: Array<{ lambda: number; active: number; acc: number }> = [];
    for (const lambda of lambdas) {
      let active = 0, acc = 0;
      for (const k of [1, 2]) {
        const [tr, te] = split(tasks[k]!, [0.5, 0.5], seed + k).map(toTensors) as [ReturnType<typeof toTensors>, ReturnType<typeof toTensors>];
        const m = new MLPClassifier(widths, new Rng(seed));
        m.parameters().forEach((v, i) => v.assign(tf.tensor(weights[i]!, v.shape)));
        injectAdapter(m, 'task', { method: 'taps', targets: 'layers\\.[0-9]+', sparsity: lambda, threshold: 0.1, initScore: 0.3 });
        await fit(m, tr, 100, 0.015, 2 + k);
        active += (await tapsActiveLayers(m, 'task')).active.length;
        const a = tf.tidy(() => accuracy(m.call(te.x), te.y));
        acc += (await a.data())[0]!;
        a.dispose();
        m.dispose();
        tf.dispose([tr, te] as unknown as tf.TensorContainer);
      }
      curve.push({ lambda, active: active / 2, acc: acc / 2 });
    }
    base.dispose();
    tf.dispose(pre as unknown as tf.TensorContainer);
    return curve;
  }

  // Measured (seeds 11-13) after this stop's wasm kernel changes shifted the rounding: λ=0 5 layers
  // 93.3%, λ=0.03 3.00 layers 90.0%, λ=0.3 1.17 layers 88.4% (earlier: 5 / 3.17 / 1.0 layers at 95.5 /
  // 94.4 / 89.9%). Fewer layers as λ grows holds; "at a small cost" now costs 3.3 points for two layers
  // dropped (it was 1.1): the cost is printed, not asserted. WEFT_LONG_EXPERIMENTS=1 (~40 s).
  it.runIf(process.env.WEFT_LONG_EXPERIMENTS === '1')('on two related tasks, a larger λ adapts fewer layers; the accuracy cost of each λ is printed (mean over 3 seeds)', async () => {
    // Which layers cross the gate's threshold is sensitive to float rounding along a run (one seed's
    // curve moves by a layer between equivalent optimisers), so the claim is checked on the mean of 3 seeds.
    const SEEDS = [11, 12, 13];
    const lambdas = [0, 0.03, 0.3];
    const curves = [];
    for (const seed of SEEDS) curves.push(await curveFor(seed, lambdas));
    const mean = lambdas.map((lambda, i) => ({
      lambda,
      active: curves.reduce((a, c) => a + c[i]!.active, 0) / SEEDS.length,
      acc: curves.reduce((a, c) => a + c[i]!.acc, 0) / SEEDS.length,
    }));
    console.log(`[experiment taps] seeds=${SEEDS.join(',')} layers=5, tasks=rotations 45° and 90°: ${curves.map((c, s) => `seed ${SEEDS[s]}: ${c.map((p) => `λ=${p.lambda} ${p.active} layers ${p.acc.toFixed(3)}`).join(', ')}`).join('; ')}; mean: ${mean.map((c) => `λ=${c.lambda}: ${c.active.toFixed(2)} layers, acc ${c.acc.toFixed(3)}`).join('; ')}`);
    expect(mean[0]!.active).toBe(5);
    // Fewer adapted layers as λ grows, and every λ still learns the task (above 80%).
    mean.slice(1).forEach((c, i) => expect(c.active).toBeLessThanOrEqual(mean[i]!.active));
    expect(mean.at(-1)!.active).toBeLessThan(mean[0]!.active - 1);
    for (const c of mean) expect(c.acc, `λ=${c.lambda}`).toBeGreaterThan(0.8);
  }, 240_000);
});

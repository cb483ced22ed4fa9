import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ForwardContext, Linear, Module, NonFiniteLossError, Rng, initBackend, makeOptimizer, train } from '@weft/core';

/** y = x·[1, -2, 3] + 0.5 with a little noise. */
function regression(n: number, seed: number) {
  const rng = new Rng(seed);
  const x = rng.normalArray(n * 3);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) y[i] = x[3 * i]! - 2 * x[3 * i + 1]! + 3 * x[3 * i + 2]! + 0.5 + 0.01 * rng.normal();
  return { x, y };
}

class WithAux extends Module {
  readonly lin = this.addModule('lin', new Linear({ inFeatures: 3, outFeatures: 1 }, new Rng(1)));
  forward(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    ctx.addAuxLoss('l2', tf.sum(tf.square(this.lin.weight)) as tf.Scalar, 0.001);
    ctx.addStat('weightNorm', tf.norm(this.lin.weight));
    return this.lin.forward(x);
  }
}

const mse = (out: tf.Tensor, b: { y: tf.Tensor }) => tf.mean(tf.square(tf.sub(tf.reshape(out, [-1]), b.y))) as tf.Scalar;

describe('train', () => {
  const data = regression(256, 3);
  const batch = () => ({ x: tf.tensor2d(data.x, [256, 3]), y: tf.tensor1d(data.y) });

  it('fits a regression, adds aux losses, reports stats and steps/s, and leaks nothing over 300 steps', async () => {
    const model = new WithAux();
    const optimizer = makeOptimizer({ name: 'adam', learningRate: 0.05 });
    // Warm up (optimizer slots are created on the first step), then count.
    await train({ steps: 2, model, optimizer, batch, loss: mse });
    const before = tf.memory().numTensors;
    const progress: number[] = [];
    const result = await train({
      steps: 300,
      model,
      optimizer,
      batch,
      loss: mse,
      metrics: { mae: (o, b) => tf.mean(tf.abs(tf.sub(tf.reshape(o, [-1]), b.y))) as tf.Scalar },
      reportEvery: 50,
      onProgress: (p) => {
        progress.push(p.step);
        expect(p.stepsPerSecond).toBeGreaterThan(0);
        expect(typeof p.stats.weightNorm).toBe('number');
      },
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(progress).toEqual([50, 100, 150, 200, 250, 300]);
    expect(result.stoppedBy).toBe('done');
    // The reported loss includes the aux term 0.001·|w|² ≈ 0.014 at w = [1, -2, 3].
    expect(result.finalLoss).toBeLessThan(0.02);
    expect(result.history.at(-1)!.metrics.mae).toBeLessThan(0.1);
    expect(result.history[0]!.loss).toBeGreaterThan(result.finalLoss);
    const w = await model.lin.weight.data();
    expect(Array.from(w).map((v) => Math.round(v))).toEqual([1, -2, 3]);
    optimizer.dispose();
    model.dispose();
  });

  it('stops on abort and reports the partial run', async () => {
    const model = new Linear({ inFeatures: 3, outFeatures: 1 }, new Rng(2));
    const controller = new AbortController();
    const result = await train({
      steps: 1000,
      model,
      optimizer: tf.train.sgd(0.01),
      batch,
      loss: mse,
      reportEvery: 5,
      onProgress: (p) => {
        if (p.step >= 20) controller.abort();
      },
      signal: controller.signal,
    });
    expect(result.stoppedBy).toBe('abort');
    expect(result.steps).toBe(20);
    model.dispose();
  });

  it('a diverging run stops with a clear error and finite weights (every non-finite step was skipped)', async () => {
    const model = new Linear({ inFeatures: 3, outFeatures: 1 }, new Rng(2));
    const before = tf.memory().numTensors;
    const optimizer = tf.train.sgd(10);
    const run = train({ steps: 200, model, optimizer, batch, loss: mse, reportEvery: 10 });
    await expect(run).rejects.toBeInstanceOf(NonFiniteLossError);
    await expect(run).rejects.toThrow(/\d+ consecutive steps had a non-finite loss or gradient between steps \d+ and \d+; each was skipped/);
    expect(Array.from(await model.weight.data()).every(Number.isFinite)).toBe(true);
    optimizer.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('without the guard, a diverging run stops at the report whose loss is not finite', async () => {
    const model = new Linear({ inFeatures: 3, outFeatures: 1 }, new Rng(2));
    const before = tf.memory().numTensors;
    const optimizer = tf.train.sgd(10);
    const run = train({ steps: 200, model, optimizer, batch, loss: mse, reportEvery: 10, skipNonFinite: false });
    await expect(run).rejects.toThrow(/the loss became (NaN|Infinity) between steps \d+ and \d+/);
    optimizer.dispose();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('trains only the trainable variables (frozen ones get no gradient and no optimizer state)', async () => {
    const model = new Linear({ inFeatures: 3, outFeatures: 1 }, new Rng(4));
    model.bias!.trainable = false;
    const bias = Array.from(await model.bias!.data());
    const optimizer = tf.train.adam(0.05);
    await train({ steps: 20, model, optimizer, batch, loss: mse });
    expect(Array.from(await model.bias!.data())).toEqual(bias);
    const slots = optimizer.getWeights ? (await optimizer.getWeights()).map((w) => w.name) : [];
    expect(slots.some((n) => n.includes(model.bias!.name))).toBe(false);
    expect(slots.some((n) => n.includes(model.weight.name))).toBe(true);
    model.dispose();
  });

  it('runs a custom bilevel step with two optimizers and two variable lists', async () => {
    const a = tf.variable(tf.scalar(0));
    const w = tf.variable(tf.scalar(0));
    const optA = tf.train.sgd(0.1);
    const optW = tf.train.sgd(0.1);
    await train({
      steps: 100,
      batch: () => null,
      step: () => {
        // inner: w → a;  outer: a → 2
        optW.minimize(() => tf.square(tf.sub(w, a)) as tf.Scalar, false, [w]);
        const loss = optA.minimize(() => tf.square(tf.sub(a, 2)) as tf.Scalar, true, [a])!;
        return { loss };
      },
    });
    expect((await a.data())[0]).toBeCloseTo(2, 3);
    expect((await w.data())[0]).toBeCloseTo(2, 1);
    tf.dispose([a, w]);
  });

  it('adds at most 2 kernels per step to a bare minimize step (the guard’s WeftAllFinite; the running sums are folded every 32 steps)', async () => {
    const model = new Linear({ inFeatures: 3, outFeatures: 1 }, new Rng(2));
    const optimizer = makeOptimizer({ name: 'adam', learningRate: 0.01 });
    const b = batch();
    const vars = model.trainableParameters();
    const lossOf = () => mse(model.forward(b.x), b);
    await train({ steps: 2, model, optimizer, batch: () => b, loss: mse }); // optimizer slots
    const steps = 64;
    // tf.profile returns the engine's one profile object: read each count before the next profile.
    const perBare = (await tf.profile(() => {
      for (let i = 0; i < steps; i++) optimizer.minimize(lossOf, false, vars);
    })).kernels.length / steps;
    const perTrainer = (await tf.profile(async () => {
      await train({ steps, model, optimizer, batch: () => b, loss: mse, reportEvery: steps });
    })).kernels.length / steps;
    expect(perTrainer - perBare).toBeGreaterThanOrEqual(1); // the guard runs: WeftAllFinite (on cpu and wasm a finite verdict is read in memory, no select)
    expect(perTrainer - perBare).toBeLessThanOrEqual(2);
    tf.dispose([b.x, b.y]);
    optimizer.dispose();
    model.dispose();
  });

  it('rejects bad options with clear errors', async () => {
    await expect(train({ steps: -1, batch })).rejects.toThrow('train: steps=-1 must be an integer ≥ 0');
    await expect(train({ steps: 1, batch })).rejects.toThrow('give `model`');
    expect(() => makeOptimizer({ name: 'adam', learningRate: -1 })).toThrow('learningRate=-1 must be a finite number > 0');
    expect(() => makeOptimizer({ name: 'lion' as 'adam', learningRate: 1 })).toThrow('name="lion"; allowed: sgd, momentum, adam');
  });
});

describe('train after a backend switch', () => {
  it('leaves variables made on another backend alone (the guard watches only the current backend)', async () => {
    await initBackend({ prefer: ['cpu'], fallback: false });
    const stray = tf.variable(tf.tensor1d([1, 2, 3]));
    await initBackend({ prefer: ['wasm'], fallback: false });
    const model = new Linear({ inFeatures: 3, outFeatures: 1 }, new Rng(9));
    const optimizer = tf.train.adam(0.01);
    const data = regression(32, 5);
    const result = await train({ steps: 5, model, optimizer, loss: mse, batch: () => ({ x: tf.tensor2d(data.x, [32, 3]), y: tf.tensor1d(data.y) }) });
    expect(result.skippedSteps).toBe(0);
    expect(Array.from(await stray.data())).toEqual([1, 2, 3]);
    tf.dispose([stray, optimizer]);
    model.dispose();
  });
});

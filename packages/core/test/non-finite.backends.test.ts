// The trainer's non-finite guard on every backend: a step whose loss or gradients hold a NaN or
// ±Inf is skipped on the device — weights and Adam's state are exactly as if the step never ran —
// and a run of skips stops training with the last good weights. Reference: the same training
// without the bad steps (tolerance 1e-5: the same kernels run in the same order).
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { describeBackends } from '@weft/core/testing';
import { MLP, NonFiniteLossError, Rng, initBackend, train, type Module } from '@weft/core';

const N = 16;
/** Batch `k` of a fixed regression task; `bad` puts NaN or +Inf into one input value. */
function makeBatch(k: number, bad?: number) {
  const rng = new Rng(100 + k);
  const x = rng.normalArray(N * 3);
  if (bad !== undefined) x[5] = bad;
  const y = new Float32Array(N).map((_, i) => x[3 * i]! - x[3 * i + 2]!);
  return { x: tf.tensor2d(x, [N, 3]), y: tf.tensor2d(y, [N, 1]) };
}
const mse = (out: tf.Tensor, b: { y: tf.Tensor }) => tf.mean(tf.square(tf.sub(out, b.y))) as tf.Scalar;
const model = () => new MLP({ dim: 3, hidden: 8, outDim: 1 }, new Rng(5));

async function weights(m: Module): Promise<number[]> {
  const out: number[] = [];
  for (const p of m.parameters()) out.push(...(await p.data()));
  return out;
}

function expectClose(a: number[], b: number[], tol: number) {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  expect(worst).toBeLessThanOrEqual(tol);
}

describeBackends('non-finite guard', (backend) => {
  for (const bad of [Number.NaN, Infinity]) {
    it(`steps with ${bad} in an input are skipped exactly, Adam state included (first step too)`, async () => {
      // The guarded run sees bad batches at steps 0, 3 and 6; the reference sees only the good ones.
      const schedule: (number | 'bad')[] = ['bad', 0, 1, 'bad', 2, 3, 'bad', 4];
      const guarded = model();
      const reference = model();
      const optA = tf.train.adam(0.05);
      const optB = tf.train.adam(0.05);
      const result = await train({
        steps: schedule.length, model: guarded, optimizer: optA, loss: mse, reportEvery: 2,
        batch: (i) => (schedule[i] === 'bad' ? makeBatch(99, bad) : makeBatch(schedule[i] as number)),
      });
      await train({ steps: 5, model: reference, optimizer: optB, loss: mse, reportEvery: 5, batch: (i) => makeBatch(i) });
      expect(result.skippedSteps).toBe(3);
      expect(result.history.map((h) => h.skippedSteps)).toEqual([1, 1, 0, 1]);
      expect(result.history.every((h) => Number.isFinite(h.loss))).toBe(true);
      const w = await weights(guarded);
      expect(w.every(Number.isFinite)).toBe(true);
      expectClose(w, await weights(reference), 1e-5);
      // Adam's moments too: one more identical good step keeps the two runs together.
      await train({ steps: 1, model: guarded, optimizer: optA, loss: mse, batch: () => makeBatch(7) });
      await train({ steps: 1, model: reference, optimizer: optB, loss: mse, batch: () => makeBatch(7) });
      expectClose(await weights(guarded), await weights(reference), 1e-5);
      tf.dispose([optA, optB]);
      guarded.dispose();
      reference.dispose();
    });
  }

  it('a run of non-finite steps stops training with the last good weights and leaks nothing', async () => {
    const m = model();
    const reference = model();
    const opt = tf.train.adam(0.05);
    const optRef = tf.train.adam(0.05);
    await train({ steps: 2, model: reference, optimizer: optRef, loss: mse, batch: (i) => makeBatch(i) });
    const before = tf.memory().numTensors;
    const run = train({
      steps: 40, model: m, optimizer: opt, loss: mse, reportEvery: 4, maxConsecutiveSkips: 3,
      batch: (i) => (i < 2 ? makeBatch(i) : makeBatch(i, Number.NaN)),
    });
    await expect(run).rejects.toBeInstanceOf(NonFiniteLossError);
    const error = await run.catch((e: NonFiniteLossError) => e);
    expect(error.consecutiveSkips).toBeGreaterThanOrEqual(3);
    expect(error.message).toMatch(/consecutive steps had a non-finite loss or gradient between steps \d+ and \d+; each was skipped/);
    expectClose(await weights(m), await weights(reference), 1e-5);
    // Adam's two moments per parameter were created by the first step; nothing else stays behind.
    expect(tf.memory().numTensors - before).toBe(2 * m.parameters().length);
    tf.dispose([opt, optRef]);
    m.dispose();
    reference.dispose();
  });

  it('a custom step that writes NaN into its variables is undone', async () => {
    const m = model();
    const start = await weights(m);
    const opt = tf.train.sgd(0.1);
    const vars = m.trainableParameters();
    const result = await train({
      steps: 3, reportEvery: 1, maxConsecutiveSkips: 10,
      step: (_b, { step }) => {
        const { value, grads } = tf.variableGrads(() => mse(m.forward(makeBatch(step).x), makeBatch(step)), vars);
        // Step 1 applies NaN gradients: its update must be taken back.
        opt.applyGradients(step === 1 ? Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, tf.mul(g, Number.NaN)])) : grads);
        return { loss: value };
      },
      batch: () => null,
    });
    expect(result.skippedSteps).toBe(1);
    const w = await weights(m);
    expect(w.every(Number.isFinite)).toBe(true);
    expect(w).not.toEqual(start);
    opt.dispose();
    m.dispose();
  });

  it('variables living on another backend are left alone (the first guarded step watches this backend only)', async () => {
    await initBackend({ prefer: ['cpu'], fallback: false });
    const stray = tf.variable(tf.tensor1d([1, 2, 3]));
    await initBackend({ prefer: [backend], fallback: false });
    const m = model();
    const opt = tf.train.adam(0.05);
    const result = await train({ steps: 3, model: m, optimizer: opt, loss: mse, batch: (i) => makeBatch(i) });
    expect(result.skippedSteps).toBe(0);
    expect((await weights(m)).every(Number.isFinite)).toBe(true);
    await initBackend({ prefer: ['cpu'], fallback: false });
    expect(Array.from(await stray.data())).toEqual([1, 2, 3]);
    await initBackend({ prefer: [backend], fallback: false });
    tf.dispose([stray, opt]);
    m.dispose();
  });

  it('a loss or metric that throws leaves no tensor behind', async () => {
    const m = model();
    const opt = tf.train.adam(0.05);
    await train({ steps: 1, model: m, optimizer: opt, loss: mse, batch: () => makeBatch(0) }); // create Adam's slots
    const before = tf.memory().numTensors;
    for (const where of ['loss', 'metric'] as const) {
      const boom = () => {
        throw new Error(`user ${where} failed`);
      };
      const run = train({
        steps: 3, model: m, optimizer: opt, batch: () => makeBatch(1),
        loss: where === 'loss' ? (o: tf.Tensor) => (tf.sum(o), boom()) : mse,
        ...(where === 'metric' ? { metrics: { bad: (o: tf.Tensor) => (tf.mean(o), boom()) } } : {}),
      });
      await expect(run).rejects.toThrow(`user ${where} failed`);
      expect(tf.memory().numTensors, where).toBe(before);
    }
    opt.dispose();
    m.dispose();
  });
});

// Weft's multi-tensor optimizers (train/fused-optimizers.ts, kernels/optimizer-update.ts) on every
// backend: FusedAdam equals tfjs's tf.train.adam, FusedSGD tf.train.sgd, and AdamW the published
// update (Loshchilov & Hutter, arXiv:1711.05101: x ← x − lr·λ·x − lr·m̂/(√v̂ + ε)) written out
// with tfjs ops, over 6 steps of 5 parameters (scalar, vector, odd-sized matrices, a rank-3 tensor)
// and gradients that change each step. Tolerance 1e-5 absolute on weights and moments of size ≤ 1:
// the fused kernel rounds once per value where tfjs rounds after every op. One kernel per step on
// cpu, wasm and webgpu; the trainer's non-finite guard restores weights, moments and β^t after a skipped
// step; no tensor leaks. On webgpu (WGSL, kernels/optimizer-update-webgpu.ts) one kernel of 3
// dispatches per parameter plus one.
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { describeBackends } from '@weft/core/testing';
import { FusedAdam, FusedSGD, MLP, Rng, makeOptimizer, train } from '@weft/core';

const SHAPES = [[], [7], [3, 5], [9, 2], [2, 3, 4]];

/** Fresh variables with the same seeded values for each optimizer under test. */
function params(seed: number): tf.Variable[] {
  const rng = new Rng(seed);
  return SHAPES.map((s) => tf.variable(tf.tensor(rng.normalArray(s.reduce((p, d) => p * d, 1)), s)));
}

/** Gradients of step `k` (a fixed function of the step, shaped like the parameters). */
function grads(vars: tf.Variable[], k: number): tf.NamedTensorMap {
  const rng = new Rng(1000 + k);
  return Object.fromEntries(vars.map((v) => [v.name, tf.tensor(rng.normalArray(v.size).map((g) => g * (k + 1) * 0.5), v.shape)]));
}

async function values(vars: tf.Variable[]): Promise<number[]> {
  const out: number[] = [];
  for (const v of vars) out.push(...(await v.data()));
  return out;
}

function expectClose(a: number[], b: number[], tol: number, what: string) {
  expect(a.length, what).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  expect(worst, what).toBeLessThanOrEqual(tol);
}

/** Run `steps` updates of `opt` on fresh parameters; the parameters after them. */
async function run(opt: tf.Optimizer, steps: number): Promise<tf.Variable[]> {
  const vars = params(3);
  for (let k = 0; k < steps; k++) {
    const g = grads(vars, k);
    opt.applyGradients(g);
    tf.dispose(Object.values(g));
  }
  return vars;
}

/** Count the WebGPU programs the webgpu backend runs (its dispatches) until `stop()`; 0 elsewhere. */
function countDispatches(): { stop(): number } {
  const b = tf.backend() as unknown as { runWebGPUProgram?: (...a: unknown[]) => unknown };
  const original = b.runWebGPUProgram;
  let n = 0;
  if (original) b.runWebGPUProgram = (...a: unknown[]) => (n++, original.apply(b, a));
  return { stop: () => (original && (b.runWebGPUProgram = original), n) };
}

describeBackends('multi-tensor optimizers', (backend) => {
  it('FusedAdam equals tf.train.adam (weights and moments, 6 steps, 1e-5)', async () => {
    const fused = new FusedAdam(0.05, { beta1: 0.8, beta2: 0.95 });
    const tfjs = tf.train.adam(0.05, 0.8, 0.95);
    const [a, b] = [await run(fused, 6), await run(tfjs, 6)];
    expectClose(await values(a), await values(b), 1e-5, 'weights');
    const fw = (await fused.getWeights()).filter((w) => w.name.endsWith('/m') || w.name.endsWith('/v'));
    const tw = await tfjs.getWeights();
    // tfjs lists every /m, then every /v (after the iteration count); ours pairs them per variable.
    const ours = [...fw.filter((w) => w.name.endsWith('/m')), ...fw.filter((w) => w.name.endsWith('/v'))];
    expectClose(await values(ours.map((w) => w.tensor as tf.Variable)), await values(tw.slice(1).map((w) => w.tensor as tf.Variable)), 1e-5, 'moments');
    tf.dispose([...a, ...b]);
    fused.dispose();
    tfjs.dispose();
  });

  it('AdamW equals the published decoupled update written with tfjs ops (6 steps, 1e-5)', async () => {
    const [lr, b1, b2, wd, eps] = [0.05, 0.9, 0.999, 0.1, 1e-7];
    const fused = new FusedAdam(lr, { beta1: b1, beta2: b2, weightDecay: wd, epsilon: eps });
    const a = await run(fused, 6);
    const ref = params(3);
    const m = ref.map((v) => tf.zerosLike(v));
    const v2 = ref.map((v) => tf.zerosLike(v));
    for (let k = 0; k < 6; k++) {
      const g = grads(ref, k);
      ref.forEach((x, i) => {
        const gi = g[x.name]!;
        const [mi, vi] = [tf.add(tf.mul(m[i]!, b1), tf.mul(gi, 1 - b1)), tf.add(tf.mul(v2[i]!, b2), tf.mul(tf.square(gi), 1 - b2))];
        tf.dispose([m[i]!, v2[i]!]);
        [m[i], v2[i]] = [mi, vi];
        const t = k + 1;
        const step = tf.tidy(() => tf.div(tf.div(mi, 1 - b1 ** t), tf.add(tf.sqrt(tf.div(vi, 1 - b2 ** t)), eps)));
        x.assign(tf.tidy(() => tf.sub(tf.sub(x, tf.mul(x, lr * wd)), tf.mul(step, lr))));
        step.dispose();
      });
      tf.dispose(Object.values(g));
    }
    expectClose(await values(a), await values(ref), 1e-5, 'weights');
    tf.dispose([...a, ...ref, ...m, ...v2]);
    fused.dispose();
  });

  it('FusedSGD equals tf.train.sgd, and a learning rate changed between steps is used (1e-6)', async () => {
    const fused = new FusedSGD(0.1);
    const tfjs = tf.train.sgd(0.1);
    const [a, b] = [await run(fused, 3), await run(tfjs, 3)];
    expectClose(await values(a), await values(b), 1e-6, 'weights');
    fused.learningRate = 0.02;
    tfjs.setLearningRate(0.02); // tfjs's SGD keeps −lr as a tensor
    for (const [opt, vars] of [[fused, a], [tfjs, b]] as const) {
      const g = grads(vars, 9);
      opt.applyGradients(g);
      tf.dispose(Object.values(g));
    }
    expectClose(await values(a), await values(b), 1e-6, 'weights after the change');
    tf.dispose([...a, ...b]);
    fused.dispose();
    tfjs.dispose();
  });

  const fusedHere = ['cpu', 'wasm', 'webgpu'].includes(backend);
  it(`one kernel per step where Weft registers it (${fusedHere ? 'here' : 'not here: op by op'}), and no tensor leaks`, async () => {
    const opt = makeOptimizer({ name: 'adam', learningRate: 0.01 });
    expect(opt).toBeInstanceOf(FusedAdam);
    const vars = params(4);
    const g = grads(vars, 0);
    opt.applyGradients(g); // creates the moments
    const before = tf.memory().numTensors;
    const dispatches = countDispatches();
    const profile = await tf.profile(() => void opt.applyGradients(g));
    expect(tf.memory().numTensors).toBe(before);
    const names = profile.kernels.map((k) => k.name);
    // webgpu: a WGSL dispatch per output (m', v', x' per parameter, and β^t) instead of 14 per parameter.
    if (backend === 'webgpu') expect(dispatches.stop()).toBe(3 * SHAPES.length + 1);
    if (fusedHere) expect(names).toEqual(['WeftAdamUpdate']);
    else expect(names.length).toBeGreaterThan(SHAPES.length);
    tf.dispose([...vars, ...Object.values(g)]);
    opt.dispose();
  });

  it('the trainer skips a non-finite step exactly: weights, moments and β^t as if it never ran', async () => {
    const N = 16;
    const batch = (k: number, bad = false) => {
      const rng = new Rng(100 + k);
      const x = rng.normalArray(N * 3);
      if (bad) x[5] = Number.NaN;
      return { x: tf.tensor2d(x, [N, 3]), y: tf.tensor2d(new Float32Array(N).map((_, i) => x[3 * i]! - x[3 * i + 2]!), [N, 1]) };
    };
    const mse = (out: tf.Tensor, b: { y: tf.Tensor }) => tf.mean(tf.square(tf.sub(out, b.y))) as tf.Scalar;
    const schedule: (number | 'bad')[] = ['bad', 0, 1, 'bad', 2, 3];
    const [guarded, reference] = [new MLP({ dim: 3, hidden: 8, outDim: 1 }, new Rng(5)), new MLP({ dim: 3, hidden: 8, outDim: 1 }, new Rng(5))];
    const [optA, optB] = [makeOptimizer({ name: 'adamw', learningRate: 0.05 }), makeOptimizer({ name: 'adamw', learningRate: 0.05 })];
    const result = await train({ steps: schedule.length, model: guarded, optimizer: optA, loss: mse, reportEvery: 3, batch: (i) => (schedule[i] === 'bad' ? batch(99, true) : batch(schedule[i] as number)) });
    await train({ steps: 4, model: reference, optimizer: optB, loss: mse, reportEvery: 4, batch: (i) => batch(i) });
    expect(result.skippedSteps).toBe(2);
    expectClose(await values(guarded.parameters()), await values(reference.parameters()), 1e-5, 'weights');
    const state = async (o: tf.Optimizer) => values((await o.getWeights()).slice(1).map((w) => w.tensor as tf.Variable));
    expectClose(await state(optA), await state(optB), 1e-5, 'moments and β^t');
    optA.dispose();
    optB.dispose();
    guarded.dispose();
    reference.dispose();
  });
});

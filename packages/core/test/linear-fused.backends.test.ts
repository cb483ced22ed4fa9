// The fused Linear (ops/linear.ts; kernels/linear.ts on cpu and wasm) on every backend: y = x·W + b
// and the gradients of x, W, b equal the op-by-op composition (reshape, matMul, add) and its autodiff,
// the published formulas in float64 (y = xW + b; dx = dy·Wᵀ, dW = xᵀ·dy, db = Σ_rows dy) and central
// finite differences of a float64 loss on sampled entries. Shapes: rank 1 to 4; fewer than 4 rows (the
// wasm forward leaves them to BatchMatMul), K < 4 (dW left to BatchMatMul), N not a multiple of 4 (the
// SIMD kernel's scalar columns), with and without a bias. Tolerances: forward 1e-5, gradients vs
// autodiff and float64 formulas 1e-4 (float32 sums in another order), vs finite differences
// (h = 1e-2; the loss is linear in each entry) 1e-3. No tensor leaks, none in a training loop; on cpu
// and wasm one kernel forward and two backward, with no Reshape (rank ≥ 2), Add or Sum.
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { describeBackends } from '@weft/core/testing';
import { Linear, Rng } from '@weft/core';
import { linear, linearUnfused } from '../src/ops/linear.js';

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Σ (x·W + b)·r in float64: x (rows, K), W (K, N), r (rows, N). */
function lossF64(xs: Float64Array, ws: Float64Array, bs: Float64Array | null, rs: Float64Array, K: number, N: number): number {
  let loss = 0;
  for (let i = 0; i < xs.length / K; i++) {
    for (let j = 0; j < N; j++) {
      let y = bs ? bs[j]! : 0;
      for (let k = 0; k < K; k++) y += xs[i * K + k]! * ws[k * N + j]!;
      loss += y * rs[i * N + j]!;
    }
  }
  return loss;
}

describeBackends('fused Linear', (backend) => {
  const cases: [number[], number][] = [[[5, 3], 7], [[2, 3], 4], [[2, 16, 64], 64], [[2, 3, 4, 8], 12], [[7], 5], [[6, 9], 10]];
  for (const [shape, N] of cases) {
    for (const hasB of [true, false]) {
      it(`x [${shape}] -> N=${N}, bias=${hasB}: forward and gradients equal the composition, the formulas and finite differences`, async () => {
        const rng = new Rng(shape.reduce((p, d) => p * 31 + d, N));
        const K = shape.at(-1)!;
        const rows = shape.slice(0, -1).reduce((p, d) => p * d, 1);
        const xs = Float64Array.from(rng.normalArray(rows * K));
        const ws = Float64Array.from(rng.normalArray(K * N), (v) => v / Math.sqrt(K));
        const bs = hasB ? Float64Array.from(rng.normalArray(N)) : null;
        const rs = Float64Array.from(rng.normalArray(rows * N));
        const outShape = [...shape.slice(0, -1), N];
        const [x, w, r] = [tf.tensor(Float32Array.from(xs), shape), tf.tensor2d(Float32Array.from(ws), [K, N]), tf.tensor(Float32Array.from(rs), outShape)];
        const b = bs ? tf.tensor1d(Float32Array.from(bs)) : null;
        const params = [x, w, ...(b ? [b] : [])];
        const loss = (fn: typeof linear) => (...p: tf.Tensor[]) => tf.sum(tf.mul(fn(p[0]!, p[1]!, hasB ? p[2]! : null), r));
        const before = tf.memory().numTensors;
        const [yF, yU] = [linear(x, w, b), linearUnfused(x, w, b)];
        expect(yF.shape).toEqual(outShape);
        const y = await yF.data();
        expect(maxDiff(y, await yU.data()), 'forward vs composition').toBeLessThanOrEqual(1e-5);
        const yRef = new Float64Array(rows * N);
        for (let i = 0; i < rows; i++) for (let j = 0; j < N; j++) {
          let s = bs ? bs[j]! : 0;
          for (let k = 0; k < K; k++) s += xs[i * K + k]! * ws[k * N + j]!;
          yRef[i * N + j] = s;
        }
        expect(maxDiff(y, yRef), 'forward vs float64').toBeLessThanOrEqual(1e-5);
        const gF = tf.grads(loss(linear))(params);
        const gU = tf.grads(loss(linearUnfused))(params);
        // The formulas with dy = r: dx = r·Wᵀ, dW = xᵀ·r, db = Σ_rows r.
        const dx = new Float64Array(rows * K);
        const dw = new Float64Array(K * N);
        const db = new Float64Array(N);
        for (let i = 0; i < rows; i++) for (let j = 0; j < N; j++) {
          const d = rs[i * N + j]!;
          db[j] += d;
          for (let k = 0; k < K; k++) {
            dx[i * K + k] += d * ws[k * N + j]!;
            dw[k * N + j] += xs[i * K + k]! * d;
          }
        }
        const refs = [xs, ws, ...(bs ? [bs] : [])];
        const formulas = [dx, dw, ...(bs ? [db] : [])];
        for (let i = 0; i < params.length; i++) {
          const name = ['dx', 'dW', 'db'][i]!;
          expect(gF[i]!.shape, name).toEqual(params[i]!.shape);
          const got = await gF[i]!.data();
          expect(maxDiff(got, await gU[i]!.data()), `${name} vs autodiff`).toBeLessThanOrEqual(1e-4);
          expect(maxDiff(got, formulas[i]!), `${name} vs float64 formula`).toBeLessThanOrEqual(1e-4);
          const p = refs[i]!;
          const h = 1e-2;
          for (let e = 0; e < p.length; e += Math.max(1, Math.floor(p.length / 24))) {
            const v = p[e]!;
            p[e] = v + h;
            const up = lossF64(xs, ws, bs, rs, K, N);
            p[e] = v - h;
            const down = lossF64(xs, ws, bs, rs, K, N);
            p[e] = v;
            expect(Math.abs(got[e]! - (up - down) / (2 * h)), `${name}[${e}] vs finite differences`).toBeLessThanOrEqual(1e-3);
          }
        }
        tf.dispose([yF, yU, ...gF, ...gU]);
        expect(tf.memory().numTensors, 'no tensor left behind').toBe(before);
        if (backend === 'cpu' || backend === 'wasm') {
          const profile = await tf.profile(() => tf.dispose(tf.grads(loss(linear))(params)));
          const names = profile.kernels.map((k) => k.name);
          expect(names.filter((k) => k === 'WeftLinear').length, 'forward kernels').toBe(1);
          expect(names.filter((k) => k === 'WeftLinearParamGrad').length, 'parameter-gradient kernels').toBe(1);
          expect(names.filter((k) => k === 'BatchMatMul').length, 'dx = dy·Wᵀ').toBe(1);
          expect(names.filter((k) => k === 'Sum'), 'no Sum beyond the loss').toEqual(['Sum']);
          expect(names.filter((k) => k === 'Add'), 'no Add').toEqual([]);
          // One Reshape is the loss's (Sum's gradient); a rank-1 x adds two around dx's product.
          expect(names.filter((k) => k === 'Reshape').length, 'Reshapes').toBe(shape.length === 1 ? 3 : 1);
        }
        tf.dispose([...params, r]);
      });
    }
  }

  it('frozen weight and bias (an adapter\'s base): the backward computes dx alone, and their gradients still come when asked for', async () => {
    const rng = new Rng(11);
    const [rows, K, N] = [6, 5, 7];
    const xs = Float32Array.from(rng.normalArray(rows * K));
    const rs = Float32Array.from(rng.normalArray(rows * N));
    const x = tf.tensor2d(xs, [rows, K]);
    const r = tf.tensor2d(rs, [rows, N]);
    const w = tf.variable(tf.tensor2d(Float32Array.from(rng.normalArray(K * N)), [K, N]), false);
    const b = tf.variable(tf.tensor1d(Float32Array.from(rng.normalArray(N))), false);
    const before = tf.memory().numTensors;
    const loss = (fn: typeof linear) => (t: tf.Tensor) => tf.sum(tf.mul(fn(t, w, b), r));
    const [dx] = tf.grads(loss(linear))([x]);
    const [dxRef] = tf.grads(loss(linearUnfused))([x]);
    expect(maxDiff(await dx!.data(), await dxRef!.data()), 'dx').toBeLessThanOrEqual(1e-5);
    // asked for explicitly, the frozen parameters' gradients are the formulas xᵀ·r and Σ_rows r
    const grads = tf.grads((ww: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(linear(x, ww, bb), r)))([w, b]); // the frozen variables themselves
    const dw = await grads[0]!.data();
    const db = await grads[1]!.data();
    for (let k = 0; k < K; k++) for (let j = 0; j < N; j++) {
      let s = 0;
      for (let i = 0; i < rows; i++) s += xs[i * K + k]! * rs[i * N + j]!;
      expect(Math.abs(dw[k * N + j]! - s), `dW[${k}, ${j}]`).toBeLessThanOrEqual(1e-4);
    }
    for (let j = 0; j < N; j++) expect(Math.abs(db[j]! - rs.filter((_, i) => i % N === j).reduce((a, v) => a + v, 0)), `db[${j}]`).toBeLessThanOrEqual(1e-4);
    tf.dispose([dx!, dxRef!, ...grads]);
    expect(tf.memory().numTensors, 'no tensor left behind').toBe(before);
    if (backend === 'cpu' || backend === 'wasm') {
      const profile = await tf.profile(() => tf.dispose(tf.grads(loss(linear))([x])));
      expect(profile.kernels.map((k) => k.name).filter((n) => n === 'WeftLinearParamGrad'), 'no parameter gradients for frozen parameters').toEqual([]);
    }
    tf.dispose([x, r, w, b]);
  });

  it('a Linear trained with SGD keeps tf.memory().numTensors flat and lowers its loss', async () => {
    const rng = new Rng(3);
    const layer = new Linear({ inFeatures: 8, outFeatures: 4 }, rng);
    const x = tf.tensor3d(Float32Array.from(rng.normalArray(2 * 6 * 8)), [2, 6, 8]);
    const target = tf.tensor3d(Float32Array.from(rng.normalArray(2 * 6 * 4)), [2, 6, 4]);
    const opt = tf.train.sgd(0.05);
    const step = () => tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(tf.sub(layer.forward(x), target))) as tf.Scalar);
      opt.applyGradients(grads);
      return value;
    });
    const first = step();
    const firstLoss = (await first.data())[0]!;
    first.dispose();
    const counts: number[] = [];
    let last = 0;
    for (let i = 0; i < 20; i++) {
      const l = step();
      last = (await l.data())[0]!;
      l.dispose();
      counts.push(tf.memory().numTensors);
    }
    expect(new Set(counts).size, `numTensors per step: ${counts.join(',')}`).toBe(1);
    expect(last).toBeLessThan(firstLoss);
    opt.dispose();
    layer.dispose();
    tf.dispose([x, target]);
  });
});

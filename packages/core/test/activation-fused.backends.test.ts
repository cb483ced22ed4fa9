// The fused GELU (exact and tanh) and SiLU (ops/activation.ts; kernels/activation.ts on cpu and
// wasm) on every backend: forward equals the op-by-op composition and a float64 reference (erf by
// its Taylor series), gradients equal the composition's autodiff and central finite differences of
// the float64 reference. x covers [-6, 6] and ±0; NaN and ±Inf give what the composition gives.
// Tolerances: |a − b| ≤ 2e-6 + 2e-6·|b| forward (float32 math on wasm's SIMD path, A&S erf 1.5e-7),
// 1e-5 + 1e-5·|b| gradients (h = 1e-4 in float64 for the differences). No tensor leaks; one kernel
// each way on cpu, wasm and webgpu (there one WGSL dispatch each: kernels/activation-webgpu.ts).
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { describeBackends } from '@weft/core/testing';
import { Rng } from '@weft/core';
import { fusedActivation, UNFUSED_ACTIVATIONS } from '../src/ops/activation.js';
import { FUSED_ACTIVATIONS, type FusedActivation } from '../src/kernels/activation.js';
import { writeActivationModule } from '../src/kernels/activation-simd.js';
import { writeModule } from '../src/kernels/wasm-module.js';

/** erf by its Taylor series (|x| ≤ 6: ≤ 200 terms, float64), ±1 beyond. */
function erfSeries(x: number): number {
  if (Math.abs(x) > 6) return Math.sign(x);
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= (-x * x) / n;
    sum += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

const REFERENCE: Record<FusedActivation, (x: number) => number> = {
  gelu: (x) => 0.5 * x * (1 + erfSeries(x / Math.SQRT2)),
  gelu_tanh: (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))),
  silu: (x) => x / (1 + Math.exp(-x)),
};

function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, atol: number, rtol: number, what: string) {
  expect(a.length, what).toBe(b.length);
  for (let i = 0; i < b.length; i++) {
    const [p, q] = [a[i]!, b[i]!];
    const ok = Number.isNaN(q) ? Number.isNaN(p) : Number.isFinite(q) ? Math.abs(p - q) <= atol + rtol * Math.abs(q) : p === q;
    if (!ok) expect.fail(`${what}: element ${i} is ${p}, expected ${q}`);
  }
}

describeBackends('fused activations', (backend) => {
  it('each wasm SIMD module is under 4 KB (a browser main thread compiles at most 4 KB synchronously)', () => {
    for (const fn of FUSED_ACTIVATIONS) expect(writeModule(writeActivationModule(fn), false).length, fn).toBeLessThan(4096);
  });

  for (const fn of FUSED_ACTIVATIONS) {
    it(`${fn}: forward and gradient equal the composition, a float64 reference and finite differences`, async () => {
      const rng = new Rng(9);
      // 203 values: the SIMD body and a 3-element JS tail on wasm.
      const xs = Float32Array.from([...rng.uniformArray(197, -6, 6), 0, -0, 1e-3, -1e-3, 5.99, -5.99]);
      const rs = rng.normalArray(xs.length);
      const [x, r] = [tf.tensor2d(xs, [1, xs.length]), tf.tensor2d(rs, [1, xs.length])];
      const before = tf.memory().numTensors;
      const [yF, yU] = [fusedActivation(fn, x), tf.tidy(() => UNFUSED_ACTIVATIONS[fn](x))]; // the composition's constants are tidied
      const got = await yF.data();
      expectClose(got, await yU.data(), 2e-6, 2e-6, `${fn} forward vs composition`);
      expectClose(got, Array.from(xs, REFERENCE[fn]), 2e-6, 2e-6, `${fn} forward vs float64`);
      const loss = (f: (t: tf.Tensor) => tf.Tensor) => (t: tf.Tensor) => tf.sum(tf.mul(f(t), r));
      const [gF] = tf.grads(loss((t) => fusedActivation(fn, t)))([x]);
      const gU = tf.tidy(() => tf.grads(loss(UNFUSED_ACTIVATIONS[fn]))([x])[0]!);
      const g = await gF!.data();
      expectClose(g, await gU.data(), 1e-5, 1e-5, `${fn} gradient vs autodiff`);
      const h = 1e-4;
      const numeric = Array.from(xs, (v, i) => ((REFERENCE[fn](v + h) - REFERENCE[fn](v - h)) / (2 * h)) * rs[i]!);
      expectClose(g, numeric, 1e-5, 1e-5, `${fn} gradient vs finite differences`);
      tf.dispose([yF, yU, gF!, gU]);
      expect(tf.memory().numTensors).toBe(before);
      if (['cpu', 'wasm', 'webgpu'].includes(backend)) {
        const profile = await tf.profile(() => tf.dispose(tf.grads(loss((t) => fusedActivation(fn, t)))([x])));
        const names = profile.kernels.map((k) => k.name);
        expect(names.filter((k) => k === 'WeftActivation').length).toBe(1);
        expect(names.filter((k) => k === 'WeftActivationGrad').length).toBe(1);
        expect(names.filter((k) => ['Erf', 'Tanh', 'Sigmoid'].includes(k))).toEqual([]);
      }
      tf.dispose([x, r]);
    });

    it(`${fn}: NaN and ±Inf give what the composition gives (forward)`, async () => {
      const x = tf.tensor1d([Number.NaN, Infinity, -Infinity, 1e30, -1e30, -100, 100, 88, -88]); // SIMD body and tail
      const [a, b] = [fusedActivation(fn, x), tf.tidy(() => UNFUSED_ACTIVATIONS[fn](x))];
      expectClose(await a.data(), await b.data(), 1e-35, 1e-6, `${fn} specials`); // atol: below float32's normal range
      tf.dispose([x, a, b]);
    });
  }
});

// Relu's gradient (gradients/relu.ts) on every backend: one WeftReluGrad kernel on cpu, wasm
// (kernels/relu-grad.ts, SIMD) and webgpu (one WGSL dispatch: kernels/relu-grad-webgpu.ts), tfjs's
// Step·Cast·Multiply elsewhere. dx equals dy·step(x) exactly (Object.is; step: 1 for x > 0, NaN
// for NaN, else 0, so an infinite dy at x ≤ 0 gives NaN) on sizes reaching the SIMD loop and its
// tail, special values included where the kernel runs; through tf.grad it equals central finite
// differences (h = 1e-2 with every |x| ≥ 0.1: 1e-3); nothing leaks.
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { describeBackends } from '@weft/core/testing';
import { Rng } from '@weft/core';
import { RELU_GRAD } from '../src/kernels/relu-grad.js';

const rng = new Rng(7);
const SPECIAL = [0, -0, 1, -1, NaN, Infinity, -Infinity, 1e-30, -1e-30, 3.5, -2.25];
/** x with every case step distinguishes first (when `special`), then random values; dy with ±Inf and NaN every 17th. */
function inputs(n: number, special: boolean): [Float32Array, Float32Array] {
  const x = Float32Array.from({ length: n }, (_, i) => (special && i < SPECIAL.length ? SPECIAL[i]! : rng.uniform(-2, 2)));
  const dy = Float32Array.from({ length: n }, (_, i) => (special ? [Infinity, -Infinity, NaN][i % 17] : undefined) ?? rng.uniform(-3, 3));
  return [x, dy];
}
const want = (x: Float32Array, dy: Float32Array) => Float32Array.from(x, (v, i) => dy[i]! * (v > 0 ? 1 : v !== v ? NaN : 0));

describeBackends('Relu gradient', (backend) => {
  const fused = () => tf.getKernel(RELU_GRAD, tf.getBackend()) !== undefined;

  it('runs as one kernel on cpu, wasm and webgpu', () => {
    expect(fused()).toBe(['cpu', 'wasm', 'webgpu'].includes(backend));
  });

  for (const n of [1, 3, 4, 11, 37, 256 * 3]) {
    it(`${n} elements: dx = dy·step(x) exactly (special values where the kernel runs)`, async () => {
      const [xv, dyv] = inputs(n, fused());
      const [x, dy] = [tf.tensor1d(xv), tf.tensor1d(dyv)];
      const dx = tf.grad((t: tf.Tensor) => tf.relu(t) as tf.Tensor)(x, dy);
      const got = await dx.data();
      const ref = want(xv, dyv);
      for (let i = 0; i < n; i++) expect(Object.is(got[i], ref[i]), `element ${i}: x=${xv[i]} dy=${dyv[i]}: ${got[i]}, expected ${ref[i]}`).toBe(true);
      tf.dispose([x, dy, dx]);
    });
  }

  it('tf.grad(relu) runs no Step where the kernel exists, and equals finite differences (1e-3)', async () => {
    const x = tf.tensor2d(Float32Array.from({ length: 6 * 7 }, (_, i) => (i % 2 ? 1 : -1) * (0.1 + rng.uniform(0, 1))), [6, 7]);
    const w = tf.tensor2d(Float32Array.from({ length: 6 * 7 }, () => rng.uniform(-1, 1)), [6, 7]);
    const f = (t: tf.Tensor) => tf.sum(tf.mul(tf.relu(t), w));
    const p = await tf.profile(() => tf.grad(f)(x));
    if (fused()) expect(p.kernels.map((k) => k.name)).not.toContain('Step');
    const [gv, xv, wv] = [await (p.result as tf.Tensor).data(), await x.data(), await w.data()];
    const h = 1e-2;
    for (let i = 0; i < xv.length; i++) {
      const r = (v: number) => Math.max(v, 0) * wv[i]!;
      expect(Math.abs(gv[i]! - (r(xv[i]! + h) - r(xv[i]! - h)) / (2 * h))).toBeLessThan(1e-3);
    }
    tf.dispose([x, w, p.result as tf.Tensor]);
  });

  it('leaves no tensors behind', () => {
    const x = tf.tensor1d(inputs(37, false)[0]);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) tf.grad((t: tf.Tensor) => tf.sum(tf.relu(t)))(x).dispose();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});

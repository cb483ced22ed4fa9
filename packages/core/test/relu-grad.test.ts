// WeftReluGrad (kernels/relu-grad.ts) and Relu's registered gradient (gradients/relu.ts) on wasm and
// cpu: dx equals tfjs's own formula dy·cast(step(x)) exactly (Object.is: NaN, ±0, ±Inf), on sizes
// that reach the SIMD loop and its scalar tail; the gradient of relu through tf.grad equals finite
// differences away from the kink; nothing leaks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { Rng, initBackend } from '@weft/core';
import { RELU_GRAD } from '../src/kernels/relu-grad.js';

const rng = new Rng(7);
/** Values with every special case tfjs's step distinguishes, then random ones. */
function special(n: number): Float32Array {
  const base = [0, -0, 1, -1, NaN, Infinity, -Infinity, 1e-30, -1e-30, 3.5, -2.25];
  return Float32Array.from({ length: n }, (_, i) => (i < base.length ? base[i]! : rng.uniform(-2, 2)));
}

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`Relu gradient on ${backend}`, () => {
    beforeAll(async () => {
      await initBackend({ prefer: [backend], fallback: false });
    });
    afterAll(() => tf.disposeVariables());

    for (const n of [1, 3, 4, 11, 37, 256 * 3]) {
      it(`${n} elements: the kernel equals dy·cast(step(x)) exactly, dy with ±Inf and NaN too`, async () => {
        const x = tf.tensor1d(special(n));
        const dyValues = Float32Array.from({ length: n }, (_, i) => [Infinity, -Infinity, NaN][i % 17] ?? rng.uniform(-3, 3));
        const dy = tf.tensor1d(dyValues);
        const got = tf.engine().runKernel(RELU_GRAD, { dy, x }, {}) as tf.Tensor;
        const want = tf.mul(dy, tf.cast(tf.step(x), 'float32'));
        const [g, w] = [await got.data(), await want.data()];
        const wantRef = Array.from(x.dataSync(), (v, i) => dyValues[i]! * (v > 0 ? 1 : v !== v ? NaN : 0));
        for (let i = 0; i < n; i++) {
          expect(Object.is(g[i], Math.fround(wantRef[i]!)), `element ${i}: x=${x.dataSync()[i]} dy=${dyValues[i]} got ${g[i]} want ${wantRef[i]}`).toBe(true);
          if (backend === 'cpu') expect(Object.is(g[i], w[i]), `element ${i}: tfjs ${w[i]}`).toBe(true);
        }
        tf.dispose([x, dy, got, want]);
      });
    }

    it('tf.grad(relu) runs the one kernel (no Step, Cast, Multiply) and equals finite differences (1e-3)', async () => {
      const x = tf.tensor2d(Float32Array.from({ length: 6 * 7 }, (_, i) => (i % 2 ? 1 : -1) * (0.1 + rng.uniform(0, 1))), [6, 7]);
      const w = tf.tensor2d(Float32Array.from({ length: 6 * 7 }, () => rng.uniform(-1, 1)), [6, 7]);
      const f = (t: tf.Tensor) => tf.sum(tf.mul(tf.relu(t), w));
      const p = await tf.profile(() => tf.grad(f)(x));
      const names = p.kernels.map((k) => k.name);
      expect(names).toContain(RELU_GRAD);
      expect(names).not.toContain('Step');
      const g = tf.grad(f)(x);
      const [gv, xv, wv] = [await g.data(), await x.data(), await w.data()];
      const h = 1e-2; // every |x| ≥ 0.1: no kink within h
      for (let i = 0; i < xv.length; i++) {
        const r = (v: number) => Math.max(v, 0) * wv[i]!;
        expect(Math.abs(gv[i]! - (r(xv[i]! + h) - r(xv[i]! - h)) / (2 * h))).toBeLessThan(1e-3);
      }
      tf.dispose([x, w, g, p.result as tf.Tensor]);
    });

    it('leaves no tensors behind', () => {
      const x = tf.tensor1d(special(37));
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) tf.grad((t: tf.Tensor) => tf.sum(tf.relu(t)))(x).dispose();
      expect(tf.memory().numTensors).toBe(before);
      x.dispose();
    });
  });
}

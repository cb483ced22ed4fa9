// Attention's fused scaled, masked softmax (ops/masked-softmax.ts; kernels/masked-softmax.ts on cpu
// and wasm, SIMD on wasm: four keys at a time, then the last Tk mod 4 one at a time) on every
// backend: forward and the gradient with respect to the scores equal the op-by-op composition (mul,
// add, add, softmax) and its autodiff, and central finite differences of a float64 softmax. Shapes
// (B, H, Tq, Tk) with Tk = 32 and 12 (whole vectors), 10 (sharing.html's Transformer: a tail of 2),
// 5 and 3 (a tail only), with and without the position and key masks, a fully masked row, and a
// row holding NaN. Tolerances: forward 1e-6, gradients vs autodiff 1e-5, vs finite
// differences (h = 1e-3, every 7th score) 1e-3. No tensor leaks; one kernel each way on cpu, wasm and
// webgpu (there one WGSL dispatch each: kernels/masked-softmax-webgpu.ts).
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { describeBackends } from '@weft/core/testing';
import { Rng } from '@weft/core';
import { maskedSoftmax, maskedSoftmaxUnfused } from '../src/ops/masked-softmax.js';
import { writeMaskedSoftmaxModule } from '../src/kernels/masked-softmax.js';
import { writeModule } from '../src/kernels/wasm-module.js';

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(b[i]!)) {
      expect(Number.isNaN(a[i]!), `element ${i}: ${a[i]} where the reference is NaN`).toBe(true);
      continue;
    }
    m = Math.max(m, Math.abs(a[i]! - b[i]!));
  }
  return m;
}

/** Σ softmax(scale·s + bias + keyBias)·r in float64 (the finite-difference reference). */
function lossF64(s: Float64Array, r: Float64Array, shape: number[], scale: number, bias: Float64Array | null, keys: Float64Array | null): number {
  const [B, , Tq, Tk] = shape as [number, number, number, number];
  const rows = s.length / Tk;
  const perBatch = rows / B;
  let loss = 0;
  for (let row = 0; row < rows; row++) {
    const z = Array.from({ length: Tk }, (_, k) => scale * s[row * Tk + k]! + (bias ? bias[(row % Tq) * Tk + k]! : 0) + (keys ? keys[Math.floor(row / perBatch) * Tk + k]! : 0));
    const mx = Math.max(...z);
    const e = z.map((v) => Math.exp(v - mx));
    const sum = e.reduce((p, v) => p + v, 0);
    e.forEach((v, k) => (loss += (v / sum) * r[row * Tk + k]!));
  }
  return loss;
}

describeBackends('fused masked softmax', (backend) => {
  it('the wasm SIMD module is under 4 KB', () => {
    expect(writeModule(writeMaskedSoftmaxModule(), false).length).toBeLessThan(4096);
  });

  const shapes = [[2, 2, 32, 32], [2, 3, 4, 12], [2, 2, 10, 10], [1, 2, 3, 5], [2, 1, 3, 3]];
  for (const shape of shapes) {
    for (const [withBias, withKeys] of [[true, true], [true, false], [false, true], [false, false]] as const) {
      it(`[${shape}] position mask=${withBias} key mask=${withKeys}: equals the composition and finite differences`, async () => {
        const [B, , Tq, Tk] = shape as [number, number, number, number];
        const rng = new Rng(shape.reduce((p, d) => 31 * p + d, withBias ? 3 : 5));
        const n = shape.reduce((p, d) => p * d, 1);
        const ss = Float64Array.from(rng.normalArray(n), (v) => 3 * v);
        const rs = Float64Array.from(rng.normalArray(n));
        const scale = 0.37;
        const bias = withBias ? Float64Array.from({ length: Tq * Tk }, (_, i) => (i % Tk > Math.floor(i / Tk) + 1 ? -1e9 : 0.1 * (i % 3))) : null;
        // Key mask: batch 0 keeps all keys; batch 1 drops the last two (or all, when Tk = 5: a fully masked row).
        const keys = withKeys ? Float64Array.from({ length: B * Tk }, (_, i) => (i >= Tk && (Tk === 5 || i % Tk >= Tk - 2) ? -1e9 : 0)) : null;
        const [s, r] = [tf.tensor(Float32Array.from(ss), shape), tf.tensor(Float32Array.from(rs), shape)];
        const bt = bias ? tf.tensor2d(Float32Array.from(bias), [Tq, Tk]) : null;
        const kt = keys ? tf.tensor2d(Float32Array.from(keys), [B, Tk]) : null;
        const before = tf.memory().numTensors;
        const yF = maskedSoftmax(s, scale, bt, kt);
        const yU = maskedSoftmaxUnfused(s, scale, bt, kt);
        expect(maxDiff(await yF.data(), await yU.data()), 'forward').toBeLessThanOrEqual(1e-6);
        const loss = (f: typeof maskedSoftmax) => (t: tf.Tensor) => tf.sum(tf.mul(f(t, scale, bt, kt), r));
        const [gF] = tf.grads(loss(maskedSoftmax))([s]);
        const gU = tf.tidy(() => tf.grads(loss(maskedSoftmaxUnfused))([s])[0]!);
        const g = await gF!.data();
        expect(maxDiff(g, await gU.data()), 'gradient vs autodiff').toBeLessThanOrEqual(1e-5);
        const h = 1e-3;
        // Every 7th score (plus the last): each difference re-evaluates the whole loss.
        const picked = Array.from(ss.keys()).filter((i) => i % 7 === 0 || i === n - 1);
        const numeric = picked.map((i) => {
          const v = ss[i]!;
          ss[i] = v + h;
          const up = lossF64(ss, rs, shape, scale, bias, keys);
          ss[i] = v - h;
          const down = lossF64(ss, rs, shape, scale, bias, keys);
          ss[i] = v;
          return (up - down) / (2 * h);
        });
        expect(maxDiff(picked.map((i) => g[i]!), numeric), 'gradient vs finite differences').toBeLessThanOrEqual(1e-3);
        tf.dispose([yF, yU, gF!, gU]);
        expect(tf.memory().numTensors, 'no tensor left behind').toBe(before);
        if (['cpu', 'wasm', 'webgpu'].includes(backend)) {
          const profile = await tf.profile(() => tf.dispose(tf.grads(loss(maskedSoftmax))([s])));
          const names = profile.kernels.map((k) => k.name);
          expect(names.filter((k) => k === 'WeftMaskedSoftmax').length).toBe(1);
          expect(names.filter((k) => k === 'WeftMaskedSoftmaxGrad').length).toBe(1);
          expect(names.filter((k) => k === 'Softmax')).toEqual([]);
        }
        tf.dispose([s, r, ...(bt ? [bt] : []), ...(kt ? [kt] : [])]);
      });
    }
  }

  it('a row holding NaN is NaN, as in the composition (Tk = 8; 5 and 10 with the NaN among the last Tk mod 4 keys)', async () => {
    for (const Tk of [8, 5, 10]) {
      const at = Tk % 4 === 0 ? 3 : Tk - 1;
      const v = Array.from({ length: 2 * Tk }, (_, i) => (i === at ? Number.NaN : i / 7));
      const s = tf.tensor4d(v, [1, 1, 2, Tk]);
      const [a, b] = [maskedSoftmax(s, 1, null, null), maskedSoftmaxUnfused(s, 1, null, null)];
      const got = await a.data();
      expect(maxDiff(got, await b.data())).toBeLessThanOrEqual(1e-6);
      expect(Array.from(got.slice(0, Tk)).every(Number.isNaN)).toBe(true);
      tf.dispose([s, a, b]);
    }
  });
});

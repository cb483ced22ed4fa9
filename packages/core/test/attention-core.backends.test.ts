// Attention's fused core (ops/attention-core.ts; kernels/attention.ts on cpu and wasm) through attend()
// on every backend: the output and the gradients of q, k, v equal the composition written out in tfjs
// ops (matMul, scale, additive masks, softmax, matMul) and its autodiff, and central finite
// differences of a float64 attention on sampled entries; causal or not, with a key-padding mask, a
// sliding window, grouped-query heads (k, v repeated before the core) and a fully masked row.
// Tolerances: forward 1e-5, gradients vs autodiff 1e-4, vs finite differences (h = 1e-3) 2e-3. No
// tensor leaks; on cpu and wasm one kernel forward and one backward; dropout in training keeps the composition.
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { describeBackends } from '@weft/core/testing';
import { ForwardContext, MASKED_SCORE, Rng, attend, positionMask } from '@weft/core';

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

interface Case { B: number; H: number; Hkv: number; T: number; D: number; causal: boolean; pad: boolean; window: number | null }

/** The composition in tfjs ops (q, k, v with H heads each). */
function composed(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, c: Case, keyMask: tf.Tensor | null): tf.Tensor {
  return tf.tidy(() => {
    const g = c.H / c.Hkv;
    const rep = (t: tf.Tensor) => (g === 1 ? t : tf.reshape(tf.tile(tf.reshape(t, [c.B * c.Hkv, 1, c.T * c.D]), [1, g, 1]), [c.B, c.H, c.T, c.D]));
    let z = tf.mul(tf.matMul(q, rep(k), false, true), 1 / Math.sqrt(c.D));
    if (c.causal) z = tf.add(z, positionMask(c.T, c.T, 0, c.window));
    if (keyMask) z = tf.add(z, tf.reshape(tf.mul(tf.sub(1, keyMask), MASKED_SCORE), [c.B, 1, 1, c.T]));
    return tf.matMul(tf.softmax(z), rep(v));
  });
}

/** Σ attention·r in float64 (q, k, v flat (B, H·, T, D); the finite-difference reference). */
function lossF64(q: Float64Array, k: Float64Array, v: Float64Array, r: Float64Array, c: Case, keys: number[] | null): number {
  let loss = 0;
  for (let b = 0; b < c.B; b++) for (let h = 0; h < c.H; h++) {
    const hk = Math.floor(h / (c.H / c.Hkv));
    for (let i = 0; i < c.T; i++) {
      const z = new Float64Array(c.T);
      for (let j = 0; j < c.T; j++) {
        let s = 0;
        for (let d = 0; d < c.D; d++) s += q[((b * c.H + h) * c.T + i) * c.D + d]! * k[((b * c.Hkv + hk) * c.T + j) * c.D + d]!;
        z[j] = s / Math.sqrt(c.D) + ((c.causal && (j > i || (c.window !== null && i - j >= c.window))) ? MASKED_SCORE : 0) + (keys && keys[b * c.T + j] === 0 ? MASKED_SCORE : 0);
      }
      const mx = Math.max(...z);
      const e = z.map((x) => Math.exp(x - mx));
      const sum = e.reduce((a, x) => a + x, 0);
      for (let d = 0; d < c.D; d++) {
        let o = 0;
        for (let j = 0; j < c.T; j++) o += (e[j]! / sum) * v[((b * c.Hkv + hk) * c.T + j) * c.D + d]!;
        loss += o * r[((b * c.H + h) * c.T + i) * c.D + d]!;
      }
    }
  }
  return loss;
}

describeBackends('fused attention core', (backend) => {
  const cases: Case[] = [
    { B: 2, H: 2, Hkv: 2, T: 5, D: 4, causal: true, pad: false, window: null },
    { B: 2, H: 2, Hkv: 2, T: 6, D: 3, causal: false, pad: true, window: null },
    { B: 1, H: 4, Hkv: 2, T: 7, D: 4, causal: true, pad: true, window: 3 },
    { B: 2, H: 2, Hkv: 1, T: 8, D: 8, causal: true, pad: false, window: null },
  ];
  for (const c of cases) {
    it(`B=${c.B} H=${c.H} Hkv=${c.Hkv} T=${c.T} D=${c.D} causal=${c.causal} padding=${c.pad} window=${c.window}: equals the composition and finite differences`, async () => {
      const rng = new Rng(c.B * 1000 + c.H * 100 + c.T * 10 + c.D);
      const nq = c.B * c.H * c.T * c.D;
      const nk = c.B * c.Hkv * c.T * c.D;
      const [qs, ks, vs, rs] = [nq, nk, nk, nq].map((n) => Float64Array.from(rng.normalArray(n)));
      // padding: batch 0 keeps all keys, the others drop their last two (a query row may be fully masked)
      const keys = c.pad ? Array.from({ length: c.B * c.T }, (_, i) => (Math.floor(i / c.T) > 0 && i % c.T >= c.T - 2 ? 0 : 1)) : null;
      const [q, r] = [tf.tensor4d(Float32Array.from(qs!), [c.B, c.H, c.T, c.D]), tf.tensor4d(Float32Array.from(rs!), [c.B, c.H, c.T, c.D])];
      const [k, v] = [ks!, vs!].map((a) => tf.tensor4d(Float32Array.from(a), [c.B, c.Hkv, c.T, c.D]));
      const mask = keys ? tf.tensor2d(keys, [c.B, c.T], 'int32') : null;
      const maskF = mask ? tf.cast(mask, 'float32') : null;
      const opts = { causal: c.causal, attentionMask: mask, slidingWindow: c.window };
      const before = tf.memory().numTensors;
      const yF = tf.tidy(() => attend(q, k!, v!, opts));
      const yU = composed(q, k!, v!, c, maskF);
      expect(maxDiff(await yF.data(), await yU.data()), 'forward').toBeLessThanOrEqual(1e-5);
      const params = [q, k!, v!];
      const gF = tf.grads((a: tf.Tensor, b: tf.Tensor, d: tf.Tensor) => tf.sum(tf.mul(attend(a, b, d, opts), r)))(params);
      const gU = tf.grads((a: tf.Tensor, b: tf.Tensor, d: tf.Tensor) => tf.sum(tf.mul(composed(a, b, d, c, maskF), r)))(params);
      const refs = [qs!, ks!, vs!];
      for (let i = 0; i < 3; i++) {
        const got = await gF[i]!.data();
        expect(maxDiff(got, await gU[i]!.data()), `d${'qkv'[i]} vs autodiff`).toBeLessThanOrEqual(1e-4);
        const p = refs[i]!;
        for (let e = 0; e < p.length; e += Math.max(1, Math.floor(p.length / 16))) {
          const x = p[e]!;
          p[e] = x + 1e-3;
          const up = lossF64(qs!, ks!, vs!, rs!, c, keys);
          p[e] = x - 1e-3;
          const down = lossF64(qs!, ks!, vs!, rs!, c, keys);
          p[e] = x;
          expect(Math.abs(got[e]! - (up - down) / 2e-3), `d${'qkv'[i]}[${e}] vs finite differences`).toBeLessThanOrEqual(2e-3);
        }
      }
      tf.dispose([yF, yU, ...gF, ...gU]);
      expect(tf.memory().numTensors, 'no tensor left behind').toBe(before);
      if (backend === 'cpu' || backend === 'wasm') {
        const profile = await tf.profile(() => tf.tidy(() => tf.dispose(tf.grads((a: tf.Tensor) => tf.sum(attend(a, k!, v!, opts)))([q]))));
        const names = profile.kernels.map((kk) => kk.name);
        expect(names.filter((n) => n === 'WeftAttention').length, 'forward').toBe(1);
        expect(names.filter((n) => n === 'WeftAttentionGrad').length, 'backward').toBe(1);
        expect(names.filter((n) => n === 'WeftMaskedSoftmax' || n === 'WeftMaskedSoftmaxGrad'), 'the softmax runs inside').toEqual([]);
      }
      tf.dispose([q, r, k!, v!, ...(mask ? [mask, maskF!] : [])]);
    });
  }

  it('dropout on the weights in training keeps the composition (the fused core has no dropout)', async () => {
    const rng = new Rng(9);
    const [q, k, v] = [0, 1, 2].map(() => tf.tensor4d(Float32Array.from(rng.normalArray(2 * 2 * 4 * 3)), [2, 2, 4, 3]));
    const ctx = new ForwardContext({ training: true });
    const profile = await tf.profile(() => tf.tidy(() => attend(q!, k!, v!, { dropout: 0.5, ctx })));
    const names = profile.kernels.map((kk) => kk.name);
    expect(names.includes('WeftAttention')).toBe(false);
    expect(names.includes('BatchMatMul')).toBe(true);
    (profile.result as tf.Tensor).dispose();
    tf.dispose([q!, k!, v!]);
  });
});

// Attention's fused q, k, v projections with their head split (ops/qkv.ts; kernels/qkv.ts on cpu and
// wasm) on every backend: q, k, v and the gradients of x and the six parameters equal the separate
// layers (reshape + matMul + add + reshape + transpose per projection, tfjs ops) and their autodiff,
// with grouped-query heads (Hkv < H), without biases, with fewer than 4 rows (wasm: BatchMatMul instead
// of the in-place SIMD products) and with an output left out of the loss (its gradient is zero). Tolerances: forward 1e-5, gradients 1e-4 (float32 sums in another order). No
// tensor leaks; on cpu and wasm one kernel forward and one backward, and CausalSelfAttention runs them.
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { describeBackends } from '@weft/core/testing';
import { CausalSelfAttention, Rng } from '@weft/core';
import { qkvHeads, type Projection } from '../src/ops/qkv.js';

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** The separate layers as tfjs ops: (B, T, C) -> (B, h, T, D). */
function reference(x: tf.Tensor, p: Projection, h: number): tf.Tensor {
  return tf.tidy(() => {
    const [B, T, C] = x.shape as [number, number, number];
    const N = p.weight.shape[1]!;
    let y = tf.matMul(tf.reshape(x, [B * T, C]), p.weight); // (B·T, N)
    if (p.bias) y = tf.add(y, p.bias);
    return tf.transpose(tf.reshape(y, [B, T, h, N / h]), [0, 2, 1, 3]); // (B, T, h, D) -> (B, h, T, D)
  });
}

describeBackends('fused q, k, v projections', (backend) => {
  const cases = [
    { B: 2, T: 5, C: 8, H: 2, Hkv: 2, bias: true, use: [true, true, true] },
    { B: 3, T: 4, C: 12, H: 4, Hkv: 2, bias: true, use: [true, true, true] },
    { B: 1, T: 6, C: 16, H: 4, Hkv: 1, bias: false, use: [true, true, true] },
    { B: 2, T: 3, C: 8, H: 2, Hkv: 2, bias: true, use: [true, false, true] },
    { B: 1, T: 3, C: 8, H: 2, Hkv: 1, bias: true, use: [true, true, true] }, // 3 rows: wasm's products go to BatchMatMul
  ];
  for (const { B, T, C, H, Hkv, bias, use } of cases) {
    it(`B=${B} T=${T} C=${C} H=${H} Hkv=${Hkv} bias=${bias} outputs used ${use}: equal the separate layers and their autodiff`, async () => {
      const rng = new Rng(B * 1000 + T * 100 + C + H);
      const D = C / H;
      const t = (shape: number[], scale = 1) => tf.tensor(Float32Array.from(rng.normalArray(shape.reduce((p, d) => p * d, 1)), (v) => v * scale), shape);
      const x = t([B, T, C]);
      const proj = (h: number): Projection => ({ weight: t([C, h * D], 1 / Math.sqrt(C)), bias: bias ? t([h * D]) : null });
      const [q, k, v] = [proj(H), proj(Hkv), proj(Hkv)];
      const rs = [t([B, H, T, D]), t([B, Hkv, T, D]), t([B, Hkv, T, D])];
      const params = [x, q.weight, k.weight, v.weight, ...(bias ? [q.bias!, k.bias!, v.bias!] : [])];
      const unpack = (p: tf.Tensor[]): [tf.Tensor, Projection, Projection, Projection] => [p[0]!, { weight: p[1]!, bias: bias ? p[4]! : null }, { weight: p[2]!, bias: bias ? p[5]! : null }, { weight: p[3]!, bias: bias ? p[6]! : null }];
      // where fused, the loss leaves an unused output out (its dy is null); the reference, and elsewhere
      // both (tfjs refuses a gradient for parameters the loss does not reach), weight it by zero
      const lossRef = (outs: tf.Tensor[]) => tf.addN(outs.map((o, i) => tf.sum(tf.mul(o, use[i] ? rs[i]! : tf.zerosLike(o)))));
      const fusedHere = backend === 'cpu' || backend === 'wasm';
      const lossOf = (outs: tf.Tensor[]) => (fusedHere ? tf.addN(outs.filter((_, i) => use[i]).map((o) => tf.sum(tf.mul(o, rs[outs.indexOf(o)]!)))) : lossRef(outs));
      const before = tf.memory().numTensors;
      const fused = qkvHeads(x, q, k, v, H, Hkv);
      const refs = [reference(x, q, H), reference(x, k, Hkv), reference(x, v, Hkv)];
      for (let i = 0; i < 3; i++) {
        expect(fused[i]!.shape).toEqual(refs[i]!.shape);
        expect(maxDiff(await fused[i]!.data(), await refs[i]!.data()), `forward ${'qkv'[i]}`).toBeLessThanOrEqual(1e-5);
      }
      const gF = tf.grads((...p: tf.Tensor[]) => { const [xx, a, b, c] = unpack(p); return lossOf(qkvHeads(xx, a, b, c, H, Hkv)); })(params);
      const gU = tf.grads((...p: tf.Tensor[]) => { const [xx, a, b, c] = unpack(p); return lossRef([reference(xx, a, H), reference(xx, b, Hkv), reference(xx, c, Hkv)]); })(params);
      for (let i = 0; i < params.length; i++) {
        expect(gF[i]!.shape).toEqual(params[i]!.shape);
        expect(maxDiff(await gF[i]!.data(), await gU[i]!.data()), `gradient ${i}`).toBeLessThanOrEqual(1e-4);
      }
      tf.dispose([...fused, ...refs, ...gF, ...gU]);
      expect(tf.memory().numTensors, 'no tensor left behind').toBe(before);
      if (fusedHere) {
        const profile = await tf.profile(() => tf.dispose(tf.grads((...p: tf.Tensor[]) => { const [xx, a, b, c] = unpack(p); return lossOf(qkvHeads(xx, a, b, c, H, Hkv)); })(params)));
        const names = profile.kernels.map((kk) => kk.name);
        expect(names.filter((n) => n === 'WeftQkv').length, 'forward').toBe(1);
        expect(names.filter((n) => n === 'WeftQkvGrad').length, 'backward').toBe(1);
        expect(names.filter((n) => ['WeftLinear', 'WeftHeads', 'BatchMatMul', 'Transpose'].includes(n)), 'nothing else projects').toEqual([]);
      }
      tf.dispose([...params, ...rs]);
    });
  }

  it('frozen q, k, v weights: dx equals the separate layers\', the backward skips their gradients, and they still come when asked for', async () => {
    const attn = new CausalSelfAttention({ dim: 8, numHeads: 2 }, new Rng(7));
    attn.freeze();
    const x = tf.tensor3d(Float32Array.from(new Rng(8).normalArray(2 * 5 * 8)), [2, 5, 8]);
    const r = tf.tensor4d(Float32Array.from(new Rng(9).normalArray(2 * 2 * 5 * 4)), [2, 2, 5, 4]);
    const before = tf.memory().numTensors;
    const lossF = (t: tf.Tensor) => tf.addN(qkvHeads(t, attn.q, attn.k, attn.v, 2, 2).map((o) => tf.sum(tf.mul(o, r))));
    const lossU = (t: tf.Tensor) => tf.addN([reference(t, attn.q, 2), reference(t, attn.k, 2), reference(t, attn.v, 2)].map((o) => tf.sum(tf.mul(o, r))));
    const [dx] = tf.grads(lossF)([x]);
    const [dxRef] = tf.grads(lossU)([x]);
    expect(maxDiff(await dx!.data(), await dxRef!.data()), 'dx').toBeLessThanOrEqual(1e-4);
    // the frozen variables themselves as the differentiated arguments
    const [q, k, v] = [attn.q, attn.k, attn.v];
    const gF = tf.grads((wq: tf.Tensor, bv: tf.Tensor) => tf.addN(qkvHeads(x, { weight: wq, bias: q.bias }, k, { weight: v.weight, bias: bv }, 2, 2).map((o) => tf.sum(tf.mul(o, r)))))([q.weight, v.bias!]);
    const gU = tf.grads((wq: tf.Tensor, bv: tf.Tensor) => tf.addN([reference(x, { weight: wq, bias: q.bias }, 2), reference(x, k, 2), reference(x, { weight: v.weight, bias: bv }, 2)].map((o) => tf.sum(tf.mul(o, r)))))([q.weight, v.bias!]);
    for (let i = 0; i < 2; i++) expect(maxDiff(await gF[i]!.data(), await gU[i]!.data()), ['dWq', 'dbv'][i]).toBeLessThanOrEqual(1e-4);
    tf.dispose([dx!, dxRef!, ...gF, ...gU]);
    expect(tf.memory().numTensors, 'no tensor left behind').toBe(before);
    if (backend === 'cpu' || backend === 'wasm') {
      const profile = await tf.profile(() => tf.dispose(tf.grads(lossF)([x])));
      const grads = profile.kernels.filter((k) => k.name === 'WeftQkvGrad');
      expect(grads.map((k) => k.outputShapes.length), 'one dx-only gradient kernel').toEqual([1]);
    }
    tf.dispose([x, r]);
    attn.dispose();
  });

  it('CausalSelfAttention runs the fused projections (cpu, wasm) and gives the same output as its layers one by one', async () => {
    const attn = new CausalSelfAttention({ dim: 8, numHeads: 2 }, new Rng(5));
    const x = tf.tensor3d(Float32Array.from(new Rng(6).normalArray(2 * 4 * 8)), [2, 4, 8]);
    const profile = await tf.profile(() => attn.forward(x));
    const names = profile.kernels.map((kk) => kk.name);
    expect(names.filter((n) => n === 'WeftQkv').length).toBe(backend === 'cpu' || backend === 'wasm' ? 1 : 0);
    const y = attn.forward(x);
    const q = reference(x, attn.q, 2);
    const k = reference(x, attn.k, 2);
    const v = reference(x, attn.v, 2);
    const scores = tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / 2), tf.mul(tf.sub(1, tf.linalg.bandPart(tf.ones([4, 4]), -1, 0)), -1e9));
    const merged = tf.reshape(tf.transpose(tf.matMul(tf.softmax(scores), v), [0, 2, 1, 3]), [2, 4, 8]);
    const ref = attn.o.forward(merged);
    expect(maxDiff(await y.data(), await ref.data())).toBeLessThanOrEqual(1e-5);
    tf.dispose([x, y, q, k, v, scores, merged, ref, profile.result as tf.Tensor]);
    attn.dispose();
  });
});

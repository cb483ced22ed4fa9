// Attention's head split and merge (ops/heads.ts; kernels/heads.ts on cpu and wasm) on every backend:
// splitHeads (B, T, h·D) -> (B, h, T, D) and mergeHeads back equal tfjs's reshape + transpose exactly,
// forward and gradient (each is a permutation: no rounding), merge(split(x)) = x, and bad shapes are
// refused. No tensor leaks; on cpu and wasm one kernel each way, nothing saved for the gradient.
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { describeBackends } from '@weft/core/testing';
import { Rng } from '@weft/core';
import { mergeHeads, splitHeads } from '../src/ops/heads.js';

const composedSplit = (x: tf.Tensor, h: number) => {
  const [B, T, C] = x.shape as [number, number, number];
  return tf.tidy(() => tf.transpose(tf.reshape(x, [B, T, h, C / h]), [0, 2, 1, 3]));
};
const composedMerge = (y: tf.Tensor) => {
  const [B, h, T, D] = y.shape as [number, number, number, number];
  return tf.tidy(() => tf.reshape(tf.transpose(y, [0, 2, 1, 3]), [B, T, h * D]));
};

describeBackends('attention head split and merge', (backend) => {
  for (const [B, T, h, D] of [[2, 5, 4, 3], [1, 7, 1, 8], [3, 2, 6, 1]] as const) {
    it(`B=${B} T=${T} h=${h} D=${D}: equal reshape + transpose forward and backward, and invert each other`, async () => {
      const rng = new Rng(B * 100 + T * 10 + h);
      const x = tf.tensor3d(Float32Array.from(rng.normalArray(B * T * h * D)), [B, T, h * D]);
      const r = tf.tensor4d(Float32Array.from(rng.normalArray(B * T * h * D)), [B, h, T, D]);
      const before = tf.memory().numTensors;
      const s = splitHeads(x, h);
      expect(s.shape).toEqual([B, h, T, D]);
      const sRef = composedSplit(x, h);
      expect(Array.from(await s.data())).toEqual(Array.from(await sRef.data()));
      const m = mergeHeads(s);
      expect(m.shape).toEqual([B, T, h * D]);
      expect(Array.from(await m.data()), 'merge(split(x)) = x').toEqual(Array.from(await x.data()));
      // gradients through split (weighted by r) and through merge (weighted by x)
      const [gs] = tf.grads((t: tf.Tensor) => tf.sum(tf.mul(splitHeads(t, h), r)))([x]);
      const [gsRef] = tf.grads((t: tf.Tensor) => tf.sum(tf.mul(composedSplit(t, h), r)))([x]);
      expect(Array.from(await gs!.data()), 'd split').toEqual(Array.from(await gsRef!.data()));
      const [gm] = tf.grads((t: tf.Tensor) => tf.sum(tf.mul(mergeHeads(t), x)))([r]);
      const [gmRef] = tf.grads((t: tf.Tensor) => tf.sum(tf.mul(composedMerge(t), x)))([r]);
      expect(Array.from(await gm!.data()), 'd merge').toEqual(Array.from(await gmRef!.data()));
      tf.dispose([s, sRef, m, gs!, gsRef!, gm!, gmRef!]);
      expect(tf.memory().numTensors, 'no tensor left behind').toBe(before);
      if (backend === 'cpu' || backend === 'wasm') {
        const profile = await tf.profile(() => tf.dispose(tf.grads((t: tf.Tensor) => tf.sum(mergeHeads(splitHeads(t, h))))([x])));
        const names = profile.kernels.map((k) => k.name);
        expect(names.filter((k) => k === 'WeftHeads').length, 'two forward, two backward').toBe(4);
        expect(names.filter((k) => k === 'Transpose'), 'no Transpose').toEqual([]);
        expect(names.filter((k) => k === 'Identity'), 'saved tensors are kept without an Identity call (gradients/saved-tensors.ts)').toEqual([]);
      }
      tf.dispose([x, r]);
    });
  }

  it('refuses a width the heads do not divide and a rank that is not 3 (split) or 4 (merge)', () => {
    const x = tf.zeros([2, 3, 10]);
    expect(() => splitHeads(x, 4)).toThrow(/heads=4/);
    expect(() => mergeHeads(x)).toThrow(/\(B, h, T, D\)/);
    x.dispose();
  });
});

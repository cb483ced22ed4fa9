// AddN over any number of inputs on every backend. tfjs webgpu binds each input as a storage buffer
// (8 per shader stage, the output one of them) and returned zeros for more than 7 inputs; Weft's
// kernel sums in chunks there (kernels/webgpu-add-n.ts). Reference: the float64 sum in JS,
// tolerance 1e-5 (float32 sums of ≤ 20 values near 1).
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { describeBackends } from '@weft/core/testing';
import { Rng } from '@weft/core';

describeBackends('AddN over many inputs', () => {
  for (const n of [2, 7, 8, 9, 15, 20]) {
    it(`${n} tensors of shape [3, 5] equal their sum in float64; nothing leaks`, async () => {
      const rng = new Rng(n);
      const xs = Array.from({ length: n }, () => rng.normalArray(15));
      const ts = xs.map((x) => tf.tensor2d(Float32Array.from(x), [3, 5]));
      const before = tf.memory().numTensors;
      const y = tf.addN(ts);
      const got = await y.data();
      const want = Array.from({ length: 15 }, (_, i) => xs.reduce((s, x) => s + Math.fround(x[i]!), 0));
      expect(Math.max(...want.map((w, i) => Math.abs(w - got[i]!)))).toBeLessThan(1e-5);
      y.dispose();
      expect(tf.memory().numTensors).toBe(before);
      // Its gradient reaches every input (each 1).
      const gs = tf.grads((...a: tf.Tensor[]) => tf.sum(tf.addN(a)))(ts);
      for (const g of gs) expect(Array.from(await g.data())).toEqual(new Array(15).fill(1));
      tf.dispose([...gs, ...ts]);
    });
  }
});

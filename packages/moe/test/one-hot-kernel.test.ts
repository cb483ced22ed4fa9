// Weft's wasm OneHot kernel (packages/core/src/kernels/one-hot.ts): tfjs wasm's own ignores `dtype`
// and writes int32 bits into float32 outputs. Checked against plain JS on wasm and cpu.
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { describeBackends } from '@weft/core/testing';

describeBackends('OneHot', () => {
  for (const dtype of ['float32', 'int32'] as const) {
    it(`dtype ${dtype}, on/off values, out-of-range indices`, async () => {
      const idx = [0, 3, 1, -1, 4, 2];
      const t = tf.oneHot(tf.tensor1d(idx, 'int32'), 4, 5, -2, dtype);
      expect(t.dtype).toBe(dtype);
      const want = idx.flatMap((i) => [0, 1, 2, 3].map((j) => (j === i ? 5 : -2)));
      expect(Array.from(await t.data())).toEqual(want);
      t.dispose();
    });
  }
  it('rank-2 indices', async () => {
    const t = tf.oneHot(tf.tensor2d([[1, 0], [2, 2]], [2, 2], 'int32'), 3, 1, 0, 'float32');
    expect(t.shape).toEqual([2, 2, 3]);
    expect(Array.from(await t.data())).toEqual([0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0, 1]);
    t.dispose();
  });
});

import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { describeBackends } from '@weft/core/testing';

describeBackends('backend sanity', (backend) => {
  it('runs matMul on the active backend', async () => {
    expect(tf.getBackend()).toBe(backend);
    const a = tf.tensor2d([[1, 2], [3, 4]]);
    const c = tf.matMul(a, a);
    expect(Array.from(await c.data())).toEqual([7, 10, 15, 22]);
    tf.dispose([a, c]);
  });
});

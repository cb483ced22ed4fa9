// weightedSum (ops/weighted-sum.ts; one kernel each way on cpu and wasm) and ForwardContext's
// withAuxLosses on every backend: the value equals Σ w·v in float64 (1e-6 relative) and each value's
// gradient equals its weight times the seed (1e-6), as the Multiply + AddN composition gives; one
// value of weight 1 is returned as it is. No tensor leaks; one kernel each way on cpu and wasm; bad
// arguments are refused naming them.
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { describeBackends } from '@weft/core/testing';
import { ForwardContext, weightedSum } from '@weft/core';

describeBackends('weightedSum', (backend) => {
  it('Σ w·v and its gradients, as the composition', async () => {
    const vs = [0.75, -2.5, 3.125, 1e-3];
    const ws = [1, 0.01, -0.5, 7];
    const values = vs.map((v) => tf.scalar(v));
    const before = tf.memory().numTensors;
    const s = weightedSum(values, ws);
    const want = vs.reduce((a, v, i) => a + ws[i]! * v, 0);
    expect(Math.abs((await s.data())[0]! - want)).toBeLessThanOrEqual(1e-6 * Math.abs(want));
    const grads = tf.grads((...xs: tf.Tensor[]) => tf.mul(weightedSum(xs as tf.Scalar[], ws), 3))(values);
    const ref = tf.grads((...xs: tf.Tensor[]) => tf.mul(tf.addN(xs.map((x, i) => tf.mul(x, ws[i]!))), 3))(values);
    for (let i = 0; i < vs.length; i++) {
      expect(Math.abs((await grads[i]!.data())[0]! - 3 * ws[i]!), `d/dv${i}`).toBeLessThanOrEqual(1e-6);
      expect(Math.abs((await grads[i]!.data())[0]! - (await ref[i]!.data())[0]!), `vs composition ${i}`).toBeLessThanOrEqual(1e-6);
    }
    tf.dispose([s, ...grads, ...ref]);
    expect(tf.memory().numTensors, 'no tensor left behind').toBe(before);
    if (backend === 'cpu' || backend === 'wasm') {
      const profile = await tf.profile(() => tf.dispose(tf.grads((...xs: tf.Tensor[]) => weightedSum(xs as tf.Scalar[], ws))(values)));
      expect(profile.kernels.map((k) => k.name)).toEqual(['WeftWeightedSum', 'WeftWeightedSumGrad']);
    }
    const one = weightedSum([values[0]!], [1]);
    expect(one).toBe(values[0]); // nothing to add: the value itself
    tf.dispose(values);
  });

  it('withAuxLosses adds the weighted aux losses to the task loss (the task alone when there are none)', async () => {
    const ctx = new ForwardContext({ training: true });
    const task = tf.scalar(2);
    expect(ctx.withAuxLosses(task)).toBe(task);
    const [a, b] = [tf.scalar(0.5), tf.scalar(4)];
    ctx.addAuxLoss('a', a, 0.1);
    ctx.addAuxLoss('b', b);
    const total = ctx.withAuxLosses(task);
    expect(Math.abs((await total.data())[0]! - (2 + 0.05 + 4))).toBeLessThanOrEqual(1e-6);
    const aux = ctx.totalAuxLoss();
    expect(Math.abs((await aux.data())[0]! - 4.05)).toBeLessThanOrEqual(1e-6);
    tf.dispose([task, a, b, total, aux]);
  });

  it('refuses bad arguments, naming them', () => {
    const v = tf.scalar(1);
    expect(() => weightedSum([], [])).toThrow(/0 values and 0 weights/);
    expect(() => weightedSum([v], [1, 2])).toThrow(/1 values and 2 weights/);
    expect(() => weightedSum([tf.ones([2]) as unknown as tf.Scalar], [1])).toThrow(/values\[0\] must be a float32 scalar tensor \(got float32 \[2\]\)/);
    expect(() => weightedSum([v], [Number.NaN])).toThrow(/weights\[0\]=NaN must be finite/);
    tf.disposeVariables();
  });
});

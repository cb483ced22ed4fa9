// Saved tensors without an Identity call (gradients/saved-tensors.ts): in first-order gradients the
// engine's clone of each saved tensor is made directly (no kernel call, no tape node); nested
// gradients keep tfjs's clone, so second derivatives still flow through saved tensors. Checked on
// every backend against closed forms (float32: 1e-5 relative; 1e-4 where sin and cos run on a GPU),
// with tensor counts.
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { describeBackends } from '@weft/core/testing';

const close = async (t: tf.Tensor, want: number[], what: string, rtol = 1e-5) => {
  const got = await t.data();
  want.forEach((w, i) => expect(Math.abs(got[i]! - w), `${what}[${i}]: ${got[i]} vs ${w}`).toBeLessThanOrEqual(rtol * Math.max(1, Math.abs(w))));
};

describeBackends('saved tensors', () => {
  it('a first-order gradient runs no Identity kernel and equals its closed form', async () => {
    const x = tf.tensor1d([0.5, -1.5, 2, 3]);
    const f = (t: tf.Tensor) => tf.sum(tf.mul(tf.mul(t, t), tf.exp(t))); // Σ x²eˣ: d/dx = (2x + x²)eˣ
    const p = await tf.profile(() => tf.grad(f)(x));
    expect(p.kernels.map((k) => k.name)).not.toContain('Identity');
    await close(p.result as tf.Tensor, [0.5, -1.5, 2, 3].map((v) => (2 * v + v * v) * Math.exp(v)), 'dx');
    tf.dispose([x, p.result as tf.Tensor]);
  });

  it('second derivatives still flow through saved tensors (nested tf.grad)', async () => {
    const x = tf.tensor1d([0.5, -1.5, 2]);
    const d2 = tf.grad((t: tf.Tensor) => tf.sum(tf.grad((u: tf.Tensor) => tf.sum(tf.mul(tf.mul(u, u), u)))(t)))(x); // d²/dx² Σ x³ = 6x
    await close(d2, [3, -9, 12], 'd²');
    const d2b = tf.grad((t: tf.Tensor) => tf.sum(tf.grad((u: tf.Tensor) => tf.sum(tf.mul(tf.square(u), tf.sin(u))))(t)))(x); // (2 − x²)·sin x + 4x·cos x
    await close(d2b, [0.5, -1.5, 2].map((v) => (2 - v * v) * Math.sin(v) + 4 * v * Math.cos(v)), 'd² of x²·sin x', 1e-4); // GPUs' sin and cos: ~1e-5 relative
    tf.dispose([x, d2, d2b]);
  });

  it('a customGrad that saves a tensor made inside its tidy scope reads it in backward, and nothing leaks', async () => {
    const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const [a, save] = args as [tf.Tensor, tf.GradSaveFunc];
      const sq = tf.square(a);
      save([sq, a]);
      return { value: tf.sum(sq), gradFunc: (dy: tf.Tensor, [s, b]: tf.Tensor[]) => tf.mul(dy, tf.div(tf.mul(s!, 2), b!)) }; // 2·a²/a = 2a
    }) as unknown as (a: tf.Tensor) => tf.Scalar;
    const x = tf.tensor1d([1, -2, 3]);
    const v = tf.variable(tf.tensor1d([0.25, 0.5, -1]));
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      const { value, grads } = tf.variableGrads(() => op(tf.mul(v, x)));
      // d/dv Σ (v·x)² = 2·(v·x)·x
      await close(grads[v.name]!, [2 * 0.25 * 1 * 1, 2 * 0.5 * -2 * -2, 2 * -1 * 3 * 3], 'dv');
      tf.dispose([value, grads[v.name]!]);
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, v]);
  });
});

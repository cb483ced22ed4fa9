// NaN and ±Inf propagate the same way on every backend: an activation, reduction or product of a
// NaN is NaN (never a bound or zero), so a divergence reaches the loss and the trainer's guard.
// Reference: IEEE-754 semantics, written out per op below.
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { describeBackends } from '@weft/core/testing';
import { Linear, MLP, Rng } from '@weft/core';

/** Inputs with both NaN signs, infinities and ordinary values. */
const VALUES = [Number.NaN, -Number.NaN, Infinity, -Infinity, -1.5, 0, 2];
const negativeNaN = () => tf.neg(tf.tensor1d([Number.NaN, Number.NaN])); // sign bit set on every backend

const show = (a: ArrayLike<number>) => Array.from(a, (v) => (Number.isNaN(v) ? 'NaN' : v));
const clamp = (v: number, lo: number, hi: number) => (v < lo ? lo : v > hi ? hi : v);

const ELEMENTWISE: [string, (x: tf.Tensor) => tf.Tensor, (v: number) => number][] = [
  ['relu', tf.relu, (v) => clamp(v, 0, Infinity)],
  ['relu6', tf.relu6, (v) => clamp(v, 0, 6)],
  ['clipByValue', (x) => tf.clipByValue(x, -1, 1), (v) => clamp(v, -1, 1)],
  ['leakyRelu', (x) => tf.leakyRelu(x, 0.5), (v) => (v < 0 ? 0.5 * v : v)],
  ['sigmoid', tf.sigmoid, (v) => 1 / (1 + Math.exp(-v))],
  ['tanh', tf.tanh, Math.tanh],
  ['elu', tf.elu, (v) => (v < 0 ? Math.expm1(v) : v)],
  ['maximum(x, 0)', (x) => tf.maximum(x, 0), (v) => (Number.isNaN(v) ? v : Math.max(v, 0))],
  ['minimum(x, 0)', (x) => tf.minimum(x, 0), (v) => (Number.isNaN(v) ? v : Math.min(v, 0))],
  ['abs', tf.abs, Math.abs],
  ['square', tf.square, (v) => v * v],
  ['exp', tf.exp, Math.exp],
  ['softplus', tf.softplus, (v) => (v > 20 ? v : Math.log1p(Math.exp(v)))],
  ['selu', tf.selu, (v) => 1.0507009873554805 * (v < 0 ? 1.6732632423543772 * Math.expm1(v) : v)],
];

describeBackends('NaN propagation', () => {
  for (const [name, op, reference] of ELEMENTWISE) {
    it(`${name} keeps NaN (either sign) and maps ±Inf as IEEE-754 does`, async () => {
      const x = tf.tensor1d(VALUES);
      const y = op(x);
      const got = await y.data();
      const want = VALUES.map(reference);
      for (let i = 0; i < VALUES.length; i++) {
        if (Number.isNaN(want[i]!)) expect(Number.isNaN(got[i]!), `${name}(${VALUES[i]}) = ${got[i]}; expected NaN`).toBe(true);
        else expect(got[i]!, `${name}(${VALUES[i]})`).toBeCloseTo(want[i]!, 5);
      }
      const n = op(negativeNaN());
      expect(show(await n.data()), `${name}(-NaN)`).toEqual(['NaN', 'NaN']);
      tf.dispose([x, y, n]);
    });
  }

  it('sum, mean, max, min, matMul, softmax and logSoftmax of a row with a NaN are NaN, the other row finite', async () => {
    const x = tf.tensor2d([[1, Number.NaN, 3], [1, 2, 3]]);
    const outs: [string, tf.Tensor][] = [
      ['sum', tf.sum(x, 1)], ['mean', tf.mean(x, 1)], ['max', tf.max(x, 1)], ['min', tf.min(x, 1)], ['matMul', tf.matMul(x, tf.ones([3, 1]))],
      ['softmax', tf.softmax(x)], ['logSoftmax', tf.logSoftmax(x)],
    ];
    for (const [name, o] of outs) {
      const v = await o.data();
      const half = v.length / 2; // row 0 then row 1
      expect(show(v.slice(0, half)).every((e) => e === 'NaN'), `${name}, row with a NaN: ${show(v)}`).toBe(true);
      expect([...v.slice(half)].every(Number.isFinite), `${name}, finite row: ${show(v)}`).toBe(true);
    }
    tf.dispose([x, ...outs.map(([, o]) => o)]);
  });

  it('a NaN or +Inf in one input row makes that row of a Linear → ReLU → MLP output non-finite, and only that row', async () => {
    const rng = new Rng(3);
    const lin = new Linear({ inFeatures: 3, outFeatures: 8 }, rng);
    const mlp = new MLP({ dim: 8, hidden: 16, outDim: 2 }, rng);
    for (const bad of [Number.NaN, Infinity]) {
      const x = tf.tensor2d([[0.5, -1, 2], [bad, 0.1, 0.2]]);
      const y = tf.tidy(() => mlp.forward(tf.relu(lin.forward(x))));
      const v = await y.data();
      expect(show(v.slice(0, 2)).every((e) => typeof e === 'number' && Number.isFinite(e))).toBe(true);
      expect([...v.slice(2)].some((e) => !Number.isFinite(e)), `row with ${bad}: ${show(v.slice(2))}`).toBe(true);
      tf.dispose([x, y]);
    }
    lin.dispose();
    mlp.dispose();
  });
});

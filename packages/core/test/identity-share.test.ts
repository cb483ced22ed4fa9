// Weft's wasm Identity (packages/core/src/kernels/identity.ts) shares its input's data instead of
// copying it: a clone reads the same heap bytes, outlives its original, and the memory goes when
// the last of them is disposed; gradients through ops that save their inputs are unchanged.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@weft/core';

describe('wasm Identity', () => {
  beforeAll(async () => {
    const r = await initBackend({ prefer: ['wasm'], fallback: false });
    expect(r.backend).toBe('wasm');
  });

  it('a clone shares the data, outlives its original, and frees it last', async () => {
    const backend = tf.backend() as unknown as { typedArrayFromHeap(t: tf.Tensor): Float32Array };
    const start = tf.memory();
    const a = tf.tensor1d([1, 2, 3]);
    const b = tf.clone(a);
    expect(backend.typedArrayFromHeap(b).byteOffset).toBe(backend.typedArrayFromHeap(a).byteOffset);
    a.dispose();
    expect(Array.from(await b.data())).toEqual([1, 2, 3]);
    expect(tf.memory().numBytes).toBe(start.numBytes + 12);
    b.dispose();
    expect(tf.memory().numBytes).toBe(start.numBytes);
    expect(tf.memory().numTensors).toBe(start.numTensors);
  });

  it('gradients of ops that save their inputs are unchanged (x·w, tanh) and leak nothing', async () => {
    const x = tf.tensor2d([0.5, -1, 2, 0.25], [2, 2]);
    const w = tf.variable(tf.tensor2d([1, 2, -3, 0.5], [2, 2]));
    const before = tf.memory().numTensors;
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.tanh(tf.matMul(x, w))) as tf.Scalar, [w]);
    // d/dw Σ tanh(x·w) = xᵀ·(1 − tanh²(x·w)), in float64.
    const [xv, wv] = [[0.5, -1, 2, 0.25], [1, 2, -3, 0.5]];
    const h = [0, 1].flatMap((i) => [0, 1].map((j) => 1 - Math.tanh(xv[2 * i]! * wv[j]! + xv[2 * i + 1]! * wv[2 + j]!) ** 2));
    const expected = [0, 1].flatMap((k) => [0, 1].map((j) => xv[k]! * h[j]! + xv[2 + k]! * h[2 + j]!));
    const got = await grads[w.name]!.data();
    expected.forEach((e, i) => expect(Math.abs(got[i]! - e)).toBeLessThan(1e-6));
    tf.dispose([value, ...Object.values(grads)]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, w]);
  });
});

// Weft's wasm broadcasting binary kernels (packages/core/src/kernels/broadcast-binary.ts) against
// the tfjs wasm kernels they replace, on every broadcast class: a row or a column repeated, an outer
// product, a middle axis, same shapes, scalars, rank 4 with size-1 axes, rank differences, both operands repeating,
// operands swapped; float32 with NaN, ±0 and ±Inf, int32 near the wrap-around, bool. Exact equality
// (values and dtype): the same element function, another loop order.
import * as tf from '@tensorflow/tfjs-core';
import type { DataType, KernelBackend, TensorInfo } from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, Rng } from '@weft/core';
import { tfjsKernel } from '../src/kernels/index.js';
import { BROADCAST_BINARY_KERNELS, broadcastRuns } from '../src/kernels/broadcast-binary.js';

const rng = new Rng(11);
const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** Values with ties across operands (small integers), and NaN/±0/±Inf for float32; int32 near ±2³¹. */
function values(shape: number[], dtype: DataType): Float32Array | Int32Array | Uint8Array {
  const n = size(shape);
  if (dtype === 'bool') return Uint8Array.from({ length: n }, () => (rng.uniform(0, 1) < 0.5 ? 1 : 0));
  if (dtype === 'int32') return Int32Array.from({ length: n }, (_, i) => (i % 7 === 3 ? 2147483600 + i : i % 11 === 5 ? -2147483600 - i : Math.floor(rng.uniform(-3, 3))));
  const special = [NaN, 0, -0, Infinity, -Infinity];
  return Float32Array.from({ length: n }, (_, i) => (i % 3 === 1 ? special[Math.floor(i / 3) % special.length]! : Math.floor(rng.uniform(-3, 3))));
}

const SHAPES: Array<[number[], number[]]> = [
  [[5, 7], [5, 7]],
  [[5, 7], []],
  [[1], [4, 3]],
  [[], []],
  [[5, 7], [5, 1]],
  [[5, 7], [1, 7]],
  [[6, 1], [1, 9]],
  [[1, 9], [6, 1]],
  [[3, 4, 5], [3, 1, 5]],
  [[2, 1, 3, 1], [1, 4, 3, 5]],
  [[4, 3, 5], [5]],
  [[5], [4, 3, 5]],
  [[2, 3, 1, 4], [2, 3, 6, 4]],
  [[1, 1, 7], [3, 1, 1]],
];

/** Run `kernel` (tfjs's original when `tfjs`) on a, b; values and dtype. */
function run(name: string, tfjs: boolean, a: tf.Tensor, b: tf.Tensor) {
  if (!tfjs) {
    const y = tf.engine().runKernel(name, { a, b }) as tf.Tensor;
    const out = { values: Array.from(y.dataSync()), shape: y.shape, dtype: y.dtype };
    y.dispose();
    return out;
  }
  const original = tfjsKernel(name, 'wasm');
  expect(original, `tfjs wasm's ${name}`).toBeDefined();
  const backend = tf.backend() as KernelBackend & { readSync(id: object): ArrayLike<number> };
  const y = original!.kernelFunc({ inputs: { a, b }, backend, attrs: {} }) as TensorInfo;
  const out = { values: Array.from(backend.readSync(y.dataId)), shape: y.shape, dtype: y.dtype };
  backend.disposeData(y.dataId);
  return out;
}

const DTYPES: Record<string, DataType[]> = {
  LogicalAnd: ['bool'],
  LogicalOr: ['bool'],
  Maximum: ['float32', 'int32'],
  Minimum: ['float32', 'int32'],
  Add: ['int32'],
  Sub: ['int32'],
  Multiply: ['int32'],
};

describe('wasm broadcasting binary kernels', () => {
  beforeAll(async () => {
    const r = await initBackend({ prefer: ['wasm'], fallback: false });
    expect(r.backend).toBe('wasm');
  });

  for (const name of BROADCAST_BINARY_KERNELS) {
    it(`${name} equals tfjs wasm's kernel on every broadcast class`, () => {
      for (const dtype of DTYPES[name] ?? (['float32', 'int32', 'bool'] as DataType[])) {
        for (const [sa, sb] of SHAPES) {
          const a = tf.tensor(values(sa, dtype), sa, dtype);
          const b = tf.tensor(values(sb, dtype), sb, dtype);
          const [ours, theirs] = [run(name, false, a, b), run(name, true, a, b)];
          const what = `${name} ${dtype} [${sa}] ⊙ [${sb}]`;
          expect(ours.shape, what).toEqual(theirs.shape);
          expect(ours.dtype, what).toBe(theirs.dtype);
          for (let i = 0; i < theirs.values.length; i++) {
            // Object.is: NaN equals NaN, and -0 is not 0 (Maximum/Minimum keep the sign tfjs keeps).
            if (!Object.is(ours.values[i], theirs.values[i])) expect(`${what} [${i}]: ${ours.values[i]}`).toBe(`${what} [${i}]: ${theirs.values[i]}`);
          }
          tf.dispose([a, b]);
        }
      }
    });
  }

  it('simplifies a broadcast to merged runs with repeat strides', () => {
    expect(broadcastRuns([2, 1, 3, 1], [1, 4, 3, 5])).toEqual({ dims: [2, 4, 3, 5], aStrides: [3, 0, 1, 0], bStrides: [0, 15, 5, 1] });
    // (4, 3, 5) ⊙ (5): the two leading axes merge (b repeats over both).
    expect(broadcastRuns([4, 3, 5], [5])).toEqual({ dims: [12, 5], aStrides: [5, 1], bStrides: [0, 1] });
    expect(broadcastRuns([1, 1, 7], [3, 1, 1])).toEqual({ dims: [3, 7], aStrides: [0, 1], bStrides: [1, 0] });
  });

  it('leaks nothing; empty operands go to tfjs’s kernel', () => {
    const a = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    const before = tf.memory().numTensors;
    const got = tf.tidy(() =>
      [tf.equal(a, a), tf.lessEqual(a, 2), tf.equal(a, tf.tensor2d([1, 5], [1, 2])), tf.maximum(a, tf.tensor1d([2, 2])), tf.equal(tf.zeros([0, 2]), tf.ones([1, 2]))].map((t) => Array.from(t.dataSync())),
    );
    expect(got).toEqual([[1, 1, 1, 1], [1, 1, 0, 0], [1, 0, 0, 0], [2, 2, 3, 4], []]);
    expect(tf.memory().numTensors).toBe(before);
    a.dispose();
  });
});

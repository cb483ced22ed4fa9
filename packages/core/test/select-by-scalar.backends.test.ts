// selectByScalar / selectAllByScalar (ops/select-by-scalar.ts) on every backend: `condition ? a : b`
// for a bool scalar condition is exactly the chosen operand's values (a select copies values; tfjs's
// `where` is no reference here: on wasm it corrupts the heap for bool operands) for float32,
// int32 and bool operands of rank 0 to 3 and an empty one, with both verdicts; no tensor leaks. On
// webgpu it is one WGSL dispatch per tensor (kernels/select-by-scalar-webgpu.ts), where `where`
// tiles the condition first.
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { describeBackends } from '@weft/core/testing';
import { Rng } from '@weft/core';
import { selectAllByScalar, selectByScalar } from '../src/ops/select-by-scalar.js';

const SHAPES = [[], [5], [3, 4], [2, 3, 2], [0, 3]];

describeBackends('selectByScalar', (backend) => {
  for (const dtype of ['float32', 'int32', 'bool'] as const) {
    it(`${dtype}: the chosen operand for either verdict, shapes ${SHAPES.map((s) => `[${s}]`).join(' ')}`, async () => {
      const rng = new Rng(7);
      const make = (s: number[]) => {
        const n = s.reduce((p, d) => p * d, 1);
        const v = rng.normalArray(n).map((x) => (dtype === 'float32' ? x : dtype === 'int32' ? Math.round(x * 100) : Number(x > 0)));
        return tf.tensor(v, s, dtype);
      };
      const [as, bs] = [SHAPES.map(make), SHAPES.map(make)];
      for (const verdict of [true, false]) {
        const c = tf.scalar(verdict, 'bool');
        const before = tf.memory().numTensors;
        const dispatches = countDispatches();
        const one = as.map((a, i) => selectByScalar(c, a, bs[i]!));
        const n = dispatches.stop();
        const all = selectAllByScalar(c, as, bs);
        for (let i = 0; i < SHAPES.length; i++) {
          for (const got of [one[i]!, all[i]!]) {
            expect(got.shape).toEqual(SHAPES[i]);
            expect(got.dtype).toBe(dtype);
            expect(Array.from(await got.data())).toEqual(Array.from(await (verdict ? as[i]! : bs[i]!).data()));
          }
        }
        if (backend === 'webgpu') expect(n, 'one dispatch per non-empty tensor').toBe(SHAPES.length - 1);
        tf.dispose([...one, ...all]);
        expect(tf.memory().numTensors, 'no tensor left behind').toBe(before);
        c.dispose();
      }
      tf.dispose([...as, ...bs]);
    });
  }
  it('refuses a condition that is not a bool scalar', () => {
    const [a, b] = [tf.ones([2]), tf.zeros([2])];
    expect(() => selectByScalar(tf.tensor1d([true], 'bool') as unknown as tf.Scalar, a, b)).toThrow(/condition has shape \[1\].*expected a bool scalar/);
    tf.dispose([a, b]);
  });
});

/** Count the WebGPU programs the webgpu backend dispatches (non-empty outputs: tfjs skips the rest) until `stop()`; 0 elsewhere. */
function countDispatches(): { stop(): number } {
  const b = tf.backend() as unknown as { runWebGPUProgram?: (...a: unknown[]) => unknown };
  const original = b.runWebGPUProgram;
  let n = 0;
  const size = (p: unknown) => (p as { outputShape: number[] }).outputShape.reduce((q, d) => q * d, 1);
  if (original) b.runWebGPUProgram = (...a: unknown[]) => (size(a[0]) > 0 && n++, original.apply(b, a));
  return { stop: () => (original && (b.runWebGPUProgram = original), n) };
}

// The non-finite guard's multi-tensor kernels on cpu and wasm (kernels/all-finite.ts,
// kernels/select-by-scalar.ts): allFinite equals Number.isFinite over every element of every input
// (NaN, ±Inf at any position, int32 and bool inputs, finite values whose sum overflows float32), and
// selectAllByScalar returns each pair's chosen input, shared without a copy — each one kernel call.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, Rng } from '@weft/core';
import { allFinite } from '../src/train/non-finite-guard.js';
import { selectAllByScalar } from '../src/ops/select-by-scalar.js';
import { writeFiniteCheck } from '../src/kernels/all-finite.js';
import { writeAdamModule } from '../src/kernels/optimizer-update-simd.js';
import { writeModule } from '../src/kernels/wasm-module.js';

it('the wasm SIMD modules of the finite check and of Adam are under 4 KB', () => {
  expect(writeModule({ check: writeFiniteCheck() }, false).length).toBeLessThan(4096);
  expect(writeModule(writeAdamModule(), false).length).toBeLessThan(4096);
});

beforeAll(async () => {
  expect((await initBackend({ prefer: ['cpu'], fallback: false })).backend).toBe('cpu');
  expect((await initBackend({ prefer: ['wasm'], fallback: false })).backend).toBe('wasm');
});

for (const backend of ['cpu', 'wasm']) {
  describe(`guard kernels on ${backend}`, () => {
    it('allFinite equals Number.isFinite over every element, in one kernel', async () => {
      await tf.setBackend(backend);
      const rng = new Rng(3);
      for (let trial = 0; trial < 60; trial++) {
        const arrays = Array.from({ length: 1 + rng.int(5) }, () => rng.normalArray(rng.int(40)));
        const special = [Number.NaN, Infinity, -Infinity, 3e38][trial % 4]!;
        if (trial % 5 !== 0) {
          const a = arrays[rng.int(arrays.length)]!;
          if (a.length > 0) a[rng.int(a.length)] = special;
        }
        if (special === 3e38) arrays.push(new Float32Array([3e38, 3e38])); // finite, though its sum is not
        const expected = arrays.every((a) => a.every(Number.isFinite));
        const tensors = [...arrays.map((a) => tf.tensor1d(a)), tf.tensor1d([1, 2], 'int32'), tf.tensor1d([1, 0], 'bool')];
        const profile = await tf.profile(async () => {
          const f = allFinite(tensors);
          expect(await f.data(), `trial ${trial}`).toEqual(new Uint8Array([expected ? 1 : 0]));
          f.dispose();
        });
        expect(profile.kernels.map((k) => k.name)).toEqual(['WeftAllFinite']);
        tf.dispose(tensors);
      }
    });

    it('selectAllByScalar picks each pair’s side without a copy, in one kernel, leaking nothing', async () => {
      await tf.setBackend(backend);
      const as = [tf.tensor1d([1, 2]), tf.tensor2d([[3]]), tf.scalar(4)];
      const bs = [tf.tensor1d([5, 6]), tf.tensor2d([[7]]), tf.scalar(8)];
      const before = tf.memory().numTensors;
      for (const c of [true, false]) {
        const cond = tf.scalar(c, 'bool');
        const profile = await tf.profile(() => {
          const out = selectAllByScalar(cond, as, bs);
          out.forEach((o, i) => {
            expect(o.dataId).toBe((c ? as : bs)[i]!.dataId);
            expect(o.shape).toEqual(as[i]!.shape);
          });
          tf.dispose(out);
        });
        expect(profile.kernels.map((k) => k.name)).toEqual(['WeftSelectAllByScalar']);
        cond.dispose();
      }
      expect(tf.memory().numTensors).toBe(before);
      expect(await as[0]!.data()).toEqual(new Float32Array([1, 2])); // inputs untouched
      expect(() => selectAllByScalar(tf.scalar(1), as, bs)).toThrow('expected a bool scalar');
      expect(() => selectAllByScalar(tf.scalar(true, 'bool'), as, bs.slice(1))).toThrow('3 tensors to select from one side and 2');
      tf.dispose([...as, ...bs]);
    });
  });
}

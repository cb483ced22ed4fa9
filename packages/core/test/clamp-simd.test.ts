// Weft's wasm Relu, Relu6 and ClipByValue (kernels/nan-activations.ts: wasm SIMD pmax/pmin for
// float32) equal tfjs cpu's kernels exactly — bit for bit, −0 and NaN included — on every length
// class (the SIMD body and its 1–3-element tail), and int32 takes the JS path.
import * as tf from '@tensorflow/tfjs-core';
import type { DataType, NamedAttrMap } from '@tensorflow/tfjs-core';
import { beforeAll, expect, it } from 'vitest';
import { initBackend, Rng } from '@weft/core';
import { writeClamp } from '../src/kernels/nan-activations.js';
import { writeModule } from '../src/kernels/wasm-module.js';

beforeAll(async () => {
  expect((await initBackend({ prefer: ['cpu'], fallback: false })).backend).toBe('cpu');
  expect((await initBackend({ prefer: ['wasm'], fallback: false })).backend).toBe('wasm');
});

async function run(backend: string, name: string, data: Float32Array | Int32Array, dtype: DataType, attrs: object) {
  await tf.setBackend(backend);
  const x = tf.tensor1d(data, dtype);
  const y = tf.engine().runKernel(name, { x }, attrs as NamedAttrMap) as tf.Tensor;
  const out = y.dataSync().slice();
  tf.dispose([x, y]);
  return out;
}

it('the clamp module is under 4 KB', () => {
  expect(writeModule({ clamp: writeClamp(), clampIeee: writeClamp(true) }, false).length).toBeLessThan(4096);
});

it('Relu, Relu6, ClipByValue on wasm equal cpu bit for bit (float32 with NaN/±Inf/−0, int32; lengths 0–9, 1031)', async () => {
  const rng = new Rng(11);
  const kernels: [string, object][] = [['Relu', {}], ['Relu6', {}], ['ClipByValue', { clipValueMin: -0.5, clipValueMax: 0.25 }]];
  for (const [name, attrs] of kernels) {
    for (const n of [0, 1, 2, 3, 4, 5, 7, 8, 9, 1031]) {
      const f = Float32Array.from({ length: n }, (_, i) => [Number.NaN, Infinity, -Infinity, -0, 0, 7][i % 11] ?? rng.uniform(-8, 8));
      const [w, c] = [await run('wasm', name, f, 'float32', attrs), await run('cpu', name, f, 'float32', attrs)];
      const [wb, cb] = [new Int32Array((w as Float32Array).buffer), new Int32Array((c as Float32Array).buffer)];
      // Same bits, except that any NaN may be any NaN.
      for (let i = 0; i < n; i++) if (!(Number.isNaN(w[i]!) && Number.isNaN(c[i]!))) expect(wb[i], `${name} n=${n} at ${i}: ${w[i]} vs ${c[i]}`).toBe(cb[i]);
      const ints = Int32Array.from({ length: n }, () => Math.floor(rng.uniform(-10, 10)));
      expect(Array.from(await run('wasm', name, ints, 'int32', attrs))).toEqual(Array.from(await run('cpu', name, ints, 'int32', attrs)));
    }
  }
});

// Weft's wasm Tile (kernels/tile.ts: block copies) equals tfjs cpu's Tile exactly on every shape
// class — rank 0 to 4, reps of 1 on any axis, a column broadcast across (a router's [512, 1] × 64),
// zero-size outputs — for float32 (NaN payloads and -0 kept as bits), int32 and bool; its gradient
// (a sum over the copies) equals cpu's; nothing leaks.
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { Rng, initBackend } from '@weft/core';

const rng = new Rng(11);
const CASES: [number[], number[]][] = [
  [[], []], [[3], [4]], [[2, 3], [1, 1]], [[2, 3], [2, 1]], [[2, 3], [1, 3]], [[2, 3], [3, 2]],
  [[512, 1], [1, 64]], [[1, 64], [512, 1]], [[2, 1, 3], [2, 3, 1]], [[2, 2, 1, 3], [1, 2, 4, 2]], [[0, 3], [2, 2]], [[2, 3], [0, 1]],
];

async function on(backend: 'wasm' | 'cpu', f: () => tf.Tensor): Promise<{ bits: number[]; shape: number[]; dtype: string }> {
  await initBackend({ prefer: [backend], fallback: false });
  const t = f();
  const data = await t.data();
  const bits = t.dtype === 'float32' ? Array.from(new Uint32Array(new Float32Array(data as Float32Array).buffer)) : Array.from(data as Int32Array | Uint8Array);
  const out = { bits, shape: t.shape, dtype: t.dtype };
  t.dispose();
  return out;
}

describe('Tile on wasm', () => {
  for (const [shape, reps] of CASES) {
    for (const dtype of ['float32', 'int32', 'bool'] as const) {
      it(`[${shape}] × [${reps}] ${dtype}: equals cpu's bit for bit`, async () => {
        const n = shape.reduce((p, d) => p * d, 1);
        const values = Array.from({ length: n }, (_, i) => (dtype === 'float32' ? [NaN, -0, Infinity][i % 11] ?? rng.uniform(-5, 5) : dtype === 'int32' ? Math.floor(rng.uniform(-1e6, 1e6)) : i % 3 === 0 ? 1 : 0));
        const make = () => tf.tile(tf.tensor(values, shape, dtype), reps);
        expect(await on('wasm', make)).toEqual(await on('cpu', make));
      });
    }
  }

  it('its gradient (a sum over the copies) equals cpu’s, and nothing leaks', async () => {
    const x = Array.from({ length: 6 }, () => rng.uniform(-1, 1));
    const w = Array.from({ length: 6 * 6 }, () => rng.uniform(-1, 1));
    const grad = () => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.tile(t, [3, 2]), tf.tensor(w, [6, 6]))))(tf.tensor(x, [2, 3]));
    const [a, b] = [await on('wasm', grad), await on('cpu', grad)];
    a.bits.forEach((v, i) => expect(Math.abs(new Float32Array(new Uint32Array([v]).buffer)[0]! - new Float32Array(new Uint32Array([b.bits[i]!]).buffer)[0]!)).toBeLessThan(1e-5));
    await initBackend({ prefer: ['wasm'], fallback: false });
    const t = tf.tensor([1, 2, 3], [3, 1]);
    const before = tf.memory().numTensors;
    tf.tile(t, [2, 5]).dispose();
    expect(tf.memory().numTensors).toBe(before);
    t.dispose();
  });
});

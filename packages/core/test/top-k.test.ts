// Weft's one-pass TopK for small k on tfjs wasm (packages/core/src/kernels/top-k.ts) against the tfjs
// wasm kernel it replaces (and tfjs cpu's on rows without ties, which cpu orders otherwise): values and
// indices exactly (they pick and copy, no arithmetic), on 1-D to 3-D inputs, k = 1 … n, rows with ties
// (equal values, −0 and 0: lower index first), ±Inf, int32; a row holding NaN and k > TOP_K_SMALL_K go
// to tfjs's kernel.
import * as tf from '@tensorflow/tfjs-core';
import type { DataType, KernelBackend, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, Rng } from '@weft/core';
import { tfjsKernel } from '../src/kernels/index.js';
import { TOP_K_SMALL_K, topKRows } from '../src/kernels/top-k.js';

const rng = new Rng(11);

/** [values, indices] of TopK through the engine on `backend` (Weft's kernel on wasm). */
async function viaEngine(backend: string, data: Float32Array | Int32Array, shape: number[], dtype: DataType, k: number) {
  await tf.setBackend(backend);
  const x = tf.tensor(data, shape, dtype);
  const [v, i] = tf.engine().runKernel('TopK', { x }, { k, sorted: true } as unknown as NamedAttrMap) as tf.Tensor[];
  const out = [Array.from(await v!.data()), Array.from(await i!.data())];
  tf.dispose([x, v!, i!]);
  return out;
}

/** [values, indices] of tfjs wasm's own TopK (the kernel Weft replaced). */
async function viaTfjsWasm(data: Float32Array | Int32Array, shape: number[], dtype: DataType, k: number) {
  await tf.setBackend('wasm');
  const original = tfjsKernel('TopK', 'wasm');
  expect(original, "tfjs wasm's TopK").toBeDefined();
  const backend = tf.backend() as KernelBackend & { readSync(id: object): ArrayLike<number> };
  const x = tf.tensor(data, shape, dtype);
  const outs = original!.kernelFunc({ inputs: { x }, backend, attrs: { k, sorted: true } as unknown as NamedAttrMap }) as TensorInfo[];
  const res = outs.map((o) => Array.from(backend.readSync(o.dataId)));
  for (const o of outs) backend.disposeData(o.dataId);
  x.dispose();
  return res;
}

function data(n: number, dtype: DataType, kind: 'random' | 'ties' | 'special'): Float32Array | Int32Array {
  if (dtype === 'int32') return Int32Array.from({ length: n }, () => Math.floor(rng.uniform(-4, 4)));
  if (kind === 'random') return Float32Array.from({ length: n }, () => rng.normal());
  if (kind === 'ties') return Float32Array.from({ length: n }, () => Math.floor(rng.uniform(-2, 2)) * 0.5); // many equal values
  return Float32Array.from({ length: n }, () => [Infinity, -Infinity, -0, 0, 1, -1][Math.floor(rng.uniform(0, 6))]!); // ±Inf, −0 and 0
}

describe('TopK (wasm, small k)', () => {
  beforeAll(async () => {
    expect((await initBackend({ prefer: ['cpu'], fallback: false })).backend).toBe('cpu');
    expect((await initBackend({ prefer: ['wasm'], fallback: false })).backend).toBe('wasm');
  });

  const shapes: number[][] = [[7], [5, 4], [3, 2, 9], [16, 64]];
  for (const shape of shapes) {
    for (const kind of ['random', 'ties', 'special'] as const) {
      for (const dtype of (kind === 'random' ? ['float32', 'int32'] : ['float32']) as DataType[]) {
        it(`${dtype} ${kind} [${shape}]: every k equals tfjs wasm's and cpu's TopK exactly`, async () => {
          const n = shape[shape.length - 1]!;
          const x = data(shape.reduce((a, b) => a * b, 1), dtype, kind);
          for (const k of [1, 2, Math.min(3, n), Math.min(TOP_K_SMALL_K, n), n]) {
            const ours = await viaEngine('wasm', x, shape, dtype, k);
            if (k <= TOP_K_SMALL_K) {
              // The registered kernel is Weft's: the one-pass loop alone gives the same.
              const rows = x.length / n;
              const [v, i] = [dtype === 'int32' ? new Int32Array(rows * k) : new Float32Array(rows * k), new Int32Array(rows * k)];
              expect(topKRows(x, rows, n, k, v, i)).toBe(true);
              expect([Array.from(v), Array.from(i)]).toEqual(ours);
            }
            expect(ours, `k=${k} vs tfjs wasm`).toEqual(await viaTfjsWasm(x, shape, dtype, k));
            if (kind === 'random' && dtype === 'float32') expect(ours, `k=${k} vs tfjs cpu`).toEqual(await viaEngine('cpu', x, shape, dtype, k)); // no ties: cpu orders equal values otherwise
          }
        });
      }
    }
  }

  it('a row holding NaN goes to tfjs wasm (same result), and nothing leaks', async () => {
    expect(tf.getKernel('TopK', 'wasm')!.kernelFunc).not.toBe(tfjsKernel('TopK', 'wasm')!.kernelFunc);
    const x = Float32Array.from({ length: 24 }, () => rng.normal());
    x[13] = NaN;
    expect(await viaEngine('wasm', x, [4, 6], 'float32', 2)).toEqual(await viaTfjsWasm(x, [4, 6], 'float32', 2));
    await tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    for (const row of [x, Float32Array.of(3, 1, 2)]) {
      const t = tf.tensor1d(row);
      const r = tf.topk(t, 2);
      tf.dispose([t, r.values, r.indices]);
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});

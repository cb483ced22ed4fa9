// Weft's wasm SIMD Sum/Mean/Max/Min and Transpose (packages/core/src/kernels/reduce-simd.ts,
// transpose-simd.ts) against the tfjs kernels they replace — tfjs wasm's own kernel and tfjs cpu's —
// on every shape class: 1-D, leading/trailing/middle and several axes, negative axes, keepDims,
// size-1 axes, odd sizes (every SIMD tail), int32, NaN and ±Inf. Tolerances: Max/Min, int32 and
// Transpose exact (bit copies for Transpose); float32 Sum of n terms in [-1, 1) |a − b| ≤ 1e-6·max(n, 5)
// + 1e-5·|b| (another summation order), Mean 5e-6 + 1e-5·|b|.
import * as tf from '@tensorflow/tfjs-core';
import type { DataType, KernelBackend, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, Rng } from '@weft/core';
import { tfjsKernel } from '../src/kernels/index.js';
import { reductionRuns, writeReduceModule } from '../src/kernels/reduce-simd.js';
import { simplifyPermutation, writeTransposeModule } from '../src/kernels/transpose-simd.js';
import { writeModule } from '../src/kernels/wasm-module.js';

const rng = new Rng(7);
const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Values of `shape` in [-1, 1) (float32) or [-50, 50) (int32), with NaN/±Inf at a few places when `special`. */
function values(shape: number[], dtype: DataType, special = false): Float32Array | Int32Array {
  const n = size(shape);
  if (dtype === 'int32') return Int32Array.from({ length: n }, () => Math.floor(rng.uniform(-50, 50)));
  const v = Float32Array.from({ length: n }, () => rng.uniform(-1, 1));
  if (special && n > 0) {
    v[Math.floor(n / 3)] = NaN;
    v[Math.floor((2 * n) / 3)] = Infinity;
    v[n - 1] = -Infinity;
  }
  return v;
}

/** Output of kernel `name` run through the engine on `backend` (Weft's kernel on wasm). */
async function run(backend: string, name: string, shape: number[], data: Float32Array | Int32Array | Uint8Array, dtype: DataType, attrs: object) {
  await tf.setBackend(backend);
  const x = tf.tensor(data, shape, dtype);
  const y = tf.engine().runKernel(name, { x }, attrs as NamedAttrMap) as tf.Tensor;
  const out = { values: y.dataSync().slice(), shape: y.shape, dtype: y.dtype };
  tf.dispose([x, y]);
  return out;
}

/** Output of tfjs wasm's own kernel `name` (the one Weft replaced). */
async function runTfjsWasm(name: string, shape: number[], data: Float32Array | Int32Array | Uint8Array, dtype: DataType, attrs: object) {
  await tf.setBackend('wasm');
  const original = tfjsKernel(name, 'wasm');
  expect(original, `tfjs wasm's ${name}`).toBeDefined();
  const backend = tf.backend() as KernelBackend & { readSync(id: object): ArrayLike<number> };
  const x = tf.tensor(data, shape, dtype);
  const y = original!.kernelFunc({ inputs: { x }, backend, attrs: attrs as NamedAttrMap }) as TensorInfo;
  const out = { values: Array.from(backend.readSync(y.dataId)), shape: y.shape, dtype: y.dtype };
  backend.disposeData(y.dataId);
  x.dispose();
  return out;
}

/** Elementwise agreement within atol + rtol·|b|; NaN only where the reference is NaN, infinities equal. */
function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, atol: number, rtol: number, what: string) {
  expect(a.length, `${what}: length`).toBe(b.length);
  for (let i = 0; i < b.length; i++) {
    const [p, q] = [a[i]!, b[i]!];
    const ok = Number.isNaN(q) ? Number.isNaN(p) : Number.isFinite(q) ? Math.abs(p - q) <= atol + rtol * Math.abs(q) : p === q;
    if (!ok) expect.fail(`${what}: element ${i} is ${p}, expected ${q}`);
  }
}

beforeAll(async () => {
  expect((await initBackend({ prefer: ['cpu'], fallback: false })).backend).toBe('cpu');
  expect((await initBackend({ prefer: ['wasm'], fallback: false })).backend).toBe('wasm');
});

describe('the SIMD modules', () => {
  it('each compiles under 4 KB (Chromium compiles at most 4 KB synchronously on the main thread)', () => {
    for (const op of ['sum', 'max', 'min'] as const) {
      for (const dtype of ['f32', 'i32'] as const) expect(writeModule(writeReduceModule(op, dtype), false).length, `${op} ${dtype}`).toBeLessThan(4096);
    }
    expect(writeModule(writeTransposeModule(), false).length).toBeLessThan(4096);
  });

  it('reductionRuns and simplifyPermutation collapse shapes as documented', () => {
    expect(reductionRuns([4, 1, 3, 5], [2, 3])).toEqual([[4, false], [15, true]]);
    expect(reductionRuns([2, 3, 4, 5], [0, 2])).toEqual([[2, true], [3, false], [4, true], [5, false]]);
    expect(simplifyPermutation([2, 3, 4], [0, 2, 1])).toEqual({ shape: [2, 3, 4], perm: [0, 2, 1] });
    expect(simplifyPermutation([2, 3, 4], [1, 2, 0])).toEqual({ shape: [2, 12], perm: [1, 0] });
    expect(simplifyPermutation([2, 1, 3], [2, 1, 0])).toEqual({ shape: [2, 3], perm: [1, 0] });
    expect(simplifyPermutation([5, 1], [1, 0])).toEqual({ shape: [5], perm: [0] });
  });
});

describe('Sum, Mean, Max and Min on wasm equal tfjs wasm and tfjs cpu', () => {
  // [shape, axis]: 1-D, 2-D either axis and both, 3-D every axis set, a middle axis, negative
  // axes, size-1 axes, odd sizes (SIMD tails of 16, 4 and 1), a long leading axis (bias gradients).
  const cases: [number[], number | number[]][] = [
    [[1], 0], [[7], 0], [[37], [0]], [[5, 6], 0], [[5, 6], 1], [[5, 6], [0, 1]], [[17, 33], 0], [[17, 33], -1],
    [[3, 4, 5], 0], [[3, 4, 5], 1], [[3, 4, 5], 2], [[3, 4, 5], [0, 2]], [[3, 4, 5], [1, 2]], [[3, 4, 5], [0, 1]], [[3, 4, 5], [-3, -2, -1]],
    [[2, 3, 4, 5], [0, 2]], [[2, 3, 4, 5], [1, 3]], [[1, 5, 1, 3], [0, 2]], [[1, 5, 1, 3], [1, 2]], [[6, 1, 9], [1]],
    [[129, 70], 0], [[70, 129], 1], [[5000, 3], 0], [[3, 5000], 1], [[64, 2, 19], [0, 2]],
  ];
  for (const name of ['Sum', 'Mean', 'Max', 'Min']) {
    for (const dtype of (name === 'Mean' ? ['float32'] : ['float32', 'int32']) as DataType[]) {
      for (const keepDims of [false, true]) {
        it(`${name} ${dtype} keepDims=${keepDims}: ${cases.length} shapes and axes`, async () => {
          const exact = dtype === 'int32' || name === 'Max' || name === 'Min';
          for (const [shape, axis] of cases) {
            // A float32 sum of n terms in [-1, 1) in another order: within 1e-6·n (Mean: the same over n).
            const n = [axis].flat().reduce((p, a) => p * shape[a < 0 ? a + shape.length : a]!, 1);
            const [atol, rtol] = exact ? [0, 0] : [1e-6 * Math.max(5, name === 'Mean' ? 1 : n), 1e-5];
            const data = values(shape, dtype);
            const attrs = name === 'Max' ? { reductionIndices: axis, keepDims } : { axis, keepDims };
            const what = `${name} ${dtype} [${shape}] axis ${JSON.stringify(axis)}`;
            const weft = await run('wasm', name, shape, data, dtype, attrs);
            const cpu = await run('cpu', name, shape, data, dtype, attrs);
            const tfjsWasm = await runTfjsWasm(name, shape, data, dtype, attrs);
            expect(weft.shape, what).toEqual(cpu.shape);
            expect(weft.dtype, what).toBe(cpu.dtype);
            expect(weft.shape, what).toEqual(tfjsWasm.shape);
            expectClose(weft.values, cpu.values, atol, rtol, `${what} vs cpu`);
            expectClose(weft.values, tfjsWasm.values, atol, rtol, `${what} vs tfjs wasm`);
          }
        });
      }
    }
  }

  it('NaN and ±Inf propagate as on tfjs cpu (Sum, Mean, Max, Min; float32)', async () => {
    for (const name of ['Sum', 'Mean', 'Max', 'Min']) {
      for (const [shape, axis] of [[[40], 0], [[9, 21], 0], [[9, 21], 1], [[4, 6, 5], [0, 2]]] as [number[], number | number[]][]) {
        const data = values(shape, 'float32', true);
        const what = `${name} [${shape}] axis ${JSON.stringify(axis)} with NaN/±Inf`;
        const attrs = name === 'Max' ? { reductionIndices: axis, keepDims: false } : { axis, keepDims: false };
        const weft = await run('wasm', name, shape, data, 'float32', attrs);
        const cpu = await run('cpu', name, shape, data, 'float32', attrs);
        expect(Array.from(weft.values).some(Number.isNaN), what).toBe(true);
        expectClose(weft.values, cpu.values, 1e-5, 1e-5, what);
      }
    }
  });

  it('tf.sum/mean/max/min (the ops) and their gradients agree with cpu, bool summed as int32, and leak nothing', async () => {
    const data = values([33, 10], 'float32');
    const f = () => {
      const x = tf.tensor2d(data, [33, 10]);
      const [g] = tf.grads((v: tf.Tensor) => tf.add(tf.sum(tf.mul(tf.mean(v, 0), tf.max(v, 1).sum())), tf.min(v)))([x]);
      return [tf.sum(x, 0), tf.mean(x, 1, true), tf.max(x, [0, 1]), tf.min(x, -1), g!, tf.sum(tf.greater(x, 0), 1)];
    };
    const read = async (backend: string) => {
      await tf.setBackend(backend);
      const outs = tf.tidy(f);
      const r = outs.map((t) => ({ v: t.dataSync().slice(), dtype: t.dtype }));
      tf.dispose(outs);
      return r;
    };
    const [w, c] = [await read('wasm'), await read('cpu')];
    w.forEach((r, i) => {
      expect(r.dtype, `output ${i}`).toBe(c[i]!.dtype);
      expectClose(r.v, c[i]!.v, 1e-5, 1e-5, `output ${i}`);
    });
    await tf.setBackend('wasm');
    const backend = tf.backend();
    const before = [tf.memory().numTensors, backend.numDataIds()];
    tf.dispose(tf.tidy(f));
    expect([tf.memory().numTensors, backend.numDataIds()]).toEqual(before);
  });
});

describe('Transpose on wasm equals tfjs wasm and tfjs cpu (exact)', () => {
  /** Every permutation of [0, n). */
  const perms = (n: number): number[][] => (n === 0 ? [[]] : perms(n - 1).flatMap((p) => Array.from({ length: n }, (_, i) => [...p.slice(0, i), n - 1, ...p.slice(i)])));
  const shapes: number[][] = [[7], [1, 1], [13, 70], [70, 13], [4, 4], [8, 65], [3, 9, 5], [2, 3, 4, 5], [2, 1, 3, 1, 4], [5, 1, 130], [6, 4, 3, 9]];
  for (const dtype of ['float32', 'int32'] as DataType[]) {
    it(`${dtype}: every permutation of ${shapes.length} shapes (ranks 1–5, size-1 axes, SIMD tiles and tails)`, async () => {
      for (const shape of shapes) {
        const data = values(shape, dtype, true);
        for (const perm of perms(shape.length)) {
          const what = `${dtype} [${shape}] perm [${perm}]`;
          const weft = await run('wasm', 'Transpose', shape, data, dtype, { perm });
          const cpu = await run('cpu', 'Transpose', shape, data, dtype, { perm });
          const tfjsWasm = await runTfjsWasm('Transpose', shape, data, dtype, { perm });
          expect(weft.shape, what).toEqual(cpu.shape);
          expect(weft.dtype, what).toBe(dtype);
          expectClose(weft.values, cpu.values, 0, 0, `${what} vs cpu`);
          expectClose(weft.values, tfjsWasm.values, 0, 0, `${what} vs tfjs wasm`);
        }
      }
    });
  }

  it('bool and 4096×256 float32 (both tile directions) equal cpu; NaN payload bits are kept; nothing leaks', async () => {
    const bools = Uint8Array.from({ length: 60 }, (_, i) => (i * 7) % 3 === 0 ? 1 : 0);
    const wb = await run('wasm', 'Transpose', [3, 4, 5], bools, 'bool', { perm: [2, 0, 1] });
    const cb = await run('cpu', 'Transpose', [3, 4, 5], bools, 'bool', { perm: [2, 0, 1] });
    expect(Array.from(wb.values)).toEqual(Array.from(cb.values));
    for (const shape of [[4096, 256], [256, 4096]]) {
      const data = values(shape, 'float32');
      const bits = new Int32Array(data.buffer);
      bits[5] = 0x7fc01234; // a NaN with a payload
      const w = await run('wasm', 'Transpose', shape, data, 'float32', { perm: [1, 0] });
      const c = await run('cpu', 'Transpose', shape, data, 'float32', { perm: [1, 0] });
      const [wb, cb] = [new Int32Array((w.values as Float32Array).buffer), new Int32Array((c.values as Float32Array).buffer)];
      expect(wb.length).toBe(cb.length);
      expect(wb.findIndex((v, i) => v !== cb[i]), `[${shape}]: first differing element`).toBe(-1);
      expect(wb.indexOf(0x7fc01234)).toBe(5 * shape[0]!); // x[0][5] is out[5][0]
    }
    await tf.setBackend('wasm');
    const backend = tf.backend();
    const f = () => [tf.transpose(tf.ones([3, 5, 7]), [0, 2, 1]), tf.transpose(tf.ones([3, 5, 7, 2]), [0, 2, 1, 3]), tf.transpose(tf.ones([3, 5]))];
    tf.dispose(tf.tidy(f));
    const before = [tf.memory().numTensors, backend.numDataIds()];
    tf.dispose(tf.tidy(f));
    expect([tf.memory().numTensors, backend.numDataIds()]).toEqual(before);
  });
});

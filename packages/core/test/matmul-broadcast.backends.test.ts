// tf.matMul with broadcast batch dimensions on every backend, against a plain-JS float64 reference
// that pairs batches by numpy's rules, and its gradients against finite differences. tfjs 4.22's
// kernels pair a broadcast non-leading batch dimension wrongly; Weft's registered BatchMatMul fixes
// it (packages/core/src/kernels/batch-mat-mul-broadcast.ts). Tolerance 1e-4 (absolute, values ≲ 5).
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { Rng } from '@weft/core';
import { describeBackends, gradCheck } from '@weft/core/testing';

const sizeOf = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** numpy-style batched matmul of row-major arrays, float64. */
function reference(a: Float32Array, sa: number[], b: Float32Array, sb: number[], ta: boolean, tb: boolean): { values: number[]; shape: number[] } {
  const rank = Math.max(sa.length, sb.length) - 2;
  const pad = (s: number[]) => [...new Array<number>(rank + 2 - s.length).fill(1), ...s];
  const [pa, pb] = [pad(sa), pad(sb)];
  const batch = pa.slice(0, rank).map((d, i) => Math.max(d, pb[i]!));
  const [m, k] = ta ? [pa[rank + 1]!, pa[rank]!] : [pa[rank]!, pa[rank + 1]!];
  const n = tb ? pb[rank]! : pb[rank + 1]!;
  const values: number[] = [];
  const index = (p: number[], flat: number) => {
    // Output batch index -> operand batch offset (broadcast dims read index 0).
    let off = 0;
    let rest = flat;
    const coords = batch.map((_, i) => {
      const stride = sizeOf(batch.slice(i + 1));
      const c = Math.floor(rest / stride);
      rest -= c * stride;
      return c;
    });
    coords.forEach((c, i) => (off = off * p[i]! + (p[i] === 1 ? 0 : c)));
    return off;
  };
  for (let bi = 0; bi < sizeOf(batch); bi++) {
    const ao = index(pa, bi) * m * k;
    const bo = index(pb, bi) * k * n;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let q = 0; q < k; q++) s += a[ao + (ta ? q * m + i : i * k + q)]! * b[bo + (tb ? j * k + q : q * n + j)]!;
        values.push(s);
      }
    }
  }
  return { values, shape: [...batch, m, n] };
}

const cases: [number[], number[], boolean, boolean][] = [
  [[2, 2, 3, 4], [2, 1, 4, 5], false, false], // (B, k) × (B, 1): UMoE's queries per expert against one key set
  [[2, 1, 3, 4], [2, 3, 4, 2], false, false],
  [[3, 1, 2, 2], [1, 4, 2, 3], false, false], // both broadcast
  [[2, 3, 4, 5], [1, 3, 5, 2], false, false], // leading 1: tfjs's own pairing is right; must stay right
  [[2, 3, 4], [4, 5], false, false],
  [[2, 2, 4, 3], [2, 1, 5, 4], true, true],
  [[1, 2, 3, 4], [3, 1, 4, 2], false, false],
];

describeBackends('matMul with broadcast batch dimensions', () => {
  for (const [sa, sb, ta, tb] of cases) {
    it(`[${sa}] × [${sb}] transposeA=${ta} transposeB=${tb}: equals numpy pairing (1e-4)`, async () => {
      const rng = new Rng(sizeOf(sa) + sizeOf(sb));
      const av = Float32Array.from(rng.normalArray(sizeOf(sa)));
      const bv = Float32Array.from(rng.normalArray(sizeOf(sb)));
      const a = tf.tensor(av, sa);
      const b = tf.tensor(bv, sb);
      const y = tf.matMul(a, b, ta, tb);
      const want = reference(av, sa, bv, sb, ta, tb);
      expect(y.shape).toEqual(want.shape);
      const got = await y.data();
      expect(Math.max(...want.values.map((v, i) => Math.abs(v - got[i]!)))).toBeLessThan(1e-4);
      tf.dispose([a, b, y]);
    });
  }

  it('gradients of [2,2,3,4] × [2,1,4,5] match finite differences', async () => {
    const rng = new Rng(2);
    const a = tf.variable(tf.tensor(rng.normalArray(48), [2, 2, 3, 4]));
    const b = tf.variable(tf.tensor(rng.normalArray(40), [2, 1, 4, 5]));
    const w = tf.tensor(rng.normalArray(60), [2, 2, 3, 5]);
    const r = await gradCheck(() => tf.sum(tf.mul(tf.matMul(a, b), w)) as tf.Scalar, { a, b }, { maxEntries: 12 });
    expect(r.ok, JSON.stringify(r)).toBe(true);
    tf.dispose([a, b, w]);
  });
});

// gatherRows (ops/gather-rows.ts; kernels/gather-rows*.ts) on every backend: rows equal a naive
// lookup exactly (index R, one past the last row, reads zeros), and x's gradient equals the
// composition's autodiff (Concat of a zero row + tf.gather) and a naive scatter-add of dy that drops
// index R; tolerance 1e-6 (sums of the same terms in another order). No tensor leaks. On cpu and
// wasm one kernel each way (no Concat, Transpose, UnsortedSegmentSum or SplitV); an index outside
// [0, R] is refused there, naming it.
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { describeBackends } from '@weft/core/testing';
import { Rng, gatherRows } from '@weft/core';

describeBackends('gatherRows', (backend) => {
  for (const [R, D, M] of [[5, 3, 9], [1, 16, 4], [12, 1, 30]] as const) {
    it(`x [${R}, ${D}], ${M} indices with repeats and empty rows: rows and gradient equal a naive lookup and scatter-add`, async () => {
      const rng = new Rng(R * 31 + D);
      const idx = Int32Array.from({ length: M }, (_, i) => (i * 7 + 3) % (R + 1)); // every value in [0, R], R = empty
      const xs = Float32Array.from(rng.normalArray(R * D));
      const probeValues = Float32Array.from(rng.normalArray(M * D));
      const [x, index, probe] = [tf.tensor2d(xs, [R, D]), tf.tensor1d(idx, 'int32'), tf.tensor2d(probeValues, [M, D])];
      const before = tf.memory().numTensors;
      const y = gatherRows(x, index);
      expect(y.shape).toEqual([M, D]);
      const want = new Float32Array(M * D);
      for (let i = 0; i < M; i++) if (idx[i]! < R) want.set(xs.subarray(idx[i]! * D, idx[i]! * D + D), i * D);
      expect(Array.from(await y.data())).toEqual(Array.from(want));
      const [g] = tf.grads((t: tf.Tensor) => tf.sum(tf.mul(gatherRows(t as tf.Tensor2D, index), probe)))([x]);
      const [gRef] = tf.grads((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(tf.concat([t, tf.zeros([1, D])], 0), index), probe)))([x]);
      const naive = new Float64Array(R * D);
      for (let i = 0; i < M; i++) if (idx[i]! < R) for (let d = 0; d < D; d++) naive[idx[i]! * D + d] += probeValues[i * D + d]!;
      const [got, ref] = [await g!.data(), await gRef!.data()];
      expect(g!.shape).toEqual([R, D]);
      for (let i = 0; i < R * D; i++) {
        expect(Math.abs(got[i]! - ref[i]!), `vs autodiff [${i}]`).toBeLessThanOrEqual(1e-6);
        expect(Math.abs(got[i]! - naive[i]!), `vs scatter-add [${i}]`).toBeLessThanOrEqual(1e-6);
      }
      tf.dispose([y, g!, gRef!]);
      expect(tf.memory().numTensors, 'no tensor left behind').toBe(before);
      if (backend === 'cpu' || backend === 'wasm') {
        const profile = await tf.profile(() => tf.dispose(tf.grads((t: tf.Tensor) => tf.sum(gatherRows(t as tf.Tensor2D, index)))([x])));
        const names = profile.kernels.map((k) => k.name);
        expect(names.filter((k) => k.startsWith('WeftGatherRows'))).toEqual(['WeftGatherRows', 'WeftGatherRowsGrad']);
        expect(names.filter((k) => ['Concat', 'Transpose', 'UnsortedSegmentSum', 'SplitV', 'GatherV2'].includes(k))).toEqual([]);
      }
      tf.dispose([x, index, probe]);
    });
  }

  it('refuses bad arguments, naming them (an index outside [0, R] on cpu and wasm)', () => {
    const x = tf.zeros([3, 2]) as tf.Tensor2D;
    const ok = tf.tensor1d([0, 3], 'int32');
    expect(() => gatherRows(tf.zeros([3]) as unknown as tf.Tensor2D, ok)).toThrow(/ranks 2 and 1/);
    expect(() => gatherRows(x, tf.tensor1d([0, 1]) as tf.Tensor1D)).toThrow(/index has dtype float32; expected int32/);
    expect(() => gatherRows(tf.zeros([3, 2], 'int32') as tf.Tensor2D, ok)).toThrow(/x has dtype int32; expected float32/);
    if (backend === 'cpu' || backend === 'wasm') {
      expect(() => gatherRows(x, tf.tensor1d([0, 4], 'int32'))).toThrow(/index\[1\]=4; allowed: 0 ≤ index ≤ 3/);
      expect(() => gatherRows(x, tf.tensor1d([-1], 'int32'))).toThrow(/index\[0\]=-1/);
    }
    tf.disposeVariables();
  });
});

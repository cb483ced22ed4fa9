// The embedding lookup (ops/embedding.ts; kernels/embedding.ts on cpu and wasm) on every backend: the
// rows equal tf.gather's exactly and the table's gradient equals tf.gather's autodiff and a naive
// scatter-add of dy (ids repeated, rank 1 and 2, a row no id names gets zeros); tolerance 1e-6 (sums of
// the same terms in another order). No tensor leaks; on cpu and wasm one kernel each way, no Transpose.
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { describeBackends } from '@weft/core/testing';
import { Embedding, Rng } from '@weft/core';
import { embeddingLookup } from '../src/ops/embedding.js';

describeBackends('embedding lookup', (backend) => {
  for (const idShape of [[7], [3, 5]]) {
    it(`ids [${idShape}]: rows and table gradient equal tf.gather and a naive scatter-add`, async () => {
      const [V, D] = [6, 4];
      const rng = new Rng(idShape.length);
      const n = idShape.reduce((p, d) => p * d, 1);
      const idValues = Int32Array.from({ length: n }, (_, i) => (i * 5 + 1) % (V - 1)); // repeats; row V−1 never named
      const table = tf.tensor2d(Float32Array.from(rng.normalArray(V * D)), [V, D]);
      const ids = tf.tensor(idValues, idShape, 'int32');
      const rs = Float32Array.from(rng.normalArray(n * D));
      const r = tf.tensor(rs, [...idShape, D]);
      const before = tf.memory().numTensors;
      const y = embeddingLookup(table, ids);
      const yRef = tf.gather(table, ids);
      expect(y.shape).toEqual([...idShape, D]);
      expect(Array.from(await y.data())).toEqual(Array.from(await yRef.data()));
      const [g] = tf.grads((t: tf.Tensor) => tf.sum(tf.mul(embeddingLookup(t, ids), r)))([table]);
      const [gRef] = tf.grads((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, ids), r)))([table]);
      const naive = new Float64Array(V * D);
      for (let i = 0; i < n; i++) for (let d = 0; d < D; d++) naive[idValues[i]! * D + d] += rs[i * D + d]!;
      const got = await g!.data();
      const ref = await gRef!.data();
      for (let i = 0; i < V * D; i++) {
        expect(Math.abs(got[i]! - ref[i]!), `vs autodiff [${i}]`).toBeLessThanOrEqual(1e-6);
        expect(Math.abs(got[i]! - naive[i]!), `vs scatter-add [${i}]`).toBeLessThanOrEqual(1e-6);
      }
      tf.dispose([y, yRef, g!, gRef!]);
      expect(tf.memory().numTensors, 'no tensor left behind').toBe(before);
      if (backend === 'cpu' || backend === 'wasm') {
        const profile = await tf.profile(() => tf.dispose(tf.grads((t: tf.Tensor) => tf.sum(embeddingLookup(t, ids)))([table])));
        const names = profile.kernels.map((k) => k.name);
        expect(names.filter((k) => k === 'WeftEmbedding' || k === 'WeftEmbeddingGrad')).toEqual(['WeftEmbedding', 'WeftEmbeddingGrad']);
        expect(names.filter((k) => k === 'Transpose' || k === 'UnsortedSegmentSum')).toEqual([]);
      }
      tf.dispose([table, ids, r]);
    });
  }

  it('the Embedding layer looks up through it and refuses float ids', () => {
    const e = new Embedding({ numEmbeddings: 5, embeddingDim: 3 }, new Rng(2));
    const ids = tf.tensor1d([4, 0, 4], 'int32');
    const y = e.forward(ids);
    expect(y.shape).toEqual([3, 3]);
    expect(() => e.forward(tf.tensor1d([1, 2]))).toThrow(/int32/);
    tf.dispose([ids, y]);
    e.dispose();
  });
});

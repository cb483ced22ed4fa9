// Hashed Embedding and Conv2d (ROAST / STABLE-RPS): the embedding's rows are the recovered [vocab,
// dim] table's rows, the convolution equals core's Conv2d holding the recovered kernel and bias
// (1e-5), stored values are ⌈n / compression⌉, and ROAST's memory gradient matches finite
// differences (STABLE-RPS scales it by λ⁻² on purpose: hashed.test.ts checks that rule).
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Conv2d, Rng, parameterLedger } from '@weft/core';
import { gradCheck } from '@weft/core/testing';
import { HashedConv2d, HashedEmbedding } from '@weft/sharing';

const maxDiff = async (a: tf.Tensor, b: tf.Tensor) => (await tf.abs(tf.sub(a, b)).max().data())[0]!;

describe('HashedEmbedding', () => {
  for (const method of ['roast', 'stable-rps'] as const) {
    it(`${method}: rows of the recovered table; ⌈V·D / compression⌉ stored`, async () => {
      const e = new HashedEmbedding({ vocabSize: 11, dim: 6, method, compression: 4 }, new Rng(1));
      const ids = tf.tensor2d([[0, 3, 10], [7, 7, 2]], [2, 3], 'int32');
      const table = e.table.weights().weight;
      expect(await maxDiff(e.call(ids), tf.gather(table, ids))).toBe(0);
      expect(parameterLedger(e).totals.stored).toBe(Math.ceil((11 * 6) / 4));
      expect(() => e.call(tf.tensor1d([0.5]))).toThrow(/dtype float32; expected int32/);
      e.dispose();
    });
  }
});

describe('HashedConv2d', () => {
  for (const method of ['roast', 'stable-rps'] as const) {
    it(`${method}: equals core's Conv2d holding the recovered kernel and bias (1e-5); the memory's gradients match finite differences`, async () => {
      const h = new HashedConv2d({ inChannels: 2, outChannels: 3, kernelSize: 3, method, compression: 3 }, new Rng(2));
      const dense = new Conv2d({ inChannels: 2, outChannels: 3, kernelSize: 3, padding: 'same' }, new Rng(3));
      const { weight, bias } = h.kernel.weights();
      dense.weight.assign(tf.reshape(weight, [3, 3, 2, 3]));
      dense.bias!.assign(bias!);
      const x = tf.tensor(new Rng(4).normalArray(2 * 5 * 5 * 2), [2, 5, 5, 2]);
      expect(await maxDiff(h.call(x), dense.call(x))).toBeLessThan(1e-5);
      expect(parameterLedger(h).totals.stored).toBe(Math.ceil((3 * 3 * 2 * 3 + 3) / 3));
      if (method === 'roast') {
        // ROAST's memory gets the plain gradient (STABLE-RPS scales it by λ⁻² on purpose, so no finite-difference match).
        const r = await gradCheck(() => tf.sum(tf.square(h.call(x))) as tf.Scalar, h.namedParameters(), { eps: 1e-3 });
        expect(r.ok, JSON.stringify(r.worst)).toBe(true);
      }
      h.dispose();
      dense.dispose();
    });
  }
});

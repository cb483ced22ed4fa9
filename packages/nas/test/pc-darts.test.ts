// PC-DARTS' partial-channel mixed op (arXiv 1907.05737, §3.1) against a reference computation:
// a full-channel mixed op over C/K channels holding the same candidate weights computes the
// sampled part, the bypassed channels are copied (max-pooled 2×2 at stride 2), and the channel
// shuffle is written out as an index map: output channel a·K + g is channel g·(C/K) + a of
// [ops(x[…, :C/K]), x[…, C/K:]]. Same ops and weights on both sides: |Δ| ≤ 1e-5.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ForwardContext, Rng } from '@weft/core';
import { DARTS_PRIMITIVES, MixedOp } from '../src/index.js';

describe('PC-DARTS partial channels', () => {
  for (const [stride, K] of [[1, 2], [2, 2], [1, 4]] as const) {
    it(`stride ${stride}, K = ${K}: equals the reference computation`, async () => {
      const C = 8;
      const part = C / K;
      const ops = [...DARTS_PRIMITIVES];
      const pc = new MixedOp({ ops, space: 'conv', channels: C, stride, partialChannels: K }, new Rng(1));
      const full = new MixedOp({ ops, space: 'conv', channels: part, stride }, new Rng(2));
      const src = pc.namedParameters();
      const dst = full.namedParameters();
      expect(dst.map(([n]) => n)).toEqual(src.map(([n]) => n));
      dst.forEach(([, v], i) => v.assign(src[i]![1]));
      const rng = new Rng(3);
      const x = tf.tensor4d(rng.normalArray(2 * 8 * 8 * C), [2, 8, 8, C]);
      const w = tf.softmax(tf.tensor1d(rng.normalArray(ops.length)));
      const ctx = new ForwardContext({ training: true });
      const got = await pc.forward(x, ctx, w).data();
      const sampled = full.forward(tf.slice(x, [0, 0, 0, 0], [2, 8, 8, part]), new ForwardContext({ training: true }), w);
      let rest = tf.slice(x, [0, 0, 0, part], [2, 8, 8, C - part]);
      if (stride === 2) rest = tf.maxPool(rest as tf.Tensor4D, 2, 2, 'valid');
      const [a, r] = [await sampled.data(), await rest.data()];
      const [, H, W] = sampled.shape as number[];
      const pixels = 2 * H! * W!;
      expect(got.length).toBe(pixels * C);
      let maxDiff = 0;
      for (let p = 0; p < pixels; p++) {
        for (let ch = 0; ch < part; ch++) {
          for (let g = 0; g < K; g++) {
            const c = g * part + ch; // channel of [sampled, rest]
            const ref = c < part ? a[p * part + c]! : r[p * (C - part) + c - part]!;
            maxDiff = Math.max(maxDiff, Math.abs(got[p * C + ch * K + g]! - ref));
          }
        }
      }
      expect(maxDiff).toBeLessThanOrEqual(1e-5);
      tf.dispose([x, w, sampled, rest]);
      pc.dispose();
      full.dispose();
    });
  }
});

// softmaxCrossEntropy's fused kernels (kernels/softmax-cross-entropy.ts, on cpu and wasm) on every
// backend: the loss and its gradient equal the op-by-op definition (log-softmax picked by a one-hot,
// averaged over scored positions) written with tfjs ops, and central finite differences of a float64
// reference; with ignored positions, labels outside [0, C) (score 0), no scored position (loss 0),
// ranks 2 and 3, row lengths 2, 3, 4, 7, 9, 10 and 64 (wasm: SIMD quads and tails). Tolerances: loss 1e-6 + 1e-6·|loss|, gradients 1e-6 vs autodiff, 1e-4 vs finite
// differences (h = 1e-3). No tensor leaks; one kernel each way on cpu, wasm and webgpu (there 2 WGSL
// dispatches each: kernels/softmax-cross-entropy-webgpu.ts).
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { describeBackends } from '@weft/core/testing';
import { Rng, softmaxCrossEntropy } from '@weft/core';

/** The op-by-op definition (as losses.ts computes it on backends without the kernels). */
function reference(logits: tf.Tensor, labels: tf.Tensor, ignoreIndex: number | null): tf.Scalar {
  return tf.tidy(() => {
    const C = logits.shape[logits.rank - 1]!;
    const picked = tf.sum(tf.mul(tf.logSoftmax(logits, -1), tf.oneHot(labels, C)), -1);
    if (ignoreIndex === null) return tf.neg(tf.mean(picked)) as tf.Scalar;
    const mask = tf.cast(tf.notEqual(labels, tf.scalar(ignoreIndex, 'int32')), 'float32');
    return tf.div(tf.neg(tf.sum(tf.mul(picked, mask))), tf.maximum(tf.sum(mask), 1)) as tf.Scalar;
  });
}

function lossF64(z: Float64Array, ys: Int32Array, C: number, ignoreIndex: number | null): number {
  let total = 0;
  let count = 0;
  for (let r = 0; r < ys.length; r++) {
    if (ignoreIndex !== null && ys[r] === ignoreIndex) continue;
    count++;
    const row = Array.from(z.subarray(r * C, r * C + C));
    const mx = Math.max(...row);
    const lse = mx + Math.log(row.reduce((s, v) => s + Math.exp(v - mx), 0));
    if (ys[r]! >= 0 && ys[r]! < C) total += lse - row[ys[r]!]!;
  }
  return total / Math.max(count, 1);
}

describeBackends('fused softmax cross-entropy', (backend) => {
  const cases: [string, number[], (r: number, C: number) => number, number | null][] = [
    ['rank 2, every label scored', [12, 7], (r, C) => r % C, null],
    ['rank 3, ignored positions (-100)', [3, 5, 9], (r, C) => (r % 4 === 0 ? -100 : (r * 5) % C), -100],
    ['labels outside [0, C) score 0', [6, 4], (r) => [0, 3, 4, -1, 2, 7][r]!, -100],
    ['no scored position: loss 0', [4, 3], () => -100, -100],
    ['rank 3, 64 classes, ignored and out-of-range labels (wasm: the SIMD rows)', [3, 8, 64], (r, C) => (r % 5 === 0 ? -100 : r === 7 ? C : (r * 11) % C), -100],
    ['rank 2, 10 classes (wasm: two SIMD quads and a tail of 2 per row)', [9, 10], (r, C) => (r * 3) % C, null],
    ['two classes (wasm: rows that are all tail)', [5, 2], (r) => r % 2, null],
  ];
  for (const [name, shape, label, ignoreIndex] of cases) {
    it(`${name}: loss and gradient equal the composition and finite differences`, async () => {
      const C = shape.at(-1)!;
      const rows = shape.slice(0, -1).reduce((p, d) => p * d, 1);
      const rng = new Rng(rows * 13 + C);
      const zs = Float64Array.from(rng.normalArray(rows * C), (v) => 2 * v);
      const ys = Int32Array.from({ length: rows }, (_, r) => label(r, C));
      const z = tf.tensor(Float32Array.from(zs), shape);
      const y = tf.tensor(ys, shape.slice(0, -1), 'int32');
      const before = tf.memory().numTensors;
      const opts = { ignoreIndex };
      const [lF, lU] = [softmaxCrossEntropy(z, y, opts), reference(z, y, ignoreIndex)];
      const [a, b] = [(await lF.data())[0]!, (await lU.data())[0]!];
      expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-6 + 1e-6 * Math.abs(b));
      expect(Math.abs(a - lossF64(zs, ys, C, ignoreIndex))).toBeLessThanOrEqual(1e-5);
      const [gF] = tf.grads((t: tf.Tensor) => softmaxCrossEntropy(t, y, opts))([z]);
      const gU = tf.tidy(() => tf.grads((t: tf.Tensor) => reference(t, y, ignoreIndex))([z])[0]!);
      const [g, gu] = [await gF!.data(), await gU.data()];
      let worst = 0;
      let worstFd = 0;
      const h = 1e-3;
      for (let i = 0; i < g.length; i++) {
        worst = Math.max(worst, Math.abs(g[i]! - gu[i]!));
        const v = zs[i]!;
        zs[i] = v + h;
        const up = lossF64(zs, ys, C, ignoreIndex);
        zs[i] = v - h;
        const down = lossF64(zs, ys, C, ignoreIndex);
        zs[i] = v;
        worstFd = Math.max(worstFd, Math.abs(g[i]! - (up - down) / (2 * h)));
      }
      expect(worst, 'gradient vs autodiff').toBeLessThanOrEqual(1e-6);
      expect(worstFd, 'gradient vs finite differences').toBeLessThanOrEqual(1e-4);
      tf.dispose([lF, lU, gF!, gU]);
      expect(tf.memory().numTensors).toBe(before);
      if (['cpu', 'wasm', 'webgpu'].includes(backend)) {
        const profile = await tf.profile(() => tf.dispose(tf.grads((t: tf.Tensor) => softmaxCrossEntropy(t, y, opts))([z])));
        const names = profile.kernels.map((k) => k.name);
        expect(names.filter((k) => k === 'WeftSoftmaxXent').length).toBe(1);
        expect(names.filter((k) => k === 'WeftSoftmaxXentGrad').length).toBe(1);
        expect(names.filter((k) => ['OneHot', 'Exp', 'Log'].includes(k))).toEqual([]);
      }
      tf.dispose([z, y]);
    });
  }

  it('labels made inside the gradient closure (disposed by its tidy before the backward pass) give the same gradient', async () => {
    const rng = new Rng(7);
    const z = tf.variable(tf.tensor2d(Float32Array.from(rng.normalArray(5 * 4)), [5, 4]));
    const ys = [0, 3, -100, 2, 1];
    const outside = tf.tensor1d(ys, 'int32');
    const before = tf.memory().numTensors;
    const inner = tf.variableGrads(() => softmaxCrossEntropy(z, tf.tensor1d(ys, 'int32')), [z]);
    const outer = tf.variableGrads(() => softmaxCrossEntropy(z, outside), [z]);
    const [gi, go] = [await inner.grads[z.name]!.data(), await outer.grads[z.name]!.data()];
    expect(Array.from(gi)).toEqual(Array.from(go));
    expect(Math.max(...Array.from(go, Math.abs))).toBeGreaterThan(1e-3);
    tf.dispose([inner.value, outer.value, ...Object.values(inner.grads), ...Object.values(outer.grads)]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([z, outside]);
  });
});

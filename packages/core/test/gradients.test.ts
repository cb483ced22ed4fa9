// Weft's gradient fixes for tfjs 4.22 (packages/core/src/gradients): each checked against central
// finite differences (gradCheck, float32: eps 1e-2, rtol 2e-2, atol 2e-3) on wasm and cpu, with a
// smooth random weighting r so Σ r ⊙ f(x) has a non-trivial gradient everywhere.
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { Rng } from '@weft/core';
import { describeBackends, formatGradCheck, gradCheck } from '@weft/core/testing';

const v = (rng: Rng, shape: number[]) => tf.variable(tf.tensor(rng.normalArray(shape.reduce((a, b) => a * b, 1)), shape));
const weighted = (y: tf.Tensor, rng: Rng) => tf.sum(tf.mul(y, tf.tensor(rng.normalArray(y.size), y.shape))) as tf.Scalar;

async function check(f: (r: Rng) => tf.Scalar, vars: tf.Variable[], options = {}) {
  const result = await gradCheck(() => f(new Rng(99)), vars, options);
  expect(result.ok, formatGradCheck(result)).toBe(true);
  tf.dispose(vars);
}

describeBackends('gradient fixes', () => {
  it('BatchMatMul with a broadcast operand (and transposes)', async () => {
    const rng = new Rng(1);
    const a = v(rng, [2, 3, 4]);
    const b = v(rng, [4, 5]);
    await check((r) => weighted(tf.matMul(a, b), r), [a, b]);
    const c = v(rng, [1, 5, 3]);
    const d = v(rng, [2, 5, 4]);
    await check((r) => weighted(tf.matMul(c, d, true, false), r), [c, d]);
  });

  it('Maximum and Minimum with broadcasting', async () => {
    const rng = new Rng(2);
    const a = v(rng, [3, 4]);
    const b = v(rng, [4]);
    await check((r) => tf.add(weighted(tf.maximum(a, b), r), weighted(tf.minimum(b, a), r)) as tf.Scalar, [a, b]);
  });

  it('Cumsum on a non-last axis, exclusive and reversed', async () => {
    const rng = new Rng(3);
    const x = v(rng, [3, 4, 2]);
    await check((r) => tf.addN([weighted(tf.cumsum(x, 0), r), weighted(tf.cumsum(x, 1, true), r), weighted(tf.cumsum(x, 1, false, true), r)]) as tf.Scalar, [x]);
  });

  it('StridedSlice with strides, masks, negative stride and shrink axes', async () => {
    const rng = new Rng(4);
    const x = v(rng, [4, 5, 3]);
    await check(
      (r) =>
        tf.addN([
          weighted(tf.stridedSlice(x, [0, 1, 0], [4, 5, 3], [2, 2, 1]), r),
          weighted(tf.stridedSlice(x, [3, 0, 0], [0, 5, 3], [-1, 1, 1], 0, 0b110), r),
          weighted(tf.stridedSlice(x, [1, 0, 2], [2, 5, 3], [1, 1, 1], 0, 0, 0, 0, 0b101), r),
        ]) as tf.Scalar,
      [x],
    );
  });

  it('GatherNd (with repeated indices) and ScatterNd', async () => {
    const rng = new Rng(5);
    const params = v(rng, [3, 4]);
    const idx = tf.tensor2d([[0, 1], [2, 3], [0, 1]], [3, 2], 'int32');
    await check((r) => weighted(tf.gatherND(params, idx), r), [params]);
    const updates = v(rng, [3, 4]);
    const rows = tf.tensor2d([[2], [0], [2]], [3, 1], 'int32');
    await check((r) => weighted(tf.scatterND(rows, updates, [4, 4]), r), [updates]);
    tf.dispose([idx, rows]);
  });

  it('TopK values flow back to the chosen entries only', async () => {
    const x = tf.variable(tf.tensor2d([[0.1, 0.9, 0.5, -1], [2, -3, 0.7, 1]]));
    const { grads } = tf.variableGrads(() => tf.sum(tf.mul(tf.topk(x, 2).values, tf.tensor2d([[1, 2], [3, 4]]))) as tf.Scalar, [x]);
    expect(Array.from(await grads[x.name]!.data())).toEqual([0, 1, 2, 0, 3, 0, 0, 4]);
    tf.dispose([x, ...Object.values(grads)]);
  });

  it('Conv2D and DepthwiseConv2dNative with dilation 2 (same and valid padding)', async () => {
    const rng = new Rng(6);
    const x = v(rng, [2, 7, 7, 2]);
    const w = v(rng, [3, 3, 2, 3]);
    const dw = v(rng, [3, 2, 2, 2]);
    await check(
      (r) =>
        tf.addN([
          weighted(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same', 'NHWC', 2), r),
          weighted(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'valid', 'NHWC', [2, 3]), r),
          weighted(tf.depthwiseConv2d(x as tf.Tensor4D, dw as tf.Tensor4D, 1, 'same', 'NHWC', 2), r),
        ]) as tf.Scalar,
      [x, w, dw],
    );
  });
});

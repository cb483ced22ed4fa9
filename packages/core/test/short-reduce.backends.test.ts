// Sum, Mean, Max and Min over short axes on every backend against a plain-JS reference: on webgpu
// they run Weft's short-reduce program (packages/core/src/kernels/webgpu-short-reduce.ts) unless the
// axes are not consecutive or too long. Leading, middle, last and several axes; keepDims; NaN. 1e-5.
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { Rng } from '@weft/core';
import { describeBackends } from '@weft/core/testing';
import { tfjsKernel } from '../src/kernels/index.js';

const sizeOf = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** Reduce `v` of `shape` over `axes` with `op` (plain JS, float64). */
function reference(v: Float32Array, shape: number[], axes: number[], op: 'sum' | 'mean' | 'max' | 'min'): number[] {
  const strides = shape.map((_, i) => sizeOf(shape.slice(i + 1)));
  const outDims = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const acc = new Map<number, number[]>();
  for (let flat = 0; flat < v.length; flat++) {
    let o = 0;
    shape.forEach((_, i) => {
      const c = Math.floor(flat / strides[i]!) % shape[i]!;
      o = o * outDims[i]! + (axes.includes(i) ? 0 : c);
    });
    (acc.get(o) ?? acc.set(o, []).get(o)!).push(v[flat]!);
  }
  return [...acc.keys()].sort((a, b) => a - b).map((k) => {
    const xs = acc.get(k)!;
    if (op === 'sum') return xs.reduce((a, b) => a + b, 0);
    if (op === 'mean') return xs.reduce((a, b) => a + b, 0) / xs.length;
    if (xs.some((x) => Number.isNaN(x))) return NaN;
    return op === 'max' ? Math.max(...xs) : Math.min(...xs);
  });
}

describeBackends('short reductions', (backend) => {
  it.runIf(backend === 'webgpu')('run on Weft’s kernels (tfjs’s own kept underneath)', () => {
    for (const name of ['Sum', 'Mean', 'Max', 'Min']) {
      const own = tfjsKernel(name, 'webgpu');
      expect(own && own.kernelFunc !== tf.getKernel(name, 'webgpu')!.kernelFunc, name).toBe(true);
    }
  });
  const cases: [number[], number[]][] = [
    [[2, 512, 8], [0]], // a token's k expert outputs
    [[7, 16, 10], [1]], // bias gradient over a block's rows
    [[33, 16], [1]], // softmax's max over experts
    [[3, 4, 5, 6], [1, 2]], // several consecutive axes
    [[3, 4, 5], [0, 2]], // not consecutive: tfjs's own kernel
    [[2, 100, 3], [1]], // too long for 6 outputs: tfjs's own kernel
    [[2, 200, 640], [1]], // long, but 1280 outputs: the loop
  ];
  const ops = { sum: tf.sum, mean: tf.mean, max: tf.max, min: tf.min } as const;
  for (const [shape, axes] of cases) {
    for (const keepDims of [false, true]) {
      it(`[${shape}] over [${axes}] keepDims=${keepDims}: sum, mean, max, min equal JS (1e-5)`, async () => {
        const v = Float32Array.from(new Rng(sizeOf(shape)).normalArray(sizeOf(shape)));
        const x = tf.tensor(v, shape);
        for (const [name, op] of Object.entries(ops) as [keyof typeof ops, (x: tf.Tensor, axis: number[], keep: boolean) => tf.Tensor][]) {
          const y = op(x, axes, keepDims);
          expect(y.shape, name).toEqual(keepDims ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i)));
          const got = await y.data();
          const want = reference(v, shape, axes, name);
          expect(Math.max(...want.map((w, i) => Math.abs(w - got[i]!))), name).toBeLessThan(1e-5 * Math.max(1, ...want.map(Math.abs)));
          y.dispose();
        }
        x.dispose();
      });
    }
  }
  it('max and min propagate NaN like tfjs', async () => {
    const x = tf.tensor2d([1, NaN, 3, 4, 5, 6], [2, 3]);
    expect(Array.from(await tf.max(x, 1).data())).toEqual([NaN, 6]);
    expect(Array.from(await tf.min(x, 0).data())).toEqual([1, NaN, 3]);
    x.dispose();
  });
});

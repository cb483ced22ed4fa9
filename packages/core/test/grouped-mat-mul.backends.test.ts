// Weft's grouped matrix product on every backend: the output against a plain-JS float64 loop, the
// gradients against tf.gather(w, group) + tf.matMul (the composition it replaces; with a bias, plus
// the gathered bias added per block) and against finite differences; groups that repeat, skip
// experts or leave one unused; bad input. 1e-4 absolute.
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { groupedMatMul, Rng } from '@weft/core';
import { describeBackends, gradCheck } from '@weft/core/testing';

const TOL = 1e-4;

async function maxDiff(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const d = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))));
  const v = (await d.data())[0]!;
  d.dispose();
  return v;
}

describeBackends('groupedMatMul', (backend) => {
  // [G, b, K, E, N, groups]: tile remainders (b mod 4, N mod 8), repeated and unused groups, runs of one group.
  const cases: [number, number, number, number, number, number[]][] = [
    [4, 3, 5, 3, 7, [2, 0, 2, 1]],
    [5, 8, 16, 4, 12, [0, 0, 1, 3, 3]], // expert 2 unused
    [3, 1, 2, 2, 1, [1, 1, 0]],
    [6, 2, 5, 2, 9, [1, 1, 1, 0, 0, 1]], // runs of one expert (one product of run·b rows on wasm)
  ];
  for (const [G, b, K, E, N, groups] of cases) {
    it(`G=${G} b=${b} K=${K} E=${E} N=${N}: equals a JS loop, gradients equal gather + matMul (1e-4)`, async () => {
      const rng = new Rng(G * 100 + N);
      const xv = rng.normalArray(G * b * K);
      const wv = rng.normalArray(E * K * N);
      const x = tf.tensor3d(xv, [G, b, K]);
      const w = tf.tensor3d(wv, [E, K, N]);
      const group = tf.tensor1d(groups, 'int32');
      const y = groupedMatMul(x, w, group);
      expect(y.shape).toEqual([G, b, N]);
      const got = await y.data();
      let err = 0;
      for (let g = 0; g < G; g++) for (let i = 0; i < b; i++) for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += xv[(g * b + i) * K + k]! * wv[(groups[g]! * K + k) * N + j]!;
        err = Math.max(err, Math.abs(s - got[(g * b + i) * N + j]!));
      }
      expect(err).toBeLessThan(TOL);
      const probe = tf.tensor3d(rng.normalArray(G * b * N), [G, b, N]);
      const grads = (f: (x: tf.Tensor, w: tf.Tensor) => tf.Tensor) => tf.grads((a: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(f(a, c), probe)))([x, w]);
      const [gx, gw] = grads((a, c) => groupedMatMul(a as tf.Tensor3D, c as tf.Tensor3D, group));
      const [rx, rw] = grads((a, c) => tf.matMul(a, tf.gather(c, group)));
      expect(await maxDiff(gx!, rx!)).toBeLessThan(TOL);
      expect(await maxDiff(gw!, rw!)).toBeLessThan(TOL);
      tf.dispose([x, w, group, y, probe, gx!, gw!, rx!, rw!]);
    });
  }

  // [G, b, K, E, N, groups]. On wasm a run of m rows transposes its rows instead of w[e] when N > K and
  // m·(K + N) < K·N: the first case has both kinds of run (m = 6, 3, 6 against K·N = 54), the second
  // only short runs (odd sizes).
  const transposeCases: [number, number, number, number, number, number[]][] = [
    [5, 3, 6, 3, 9, [2, 2, 0, 1, 1]],
    [7, 2, 11, 4, 13, [3, 0, 0, 1, 2, 2, 3]],
  ];
  for (const [G, b, K, E, N, groups] of transposeCases) it(`transposeW (the x gradient: x·w[e]ᵀ, w read transposed), G=${G} b=${b} K=${K} N=${N}: equals the product with tf.transpose(w), gradients too (1e-4)`, async () => {
    const rng = new Rng(5 + G);
    const x = tf.tensor3d(rng.normalArray(G * b * K), [G, b, K]);
    const w = tf.tensor3d(rng.normalArray(E * N * K), [E, N, K]); // read as (E, K, N) transposed
    const group = tf.tensor1d(groups, 'int32');
    const probe = tf.tensor3d(rng.normalArray(G * b * N), [G, b, N]);
    const transposed = (a: tf.Tensor, c: tf.Tensor) => tf.engine().runKernel('WeftGroupedMatMul', { x: a, w: c, group }, { transposeW: true } as unknown as tf.NamedAttrMap) as tf.Tensor;
    const reference = (a: tf.Tensor, c: tf.Tensor) => groupedMatMul(a as tf.Tensor3D, tf.transpose(c, [0, 2, 1]) as tf.Tensor3D, group);
    const [y, r] = [transposed(x, w), reference(x, w)];
    expect(y.shape).toEqual([G, b, N]);
    expect(await maxDiff(y, r)).toBeLessThan(TOL);
    const grads = (f: (a: tf.Tensor, c: tf.Tensor) => tf.Tensor) => tf.grads((a: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(f(a, c), probe)))([x, w]);
    const [gx, gw] = grads(transposed);
    const [rx, rw] = grads(reference);
    expect(await maxDiff(gx!, rx!)).toBeLessThan(TOL);
    expect(await maxDiff(gw!, rw!)).toBeLessThan(TOL);
    tf.dispose([x, w, group, probe, y, r, gx!, gw!, rx!, rw!]);
  });

  // [G, b, K, E, N, groups]: the bias case of each class above (tile remainders, an unused expert, runs of one expert).
  const biasCases: [number, number, number, number, number, number[]][] = [
    [4, 3, 5, 3, 7, [2, 0, 2, 1]],
    [5, 8, 16, 4, 12, [0, 0, 1, 3, 3]], // expert 2 unused: its bias gradient is 0
    [6, 2, 5, 2, 9, [1, 1, 1, 0, 0, 1]],
  ];
  for (const [G, b, K, E, N, groups] of biasCases) it(`with a bias, G=${G} b=${b} K=${K} E=${E} N=${N}: equals gather + matMul + gathered bias, gradients too (1e-4)`, async () => {
    const rng = new Rng(17 + G);
    const x = tf.tensor3d(rng.normalArray(G * b * K), [G, b, K]);
    const w = tf.tensor3d(rng.normalArray(E * K * N), [E, K, N]);
    const bias = tf.tensor2d(rng.normalArray(E * N), [E, N]);
    const group = tf.tensor1d(groups, 'int32');
    const probe = tf.tensor3d(rng.normalArray(G * b * N), [G, b, N]);
    const fused = (a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => groupedMatMul(a as tf.Tensor3D, c as tf.Tensor3D, group, d as tf.Tensor2D);
    const composed = (a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => tf.add(tf.matMul(a, tf.gather(c, group)), tf.expandDims(tf.gather(d, group), 1)); // (G, N) -> (G, 1, N)
    const [y, r] = [fused(x, w, bias), composed(x, w, bias)];
    expect(y.shape).toEqual([G, b, N]);
    expect(await maxDiff(y, r)).toBeLessThan(TOL);
    const grads = (f: typeof fused) => tf.grads((a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => tf.sum(tf.mul(f(a, c, d), probe)))([x, w, bias]);
    const got = grads(fused);
    const want = grads(composed);
    for (let i = 0; i < 3; i++) expect(await maxDiff(got[i]!, want[i]!)).toBeLessThan(TOL);
    tf.dispose([x, w, bias, group, probe, y, r, ...got, ...want]);
  });

  it('gradients match finite differences', async () => {
    const rng = new Rng(3);
    const x = tf.variable(tf.tensor3d(rng.normalArray(3 * 2 * 4), [3, 2, 4]));
    const w = tf.variable(tf.tensor3d(rng.normalArray(2 * 4 * 5), [2, 4, 5]));
    const group = tf.tensor1d([1, 0, 1], 'int32');
    const probe = tf.tensor3d(rng.normalArray(3 * 2 * 5), [3, 2, 5]);
    const r = await gradCheck(() => tf.sum(tf.mul(groupedMatMul(x, w, group), probe)) as tf.Scalar, { x, w }, { maxEntries: 12 });
    expect(r.ok, JSON.stringify(r.failures)).toBe(true);
    const bias = tf.variable(tf.tensor2d(rng.normalArray(2 * 5), [2, 5]));
    const rb = await gradCheck(() => tf.sum(tf.mul(groupedMatMul(x, w, group, bias), probe)) as tf.Scalar, { x, w, bias }, { maxEntries: 12 });
    expect(rb.ok, JSON.stringify(rb.failures)).toBe(true);
    tf.dispose([x, w, group, probe, bias]);
  });

  it('rejects bad shapes and dtypes by name, and leaks nothing', async () => {
    const x = tf.zeros([2, 3, 4]) as tf.Tensor3D;
    const w = tf.zeros([3, 4, 5]) as tf.Tensor3D;
    const g = tf.tensor1d([0, 2], 'int32');
    expect(() => groupedMatMul(x, tf.zeros([3, 5, 5]) as tf.Tensor3D, g)).toThrow(/its K=5 must equal x's last dimension 4/);
    expect(() => groupedMatMul(x, w, tf.tensor1d([0], 'int32'))).toThrow(/group has 1 entries; x has G=2 blocks/);
    expect(() => groupedMatMul(x, w, tf.tensor1d([0, 1]) as tf.Tensor1D)).toThrow(/group has dtype float32; expected int32/);
    expect(() => groupedMatMul(x, w, g, tf.zeros([3, 4]) as tf.Tensor2D)).toThrow(/bias has shape \[3,4\]; expected \[3, 5\] \(E, N\)/);
    expect(() => groupedMatMul(x, w, g, tf.zeros([3, 5], 'int32') as tf.Tensor2D)).toThrow(/bias has dtype int32; expected float32/);
    // Index values are checked where the kernel reads them on the host (GPU kernels read them on the device).
    if (backend === 'wasm' || backend === 'cpu') expect(() => groupedMatMul(x, w, tf.tensor1d([0, 3], 'int32'))).toThrow(/group\[1\]=3 is not in \[0, 2\]/);
    // webgpu's WGSL kernel reads them on the device without a readback: a block naming no expert gives NaN rows.
    if (backend === 'webgpu') {
      const bad = tf.tensor1d([0, 3], 'int32');
      const y = groupedMatMul(tf.ones([2, 3, 4]) as tf.Tensor3D, w, bad);
      const v = await y.data();
      expect(Array.from(v.slice(0, 15)).every((c) => c === 0) && Array.from(v.slice(15)).every(Number.isNaN)).toBe(true);
      tf.dispose([bad, y]);
    }
    const before = tf.memory().numTensors;
    tf.dispose(tf.tidy(() => tf.grads((a: tf.Tensor, c: tf.Tensor) => tf.sum(groupedMatMul(a as tf.Tensor3D, c as tf.Tensor3D, g)))([x, w])));
    const bias = tf.zeros([3, 5]);
    tf.dispose(tf.tidy(() => tf.grads((a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => tf.sum(groupedMatMul(a as tf.Tensor3D, c as tf.Tensor3D, g, d as tf.Tensor2D)))([x, w, bias])));
    bias.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, w, g]);
  });
});

// pickColumns (ops/pick-columns.ts; one kernel each way on cpu, wasm and webgpu) on every backend:
// values equal a naive pick (exactly; renormalised: 1e-6 relative), and m's gradient equals the
// composition's autodiff (flat gather, Sum, RealDiv) to 1e-6 and central finite differences of a
// float64 reference to 1e-3 (h = 1e-3, float32 forward); repeated choices in a row accumulate. No
// tensor leaks; one kernel each way where Weft has it; an index outside [0, E) is refused on cpu/wasm.
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { describeBackends } from '@weft/core/testing';
import { Rng, pickColumns } from '@weft/core';

/** The composition: a flat gather at n·E + idx, then the row sum's division. */
function composed(m: tf.Tensor2D, idx: tf.Tensor2D, normalize: boolean): tf.Tensor2D {
  const [n, e] = m.shape;
  const k = idx.shape[1];
  const flat = tf.add(idx, tf.reshape(tf.mul(tf.range(0, n, 1, 'int32'), tf.scalar(e, 'int32')), [n, 1]));
  const v = tf.reshape(tf.gather(tf.reshape(m, [n * e]), tf.reshape(flat, [n * k])), [n, k]);
  return (normalize ? tf.div(v, tf.sum(v, 1, true)) : v) as tf.Tensor2D;
}

/** Σ probe·pick(m) in float64. */
function lossF64(m: Float64Array, idx: Int32Array, probe: Float32Array, N: number, E: number, k: number, normalize: boolean): number {
  let total = 0;
  for (let n = 0; n < N; n++) {
    let s = 0;
    for (let j = 0; j < k; j++) s += m[n * E + idx[n * k + j]!]!;
    for (let j = 0; j < k; j++) total += probe[n * k + j]! * (m[n * E + idx[n * k + j]!]! / (normalize ? s : 1));
  }
  return total;
}

describeBackends('pickColumns', (backend) => {
  for (const normalize of [false, true]) {
    for (const [N, E, k, repeat] of [[6, 8, 2, false], [5, 3, 3, false], [4, 5, 3, true]] as const) {
      it(`N=${N}, E=${E}, k=${k}${repeat ? ', a choice repeated' : ''}, normalize=${normalize}: values and gradient equal the composition and finite differences`, async () => {
        const rng = new Rng(N * 13 + E + k);
        const ms = Float32Array.from({ length: N * E }, () => 0.1 + rng.next()); // positive, as probabilities
        const idxs = Int32Array.from({ length: N * k }, (_, i) => (repeat && i % k === k - 1 ? (i - 1) * 3 : i * 3) % E);
        if (!repeat) for (let n = 0; n < N; n++) for (let j = 0; j < k; j++) idxs[n * k + j] = (n + j * 2) % E; // distinct per row
        const probeValues = Float32Array.from(rng.normalArray(N * k));
        const [m, idx, probe] = [tf.tensor2d(ms, [N, E]), tf.tensor2d(idxs, [N, k], 'int32'), tf.tensor2d(probeValues, [N, k])];
        const before = tf.memory().numTensors;
        const v = pickColumns(m, idx, normalize);
        const got = await v.data();
        for (let n = 0; n < N; n++) {
          let s = 0;
          for (let j = 0; j < k; j++) s += ms[n * E + idxs[n * k + j]!]!;
          for (let j = 0; j < k; j++) {
            const want = ms[n * E + idxs[n * k + j]!]! / (normalize ? s : 1);
            expect(Math.abs(got[n * k + j]! - want), `value [${n}, ${j}]`).toBeLessThanOrEqual(1e-6 * Math.abs(want));
          }
        }
        const [g] = tf.grads((t: tf.Tensor) => tf.sum(tf.mul(pickColumns(t as tf.Tensor2D, idx, normalize), probe)))([m]);
        const [gRef] = tf.grads((t: tf.Tensor) => tf.sum(tf.mul(composed(t as tf.Tensor2D, idx, normalize), probe)))([m]);
        const [gs, refs] = [await g!.data(), await gRef!.data()];
        const h = 1e-3;
        const m64 = Float64Array.from(ms);
        for (let i = 0; i < N * E; i++) {
          expect(Math.abs(gs[i]! - refs[i]!), `vs autodiff [${i}]`).toBeLessThanOrEqual(1e-6);
          const [up, down] = [Float64Array.from(m64), Float64Array.from(m64)];
          up[i] = up[i]! + h;
          down[i] = down[i]! - h;
          const fd = (lossF64(up, idxs, probeValues, N, E, k, normalize) - lossF64(down, idxs, probeValues, N, E, k, normalize)) / (2 * h);
          expect(Math.abs(gs[i]! - fd), `vs finite differences [${i}]`).toBeLessThanOrEqual(1e-3);
        }
        tf.dispose([v, g!, gRef!]);
        expect(tf.memory().numTensors, 'no tensor left behind').toBe(before);
        if (backend !== 'webgl') {
          const profile = await tf.profile(() => tf.dispose(tf.grads((t: tf.Tensor) => tf.sum(pickColumns(t as tf.Tensor2D, idx, normalize)))([m])));
          expect(profile.kernels.map((x) => x.name).filter((x) => x.startsWith('WeftPickColumns'))).toEqual(['WeftPickColumns', 'WeftPickColumnsGrad']);
          expect(profile.kernels.map((x) => x.name).filter((x) => ['GatherV2', 'RealDiv', 'UnsortedSegmentSum'].includes(x))).toEqual([]);
        }
        tf.dispose([m, idx, probe]);
      });
    }
  }

  it('refuses bad arguments, naming them (an index outside [0, E) on cpu and wasm)', () => {
    const m = tf.ones([2, 3]) as tf.Tensor2D;
    expect(() => pickColumns(m, tf.tensor2d([[0], [1], [2]], [3, 1], 'int32'))).toThrow(/must be \(N, E\) and \(N, k\)/);
    expect(() => pickColumns(m, tf.tensor2d([[0], [1]], [2, 1]) as tf.Tensor2D)).toThrow(/idx has dtype float32; expected int32/);
    expect(() => pickColumns(tf.ones([2, 3], 'int32') as tf.Tensor2D, tf.tensor2d([[0], [1]], [2, 1], 'int32'))).toThrow(/m has dtype int32; expected float32/);
    if (backend === 'cpu' || backend === 'wasm') expect(() => pickColumns(m, tf.tensor2d([[0], [3]], [2, 1], 'int32'))).toThrow(/idx\[1\]=3; allowed: 0 ≤ idx < 3/);
    tf.disposeVariables();
  });
});

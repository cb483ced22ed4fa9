// combineRows (ops/combine-rows.ts; one kernel each way on cpu and wasm, tf ops elsewhere) on every
// backend: the output equals a naive weighted sum per token (float64, 1e-6), and the gradients of y
// and gate equal the composition's autodiff (gatherRows, Multiply, Sum) and the closed forms
// dy[slot] = gate·dout, dgate = y[slot]·dout (1e-5); dropped pairs (slot R) add nothing and get a zero
// gate gradient; rows no pair reads get zeros. k = 1, 2, 3. No tensor leaks; one kernel each way on
// cpu and wasm; bad slots are refused there, naming them.
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { describeBackends } from '@weft/core/testing';
import { Rng, combineRows, gatherRows } from '@weft/core';

function composed(y: tf.Tensor2D, slot: tf.Tensor1D, gate: tf.Tensor1D, n: number): tf.Tensor2D {
  const [P, D] = [slot.shape[0], y.shape[1]];
  return tf.sum(tf.reshape(tf.mul(gatherRows(y, slot), tf.reshape(gate, [P, 1])), [P / n, n, D]), 0) as tf.Tensor2D;
}

describeBackends('combineRows', (backend) => {
  for (const [N, k, D, R] of [[5, 2, 3, 12], [4, 1, 6, 5], [3, 3, 2, 10]] as const) {
    it(`N=${N}, k=${k}, D=${D}, R=${R} with dropped pairs: output and gradients equal a naive sum and the composition`, async () => {
      const P = N * k;
      const rng = new Rng(N * 7 + k * 3 + D);
      const slots = Int32Array.from({ length: P }, (_, p) => (p % 4 === 3 ? R : (p * 5 + 1) % R)); // distinct rows; every 4th pair dropped
      const ys = Float32Array.from(rng.normalArray(R * D));
      const gs = Float32Array.from({ length: P }, () => rng.next());
      const probeValues = Float32Array.from(rng.normalArray(N * D));
      const [y, slot, gate, probe] = [tf.tensor2d(ys, [R, D]), tf.tensor1d(slots, 'int32'), tf.tensor1d(gs), tf.tensor2d(probeValues, [N, D])];
      const before = tf.memory().numTensors;
      const out = combineRows(y, slot, gate, N);
      expect(out.shape).toEqual([N, D]);
      const got = await out.data();
      const want = new Float64Array(N * D);
      for (let p = 0; p < P; p++) if (slots[p]! < R) for (let j = 0; j < D; j++) want[(p % N) * D + j] += gs[p]! * ys[slots[p]! * D + j]!;
      for (let i = 0; i < N * D; i++) expect(Math.abs(got[i]! - want[i]!), `out [${i}]`).toBeLessThanOrEqual(1e-6);
      const loss = (f: typeof combineRows) => (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a as tf.Tensor2D, slot, b as tf.Tensor1D, N), probe));
      const [dy, dg] = tf.grads(loss(combineRows))([y, gate]);
      const [dyRef, dgRef] = tf.grads(loss(composed))([y, gate]);
      const naiveDy = new Float64Array(R * D);
      const naiveDg = new Float64Array(P);
      for (let p = 0; p < P; p++) {
        if (slots[p]! === R) continue;
        for (let j = 0; j < D; j++) {
          naiveDy[slots[p]! * D + j] += gs[p]! * probeValues[(p % N) * D + j]!;
          naiveDg[p] += ys[slots[p]! * D + j]! * probeValues[(p % N) * D + j]!;
        }
      }
      const [a, aRef, b, bRef] = [await dy!.data(), await dyRef!.data(), await dg!.data(), await dgRef!.data()];
      for (let i = 0; i < R * D; i++) {
        expect(Math.abs(a[i]! - aRef[i]!), `dy vs autodiff [${i}]`).toBeLessThanOrEqual(1e-5);
        expect(Math.abs(a[i]! - naiveDy[i]!), `dy vs closed form [${i}]`).toBeLessThanOrEqual(1e-5);
      }
      for (let p = 0; p < P; p++) {
        expect(Math.abs(b[p]! - bRef[p]!), `dgate vs autodiff [${p}]`).toBeLessThanOrEqual(1e-5);
        expect(Math.abs(b[p]! - naiveDg[p]!), `dgate vs closed form [${p}]`).toBeLessThanOrEqual(1e-5);
      }
      tf.dispose([out, dy!, dg!, dyRef!, dgRef!]);
      expect(tf.memory().numTensors, 'no tensor left behind').toBe(before);
      if (backend === 'cpu' || backend === 'wasm') {
        const profile = await tf.profile(() => tf.dispose(tf.grads((u: tf.Tensor, v: tf.Tensor) => tf.sum(combineRows(u as tf.Tensor2D, slot, v as tf.Tensor1D, N)))([y, gate])));
        const names = profile.kernels.map((x) => x.name);
        expect(names.filter((x) => x.startsWith('WeftCombineRows'))).toEqual(['WeftCombineRows', 'WeftCombineRowsGrad']);
        expect(names.filter((x) => ['GatherV2', 'WeftGatherRows', 'WeftGatherRowsGrad', 'UnsortedSegmentSum'].includes(x))).toEqual([]);
      }
      tf.dispose([y, slot, gate, probe]);
    });
  }

  it('refuses bad arguments, naming them (a slot outside [0, R] on cpu and wasm)', () => {
    const y = tf.ones([3, 2]) as tf.Tensor2D;
    const gate = tf.ones([4]) as tf.Tensor1D;
    expect(() => combineRows(y, tf.tensor1d([0, 1, 2, 3], 'int32'), tf.ones([3]) as tf.Tensor1D, 2)).toThrow(/must be \(R, D\), \(P,\) and \(P,\)/);
    expect(() => combineRows(y, tf.tensor1d([0, 1, 2, 3]) as tf.Tensor1D, gate, 2)).toThrow(/slot has dtype float32; expected int32/);
    expect(() => combineRows(y, tf.tensor1d([0, 1, 2, 3], 'int32'), gate, 3)).toThrow(/numTokens=3 must be a positive integer dividing the 4 pairs/);
    if (backend === 'cpu' || backend === 'wasm') expect(() => combineRows(y, tf.tensor1d([0, 1, 4, 3], 'int32'), gate, 2)).toThrow(/slot\[2\]=4; allowed: 0 ≤ slot ≤ 3/);
    tf.disposeVariables();
  });
});

// allFinite (train/non-finite-guard.ts; WeftAllFinite on cpu, wasm — kernels/all-finite.ts — and
// webgpu — kernels/all-finite-webgpu.ts) on every backend equals Number.isFinite over every element
// of every input: NaN, +Inf or −Inf at any position of any of up to 14 tensors (more than two of the
// webgpu kernel's chunks; sizes past its 256 threads' stride), empty tensors, int32 and bool
// inputs, and finite values whose sum overflows float32 (where the kernel is: webgl's fallback sums).
// No tensor leaks; on webgpu one dispatch per chunk of 6 float tensors and one more.
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { describeBackends } from '@weft/core/testing';
import { Rng } from '@weft/core';
import { allFinite } from '../src/train/non-finite-guard.js';

describeBackends('allFinite', (backend) => {
  it('equals Number.isFinite over every element of every input', async () => {
    const rng = new Rng(11);
    for (let trial = 0; trial < 24; trial++) {
      const arrays = Array.from({ length: 1 + rng.int(14) }, () => rng.normalArray(rng.int(3) === 0 ? 300 + rng.int(700) : rng.int(40)));
      const special = [Number.NaN, Infinity, -Infinity, 3e38][trial % 4]!;
      if (special === 3e38 && !tf.getKernel('WeftAllFinite', backend)) continue; // the sums' fallback (webgl) reads such sums as non-finite, as documented
      if (trial % 5 !== 0) {
        const a = arrays[rng.int(arrays.length)]!;
        if (a.length > 0) a[trial % 3 === 0 ? a.length - 1 : rng.int(a.length)] = special;
      }
      if (special === 3e38) arrays.push(new Float32Array([3e38, 3e38])); // finite, though its sum is not
      const expected = arrays.every((a) => a.every(Number.isFinite));
      const tensors = [...arrays.map((a) => tf.tensor1d(a)), tf.tensor1d([1, 2], 'int32'), tf.tensor1d([1, 0], 'bool')];
      const before = tf.memory().numTensors;
      const dispatches = countDispatches();
      const f = allFinite(tensors);
      const n = dispatches.stop();
      expect(f.dtype).toBe('bool');
      expect(f.shape).toEqual([]);
      expect(Array.from(await f.data()), `trial ${trial}`).toEqual([expected ? 1 : 0]);
      f.dispose();
      expect(tf.memory().numTensors, 'no tensor left behind').toBe(before);
      if (backend === 'webgpu') expect(n, 'dispatches').toBe(Math.ceil(arrays.filter((a) => a.length > 0).length / 6) + 1);
      tf.dispose(tensors);
    }
  });
});

/** Count the WebGPU programs the webgpu backend dispatches until `stop()`; 0 elsewhere. */
function countDispatches(): { stop(): number } {
  const b = tf.backend() as unknown as { runWebGPUProgram?: (...a: unknown[]) => unknown };
  const original = b.runWebGPUProgram;
  let n = 0;
  if (original) b.runWebGPUProgram = (...a: unknown[]) => (n++, original.apply(b, a));
  return { stop: () => (original && (b.runWebGPUProgram = original), n) };
}

// The default `initBackend()` in Chromium, as a user's page calls it: the test browser's WebGPU and
// WebGL are SwiftShader, so both are skipped with that reason and wasm starts from the binaries
// @weft/core ships (no wasmPaths given). Then Weft's hand-written WebAssembly kernel: the SIMD
// BatchMatMul compiles on the page's main thread against the backend's heap, and a batched product
// equals a JS reference (1e-4). Node runs the full kernel tests (packages/core/test/kernels.test.ts).
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { initBackend, Rng } from '@weft/core';
import { simdBatchMatMulFor } from '../src/kernels/batch-mat-mul-simd.js';

const inBrowser = typeof window !== 'undefined' && typeof document !== 'undefined';

it.runIf(inBrowser)('initBackend() skips the software GPUs, starts wasm from the shipped binaries, and the SIMD BatchMatMul runs', async () => {
  const previous = tf.getBackend();
  const r = await initBackend();
  try {
    expect(r.backend, JSON.stringify(r.reasons)).toBe('wasm');
    expect(r.reasons.webgpu).toMatch(/^skipped: its device is a software renderer \(SwiftShader\).*allowSoftware: true/);
    expect(r.reasons.webgl).toMatch(/^skipped: its device is a software renderer \(SwiftShader\)/);
    expect(Object.keys(r.reasons)).toEqual(['webgpu', 'webgl']);
    expect(simdBatchMatMulFor(tf.backend())).not.toBeNull();
    const [B, M, K, N] = [5, 13, 16, 20];
    const rng = new Rng(1);
    const av = rng.normalArray(B * M * K);
    const bv = rng.normalArray(B * K * N);
    const y = tf.matMul(tf.tensor3d(av, [B, M, K]), tf.tensor3d(bv, [B, K, N]));
    const got = await y.data();
    let err = 0;
    for (let b = 0; b < B; b++) for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += av[(b * M + i) * K + k]! * bv[(b * K + k) * N + j]!;
      err = Math.max(err, Math.abs(s - got[(b * M + i) * N + j]!));
    }
    expect(err).toBeLessThan(1e-4);
    tf.dispose(y);
  } finally {
    await tf.setBackend(previous);
  }
});

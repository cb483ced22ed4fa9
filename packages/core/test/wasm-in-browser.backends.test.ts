// Weft's hand-written WebAssembly kernel in Chromium (the demo pages run tfjs wasm there when the
// GPU is a software renderer): the SIMD BatchMatMul compiles on the page's main thread against the
// backend's heap, and a batched product equals a JS reference (1e-4). Node runs the full kernel
// tests (packages/core/test/kernels.test.ts); this file checks the browser build of the backend.
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { initBackend, Rng } from '@weft/core';
import { simdBatchMatMulFor } from '../src/kernels/batch-mat-mul-simd.js';

const inBrowser = typeof window !== 'undefined' && typeof document !== 'undefined';

it.runIf(inBrowser)('the SIMD BatchMatMul runs in Chromium on tfjs wasm', async () => {
  const previous = tf.getBackend();
  const wasmPaths: Record<string, string> = {
    'tfjs-backend-wasm.wasm': (await import('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url')).default,
    'tfjs-backend-wasm-simd.wasm': (await import('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url')).default,
    'tfjs-backend-wasm-threaded-simd.wasm': (await import('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url')).default,
  };
  const r = await initBackend({ prefer: ['wasm'], fallback: false, wasmPaths });
  expect(r.backend, JSON.stringify(r.reasons)).toBe('wasm');
  try {
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

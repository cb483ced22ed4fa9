import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { initBackend, type BackendName } from '@weft/core';

it('initBackend in Node: skips webgpu and webgl with their reasons, picks wasm, registers the training kernels', async () => {
  const report = await initBackend();
  expect(report.backend).toBe('wasm');
  expect(report.reasons.webgpu).toMatch(/navigator\.gpu is absent/);
  expect(report.reasons.webgl).toMatch(/no canvas/);
  expect(report.description).toContain('wasm');
  expect(tf.getBackend()).toBe('wasm');
  expect(tf.getKernel('UnsortedSegmentSum', 'wasm')).toBeTruthy();
});

it('initBackend honours the preference order and refuses unknown names', async () => {
  expect((await initBackend({ prefer: ['cpu', 'wasm'] })).backend).toBe('cpu');
  await expect(initBackend({ prefer: ['tpu' as BackendName] })).rejects.toThrow('initBackend: prefer contains "tpu"; allowed: webgpu, webgl, wasm, cpu');
  await expect(initBackend({ prefer: ['webgl'], fallback: false })).rejects.toThrow(/no backend initialised; tried webgl \(no canvas/);
  await initBackend({ prefer: ['wasm'] });
});

// Node project on WebGPU: Dawn (the `webgpu` npm package) on Chromium's SwiftShader Vulkan.
// tfjs-backend-webgpu registers only if `navigator.gpu` exists when it is imported, so the
// GPU is installed first and the backend is imported after it; removed again at the end,
// or Dawn keeps the worker alive.
import { afterAll } from 'vitest';
import { create, globals } from 'webgpu';

Object.assign(globalThis, globals);
Object.defineProperty(globalThis, 'navigator', {
  value: { gpu: create([]) },
  configurable: true,
  writable: true,
});
const { initBackend } = await import('@weft/core');
const report = await initBackend({ prefer: ['webgpu'], fallback: false });
if (report.backend !== 'webgpu') throw new Error(`node-webgpu tests need webgpu: ${JSON.stringify(report.reasons)}`);

afterAll(async () => {
  const tf = await import('@tensorflow/tfjs-core');
  if (tf.findBackend('webgpu')) tf.removeBackend('webgpu');
  delete (globalThis as { navigator?: unknown }).navigator;
});

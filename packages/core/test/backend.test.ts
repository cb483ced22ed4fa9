import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initBackend, type BackendName } from '@weft/core';
import { softwareWebgpuAdapter } from '../src/software-renderer.js';
import { shippedWasmPaths, WASM_BINARIES_VERSION } from '../src/wasm-binaries.js';

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

describe('software renderers', () => {
  it('recognises SwiftShader, llvmpipe and fallback adapters, and not a real GPU', () => {
    expect(softwareWebgpuAdapter({ info: { vendor: 'google', architecture: 'swiftshader' } })).toBe('SwiftShader');
    expect(softwareWebgpuAdapter({ info: { vendor: 'mesa', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' } })).toBe('llvmpipe');
    expect(softwareWebgpuAdapter({ info: { vendor: 'microsoft', isFallbackAdapter: true } })).toBe('microsoft');
    expect(softwareWebgpuAdapter({ info: { vendor: 'nvidia', architecture: 'hopper' } })).toBeNull();
    expect(softwareWebgpuAdapter(null)).toBeNull();
  });

  // A fake navigator.gpu whose adapter is SwiftShader: tfjs-webgpu cannot start on it in Node, which
  // is what lets these tests see where in the order initBackend tried it.
  async function withFakeSwiftShader<T>(body: (requests: { n: number }) => Promise<T>): Promise<T> {
    const g = globalThis as { navigator?: unknown };
    const had = Object.getOwnPropertyDescriptor(g, 'navigator');
    const requests = { n: 0 };
    const adapter = { info: { vendor: 'google', architecture: 'swiftshader' }, features: new Set(), limits: {}, requestDevice: () => Promise.reject(new Error('no device in this test')) };
    Object.defineProperty(g, 'navigator', { value: { gpu: { requestAdapter: async () => (requests.n++, adapter) } }, configurable: true });
    try {
      return await body(requests);
    } finally {
      if (had) Object.defineProperty(g, 'navigator', had);
      else delete g.navigator;
      await initBackend({ prefer: ['wasm'] });
    }
  }

  it('a software WebGPU is skipped for wasm by default, with the reason and the option that allows it', async () => {
    await withFakeSwiftShader(async () => {
      const r = await initBackend({ prefer: ['webgpu', 'wasm'] });
      expect(r.backend).toBe('wasm');
      expect(r.reasons.webgpu).toBe('skipped: its device is a software renderer (SwiftShader), 10–150× slower than wasm for small models; initBackend({ allowSoftware: true }) uses it');
    });
  });

  it('allowSoftware tries it in its place; without it, it is tried just before cpu; alone, it is still tried', async () => {
    await withFakeSwiftShader(async (requests) => {
      expect(requests.n).toBe(0);
      // In its place: tried (tfjs-webgpu fails on the fake adapter), then wasm.
      const placed = await initBackend({ prefer: ['webgpu', 'wasm'], allowSoftware: true });
      expect(placed.backend).toBe('wasm');
      expect(placed.reasons.webgpu).not.toMatch(/skipped/);
      expect(requests.n).toBeGreaterThan(0);
      // Deferred past wasm, tried before cpu: with wasm left out, webgpu fails, then cpu is picked.
      const deferred = await initBackend({ prefer: ['webgpu', 'cpu'], fallback: false });
      expect(deferred.backend).toBe('cpu');
      expect(deferred.reasons.webgpu).toMatch(/\(a software renderer: SwiftShader\)$/);
      // The only candidate: tried anyway, and the error names it.
      await expect(initBackend({ prefer: ['webgpu'], fallback: false })).rejects.toThrow(/no backend initialised; tried webgpu \(.*\(a software renderer: SwiftShader\)\)/);
    });
  });
});

it('the wasm binaries @weft/core ships come from the installed tfjs-backend-wasm', async () => {
  const installed = (await import('@tensorflow/tfjs-backend-wasm')).version_wasm;
  expect(WASM_BINARIES_VERSION).toBe(installed);
  const paths = shippedWasmPaths();
  expect(Object.keys(paths).sort()).toEqual(['tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm', 'tfjs-backend-wasm.wasm']);
  for (const [file, url] of Object.entries(paths)) expect(url.endsWith(`/packages/core/wasm/${file}`)).toBe(true);
});

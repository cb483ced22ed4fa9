// wasmThreads: initBackend's argument check, and withThreadCap's temporary hardwareConcurrency
// (the browser check that the threaded build then runs 2 threads with Weft's SIMD kernels on its
// shared heap is the bench case ui.threads_matmul_speedup, bench/threads-page.ts).
import { afterEach, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend.js';
import { withThreadCap } from '../src/wasm-threads.js';

const g = globalThis as { navigator?: unknown };
const hadNavigator = Object.getOwnPropertyDescriptor(globalThis, 'navigator');

/** A navigator whose hardwareConcurrency is a prototype getter, as in browsers. */
function fakeNavigator(cores: number): { hardwareConcurrency: number } {
  const proto = Object.defineProperty({}, 'hardwareConcurrency', { get: () => cores, configurable: true });
  const nav = Object.create(proto) as { hardwareConcurrency: number };
  Object.defineProperty(globalThis, 'navigator', { value: nav, configurable: true, writable: true });
  return nav;
}

afterEach(() => {
  if (hadNavigator) Object.defineProperty(globalThis, 'navigator', hadNavigator);
  else delete g.navigator;
});

describe('wasmThreads', () => {
  it('initBackend refuses a thread count that is not an integer ≥ 1, naming the value', async () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      await expect(initBackend({ prefer: ['cpu'], wasmThreads: bad })).rejects.toThrow(/wasmThreads is .*allowed: an integer ≥ 1/);
    }
  });

  it('withThreadCap reports 2× the count while the backend starts, then the real value again', async () => {
    const nav = fakeNavigator(2);
    const seen = await withThreadCap(2, async () => nav.hardwareConcurrency);
    expect(seen).toBe(4);
    expect(nav.hardwareConcurrency).toBe(2);
    expect(Object.prototype.hasOwnProperty.call(nav, 'hardwareConcurrency')).toBe(false);
  });

  it('withThreadCap leaves hardwareConcurrency alone when the cap already allows the count, and restores it on a throw', async () => {
    const nav = fakeNavigator(16);
    expect(await withThreadCap(4, async () => nav.hardwareConcurrency)).toBe(16);
    const small = fakeNavigator(2);
    await expect(withThreadCap(3, async () => { throw new Error('start failed'); })).rejects.toThrow('start failed');
    expect(small.hardwareConcurrency).toBe(2);
  });
});

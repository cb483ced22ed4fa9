// The thread count of tfjs's threaded wasm build (loaded in cross-origin-isolated pages). tfjs 4.22
// starts XNNPACK's pool with min(requested, navigator.hardwareConcurrency / 2) threads, so on a
// 2-core machine it never uses the second core; `withThreadCap` lifts that cap while the backend
// starts by reporting at least twice the requested count as hardwareConcurrency, then restores it.

/**
 * Run `start` (which starts the wasm backend) with `navigator.hardwareConcurrency` reading at least
 * `2 * threads`, so tfjs's halving cap allows `threads`; the real value is restored afterwards.
 */
export async function withThreadCap<T>(threads: number, start: () => Promise<T>): Promise<T> {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  const real = nav?.hardwareConcurrency;
  if (!nav || typeof real !== 'number' || 2 * threads <= real || Object.prototype.hasOwnProperty.call(nav, 'hardwareConcurrency')) {
    return start();
  }
  // An own property shadows the prototype's getter; deleting it brings the getter back.
  Object.defineProperty(nav, 'hardwareConcurrency', { value: 2 * threads, configurable: true });
  try {
    return await start();
  } finally {
    delete nav.hardwareConcurrency;
  }
}

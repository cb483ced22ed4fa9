// Backend selection: try webgpu → webgl → wasm → cpu (or the caller's order), report what was
// picked and why each other backend was not. Backends are imported lazily, so a page that gets
// WebGPU never downloads the WebGL or wasm code. Weft's training kernels are registered on the
// chosen backend, and its gradient fixes checked (see registerGradientFixes), before it is returned.
import * as tf from '@tensorflow/tfjs-core';
import { registerTrainingKernels } from './kernels/index.js';
import { registerGradientFixes } from './gradients/index.js';
import { checkKnownKeys, configKeys, describeValue } from './config.js';

/** Backend names Weft knows, in its default order of preference. */
export const BACKENDS = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;
/** A backend name Weft knows. */
export type BackendName = (typeof BACKENDS)[number];

/** Options of {@link initBackend}. */
export interface InitBackendOptions {
  /** Backends to try, in order. Default: `['webgpu', 'webgl', 'wasm', 'cpu']`. */
  prefer?: readonly BackendName[];
  /** When false, do not fall back past the `prefer` list (tests use this). Default: true. */
  fallback?: boolean;
  /**
   * Where the wasm backend finds its `.wasm` files (a URL prefix ending in `/`, or a map of file
   * name to URL), passed to `setWasmPaths`. Default: next to the module (works in Node and with
   * bundlers that copy the files).
   */
  wasmPaths?: string | Record<string, string>;
}

/** What {@link initBackend} picked, and why the others were not picked. */
export interface BackendReport {
  /** The active backend. */
  backend: BackendName;
  /** For each backend tried and not picked: the reason. */
  reasons: Partial<Record<BackendName, string>>;
  /** A one-line human description, e.g. "webgpu (SwiftShader)". */
  description: string;
}

const loaders: Record<BackendName, (o: InitBackendOptions) => Promise<string | null>> = {
  async webgpu() {
    const gpu = (globalThis as { navigator?: { gpu?: { requestAdapter(): Promise<unknown> } } }).navigator?.gpu;
    if (!gpu) return 'navigator.gpu is absent (this browser has no WebGPU, or it is disabled)';
    const adapter = await gpu.requestAdapter().catch(() => null);
    if (!adapter) return 'navigator.gpu.requestAdapter() returned no adapter';
    await import('@tensorflow/tfjs-backend-webgpu');
    return null;
  },
  async webgl() {
    if (typeof document === 'undefined' && typeof OffscreenCanvas === 'undefined') {
      return 'no canvas to create a WebGL context on (not a browser)';
    }
    const canvas =
      typeof OffscreenCanvas !== 'undefined' ? new OffscreenCanvas(1, 1) : document.createElement('canvas');
    if (!canvas.getContext('webgl2') && !canvas.getContext('webgl')) return 'WebGL context creation failed';
    await import('@tensorflow/tfjs-backend-webgl');
    return null;
  },
  async wasm(o) {
    if (typeof WebAssembly === 'undefined') return 'WebAssembly is not available';
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    if (o.wasmPaths !== undefined && !tf.findBackend('wasm')) {
      wasm.setWasmPaths(o.wasmPaths as string);
    }
    return null;
  },
  async cpu() {
    await import('@tensorflow/tfjs-backend-cpu');
    return null;
  },
};

/**
 * Pick the first backend that initialises, make it active and register Weft's training
 * kernels on it. Never throws for an unavailable backend; throws only if none works.
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendReport> {
  checkKnownKeys('initBackend', options, configKeys<InitBackendOptions>({ prefer: true, fallback: true, wasmPaths: true }));
  const prefer = options.prefer ?? BACKENDS;
  for (const name of prefer) {
    if (!BACKENDS.includes(name)) {
      throw new Error(`initBackend: prefer contains ${describeValue(name)}; allowed: ${BACKENDS.join(', ')}`);
    }
  }
  const order = options.fallback === false ? [...prefer] : [...prefer, ...BACKENDS.filter((b) => !prefer.includes(b))];
  const reasons: Partial<Record<BackendName, string>> = {};
  for (const name of order) {
    try {
      const why = await loaders[name](options);
      if (why) {
        reasons[name] = why;
        continue;
      }
      if (!tf.findBackendFactory(name) && !tf.findBackend(name)) {
        reasons[name] = `tfjs did not register the ${name} backend`;
        continue;
      }
      if (!(await tf.setBackend(name))) {
        reasons[name] = `tf.setBackend('${name}') failed to initialise`;
        continue;
      }
      await tf.ready();
      registerTrainingKernels(name);
      registerGradientFixes();
      return { backend: name, reasons, description: describeBackend(name) };
    } catch (e) {
      reasons[name] = e instanceof Error ? e.message : String(e);
    }
  }
  throw new Error(
    `initBackend: no backend initialised; tried ${order
      .map((n) => `${n} (${reasons[n] ?? 'unknown'})`)
      .join(', ')}`,
  );
}

function describeBackend(name: BackendName): string {
  if (name === 'webgpu') {
    const info = (tf.backend() as unknown as { adapterInfo?: { vendor?: string; architecture?: string } })
      .adapterInfo;
    const what = [info?.vendor, info?.architecture].filter(Boolean).join(' ');
    return what ? `webgpu (${what})` : 'webgpu';
  }
  if (name === 'wasm') return 'wasm (XNNPACK, with Weft training kernels)';
  return name;
}

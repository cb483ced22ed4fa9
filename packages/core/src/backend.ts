// Backend selection: try webgpu → webgl → wasm → cpu (or the caller's order), report what was
// picked and why each other backend was not. A GPU backend whose device is a software renderer
// (SwiftShader, llvmpipe) is tried after every other backend but cpu, unless `allowSoftware`.
// Backends are imported lazily, so a page that gets WebGPU never downloads the WebGL or wasm code;
// in browsers the wasm binaries come from @weft/core's own copies (see wasm-binaries.ts), so every
// bundler emits them. Weft's training kernels are registered on the chosen backend, and its
// gradient fixes checked (see registerGradientFixes), before it is returned.
import * as tf from '@tensorflow/tfjs-core';
import { registerTrainingKernels } from './kernels/index.js';
import { registerGradientFixes } from './gradients/index.js';
import { checkKnownKeys, configKeys, describeValue } from './config.js';
import { softwareWebglRenderer, softwareWebgpuAdapter } from './software-renderer.js';
import { withThreadCap } from './wasm-threads.js';

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
   * name to URL), passed to `setWasmPaths`. Default: in browsers, the copies @weft/core ships
   * (bundlers emit them as assets; see wasm-binaries.ts); in Node, tfjs's own files.
   */
  wasmPaths?: string | Record<string, string>;
  /**
   * Try a GPU backend whose device is a software renderer (SwiftShader, llvmpipe, a WebGPU
   * fallback adapter) in its place in the order. Default: false — such a backend is tried after
   * every other backend but `cpu`, because for small models it runs 10–150× slower than wasm.
   */
  allowSoftware?: boolean;
  /**
   * Threads of the wasm backend's matrix kernels (XNNPACK), where tfjs loads its threaded build
   * (cross-origin-isolated pages). tfjs caps any count at navigator.hardwareConcurrency / 2 (one
   * thread on a 2-core machine); Weft lifts that cap to this count. Set before the wasm backend
   * first starts. Default: tfjs's own (hardwareConcurrency / 2).
   */
  wasmThreads?: number;
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

/** What a loader found: ready (`null`), a reason the backend cannot run, or a software renderer. */
type LoaderResult = null | string | { software: string };

const loaders: Record<BackendName, (o: InitBackendOptions) => Promise<LoaderResult>> = {
  async webgpu(o) {
    const gpu = (globalThis as { navigator?: { gpu?: { requestAdapter(): Promise<unknown> } } }).navigator?.gpu;
    if (!gpu) return 'navigator.gpu is absent (this browser has no WebGPU, or it is disabled)';
    const adapter = await gpu.requestAdapter().catch(() => null);
    if (!adapter) return 'navigator.gpu.requestAdapter() returned no adapter';
    const software = o.allowSoftware ? null : softwareWebgpuAdapter(adapter);
    if (software) return { software };
    await import('@tensorflow/tfjs-backend-webgpu');
    return null;
  },
  async webgl(o) {
    if (typeof document === 'undefined' && typeof OffscreenCanvas === 'undefined') {
      return 'no canvas to create a WebGL context on (not a browser)';
    }
    const canvas =
      typeof OffscreenCanvas !== 'undefined' ? new OffscreenCanvas(1, 1) : document.createElement('canvas');
    if (!canvas.getContext('webgl2') && !canvas.getContext('webgl')) return 'WebGL context creation failed';
    const software = o.allowSoftware ? null : softwareWebglRenderer();
    if (software) return { software };
    await import('@tensorflow/tfjs-backend-webgl');
    return null;
  },
  async wasm(o) {
    if (typeof WebAssembly === 'undefined') return 'WebAssembly is not available';
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // Not tf.findBackend('wasm'): it would start the backend, before the paths are set.
    if (!(('wasm' in tf.engine().registry) || wasmStarted)) {
      wasmStarted = true;
      const paths = o.wasmPaths ?? (await shippedPathsFor(wasm.version_wasm));
      if (paths !== undefined) wasm.setWasmPaths(paths as string);
      wasmPathsUsed = paths;
      if (o.wasmThreads !== undefined) wasm.setThreadsCount(o.wasmThreads);
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
  checkKnownKeys('initBackend', options, configKeys<InitBackendOptions>({ prefer: true, fallback: true, wasmPaths: true, allowSoftware: true, wasmThreads: true }));
  if (options.wasmThreads !== undefined && !(Number.isInteger(options.wasmThreads) && options.wasmThreads >= 1)) {
    throw new Error(`initBackend: wasmThreads is ${describeValue(options.wasmThreads)}; allowed: an integer ≥ 1`);
  }
  const prefer = options.prefer ?? BACKENDS;
  for (const name of prefer) {
    if (!BACKENDS.includes(name)) {
      throw new Error(`initBackend: prefer contains ${describeValue(name)}; allowed: ${BACKENDS.join(', ')}`);
    }
  }
  const order = options.fallback === false ? [...prefer] : [...prefer, ...BACKENDS.filter((b) => !prefer.includes(b))];
  const reasons: Partial<Record<BackendName, string>> = {};
  // Software GPUs found on the way, tried (with allowSoftware) just before cpu or at the end.
  const deferred: [BackendName, string][] = [];
  const attempt = async (name: BackendName, options: InitBackendOptions): Promise<BackendReport | null> => {
    try {
      const found = await loaders[name](options);
      if (typeof found === 'object' && found !== null) {
        deferred.push([name, found.software]);
        return null;
      }
      if (found) {
        reasons[name] = found;
        return null;
      }
      if (!tf.findBackendFactory(name) && !tf.findBackend(name)) {
        reasons[name] = `tfjs did not register the ${name} backend`;
        return null;
      }
      const threads = name === 'wasm' ? options.wasmThreads : undefined;
      if (!(await (threads === undefined ? tf.setBackend(name) : withThreadCap(threads, () => tf.setBackend(name))))) {
        reasons[name] = name === 'wasm' ? await explainWasmFailure(wasmPathsUsed) : `tf.setBackend('${name}') failed to initialise`;
        return null;
      }
      await tf.ready();
      registerTrainingKernels(name);
      registerGradientFixes();
      return { backend: name, reasons, description: describeBackend(name) };
    } catch (e) {
      reasons[name] = e instanceof Error ? e.message : String(e);
      return null;
    }
  };
  const tryDeferred = async (): Promise<BackendReport | null> => {
    const candidates = deferred.splice(0);
    for (const [i, [name, software]] of candidates.entries()) {
      const report = await attempt(name, { ...options, allowSoftware: true });
      if (report) {
        report.description = `${report.description} (software renderer: ${software}; no faster backend initialised)`;
        deferred.push(...candidates.slice(i + 1));
        skippedSoftware();
        return report;
      }
      reasons[name] = `${reasons[name] ?? 'failed'} (a software renderer: ${software})`;
    }
    return null;
  };
  const skippedSoftware = (): void => {
    for (const [name, software] of deferred) {
      reasons[name] = `skipped: its device is a software renderer (${software}), 10–150× slower than wasm for small models; initBackend({ allowSoftware: true }) uses it`;
    }
  };
  for (const name of order) {
    if (name === 'cpu') {
      const report = await tryDeferred();
      if (report) return withOrderedReasons(report, order);
    }
    const report = await attempt(name, options);
    if (report) {
      skippedSoftware();
      return withOrderedReasons(report, order);
    }
  }
  const last = await tryDeferred();
  if (last) return withOrderedReasons(last, order);
  throw new Error(
    `initBackend: no backend initialised; tried ${order
      .map((n) => `${n} (${reasons[n] ?? 'unknown'})`)
      .join(', ')}`,
  );
}

/** The report with its reasons listed in the order the backends were considered. */
function withOrderedReasons(report: BackendReport, order: readonly BackendName[]): BackendReport {
  const reasons: Partial<Record<BackendName, string>> = {};
  for (const name of order) if (report.reasons[name] && name !== report.backend) reasons[name] = report.reasons[name];
  return { ...report, reasons };
}

/** Whether initBackend has set the wasm paths once (tfjs refuses to set them after a start). */
let wasmStarted = false;

/** The wasm paths given to tfjs by the last wasm load (undefined: tfjs's own default). */
let wasmPathsUsed: string | Record<string, string> | undefined;

/** A browser page or worker (not Node, whose tfjs-wasm reads its own files; test runners may shim `process`). */
const inBrowser = (): boolean => {
  const g = globalThis as { document?: unknown; WorkerGlobalScope?: unknown };
  return g.document !== undefined || g.WorkerGlobalScope !== undefined;
};

/** In browsers, the binaries @weft/core ships, when they fit the installed tfjs-backend-wasm. */
async function shippedPathsFor(tfjsWasmVersion: string): Promise<Record<string, string> | undefined> {
  if (!inBrowser()) return undefined;
  const { WASM_BINARIES_VERSION, shippedWasmPaths } = await import('./wasm-binaries.js');
  return tfjsWasmVersion === WASM_BINARIES_VERSION ? shippedWasmPaths() : undefined;
}

/**
 * Why the wasm backend did not start, as far as a browser can tell: fetch the binary tfjs asked for
 * and say what came back instead of WebAssembly (typically a bundler's HTML fallback page).
 */
async function explainWasmFailure(paths: string | Record<string, string> | undefined): Promise<string> {
  const base = "tf.setBackend('wasm') failed to initialise";
  const fix = 'pass initBackend({ wasmPaths }) the URLs your server gives tfjs-backend-wasm/dist/*.wasm (README: "Bundlers")';
  if (!inBrowser() || typeof fetch !== 'function') return base;
  const file = 'tfjs-backend-wasm-simd.wasm';
  const url =
    paths === undefined ? undefined : typeof paths === 'string' ? `${paths}${file}` : paths[file];
  if (!url) return `${base}; ${fix}`;
  try {
    const response = await fetch(url);
    const bytes = new Uint8Array(await response.arrayBuffer()).subarray(0, 4);
    const magic = [0x00, 0x61, 0x73, 0x6d];
    if (response.ok && magic.every((b, i) => bytes[i] === b)) return base;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
    const text = String.fromCharCode(...bytes).replace(/[^\x20-\x7e]/g, '.');
    return `${base}: GET ${url} answered ${response.status} ${response.headers.get('content-type') ?? ''} starting "${text}" (${hex}), not WebAssembly; ${fix}`;
  } catch (e) {
    return `${base}: GET ${url} failed (${e instanceof Error ? e.message : String(e)}); ${fix}`;
  }
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

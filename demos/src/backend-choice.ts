// The demos' backend choice. `auto` follows Weft's order (webgpu → webgl → wasm → cpu) but skips
// a GPU backend whose device is a software renderer (SwiftShader, llvmpipe, a WebGPU fallback
// adapter): for the demos' small models those run 10–150× slower than wasm on the same CPU.
// The skip is reported with the other reasons, so the badge explains it.
import { BACKENDS, initBackend, type BackendName, type BackendReport } from '@weft/core';
import { WASM_PATHS } from './wasm-paths.js';

/** `auto` or a backend name. */
export type BackendChoice = 'auto' | BackendName;

/** The backend menu of every page: `auto` (see {@link chooseBackend}), then Weft's backends in its order. */
export const BACKEND_CHOICES = ['auto', ...BACKENDS] as const satisfies readonly BackendChoice[];

const SOFTWARE = /swiftshader|llvmpipe|lavapipe|softpipe|software|basic render/i;

interface GpuAdapterInfoLike {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}

/** Why the WebGPU adapter should be skipped, or null. */
async function softwareWebgpu(): Promise<string | null> {
  const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<{ info?: GpuAdapterInfoLike } | null> } }).gpu;
  if (!gpu) return null;
  const adapter = await gpu.requestAdapter().catch(() => null);
  const info = adapter?.info;
  if (!adapter || !info) return null;
  const name = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ');
  if (info.isFallbackAdapter || SOFTWARE.test(name)) {
    const short = /swiftshader/i.test(name) ? 'SwiftShader' : name || 'a fallback adapter';
    return `its adapter is a software renderer (${short}), far slower than wasm for a model this small`;
  }
  return null;
}

/** Why WebGL should be skipped, or null. */
function softwareWebgl(): string | null {
  try {
    const canvas = document.createElement('canvas');
    const gl = (canvas.getContext('webgl2') ?? canvas.getContext('webgl')) as WebGLRenderingContext | null;
    if (!gl) return null;
    const ext = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER) ?? '');
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    const software = SOFTWARE.exec(renderer);
    if (!software) return null;
    const name = /swiftshader/i.test(renderer) ? 'SwiftShader' : software[0];
    return `it renders in software (${name}), far slower than wasm for a model this small`;
  } catch {
    return null;
  }
}

/**
 * Initialise a backend for a demo page: the one chosen, or for `auto` the first of Weft's order
 * that is not a software GPU. The report's `reasons` include the software GPUs skipped.
 */
export async function chooseBackend(choice: BackendChoice): Promise<BackendReport> {
  if (choice !== 'auto') return initBackend({ prefer: [choice], wasmPaths: WASM_PATHS });
  const skipped: Partial<Record<BackendName, string>> = {};
  const webgpu = await softwareWebgpu();
  if (webgpu) skipped.webgpu = `skipped: ${webgpu}`;
  const webgl = softwareWebgl();
  if (webgl) skipped.webgl = `skipped: ${webgl}`;
  const prefer = BACKENDS.filter((b) => !skipped[b]);
  const report = await initBackend({ prefer, wasmPaths: WASM_PATHS });
  const reasons = { ...report.reasons };
  for (const [name, why] of Object.entries(skipped) as [BackendName, string][]) {
    if (name !== report.backend && !reasons[name]) reasons[name] = why;
  }
  // Keep Weft's order in the report, so the badge lists the backends as they were considered.
  const ordered: Partial<Record<BackendName, string>> = {};
  for (const b of BACKENDS) if (reasons[b]) ordered[b] = reasons[b];
  return { ...report, reasons: ordered };
}

// Is a GPU backend's device a software renderer (SwiftShader, llvmpipe, lavapipe, a WebGPU
// fallback adapter)? For the small models Weft trains, those run 10–150× slower than the wasm
// backend on the same CPU, so `initBackend` tries them after wasm unless told otherwise.

const SOFTWARE = /swiftshader|llvmpipe|lavapipe|softpipe|software|basic render/i;

interface GpuAdapterInfoLike {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}

interface GpuAdapterLike {
  info?: GpuAdapterInfoLike;
  isFallbackAdapter?: boolean;
}

/** The renderer's short name (e.g. `SwiftShader`) if a WebGPU adapter is a software one, else null. */
export function softwareWebgpuAdapter(adapter: unknown): string | null {
  const a = adapter as GpuAdapterLike | null;
  if (!a) return null;
  const info = a.info ?? {};
  const name = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ');
  const match = SOFTWARE.exec(name);
  if (match) return /swiftshader/i.test(name) ? 'SwiftShader' : match[0];
  if (info.isFallbackAdapter || a.isFallbackAdapter) return name || 'a fallback adapter';
  return null;
}

/** The renderer's short name if this environment's WebGL renders in software, else null. */
export function softwareWebglRenderer(): string | null {
  try {
    const canvas =
      typeof OffscreenCanvas !== 'undefined'
        ? new OffscreenCanvas(1, 1)
        : typeof document !== 'undefined'
          ? document.createElement('canvas')
          : null;
    if (!canvas) return null;
    const gl = (canvas.getContext('webgl2') ?? canvas.getContext('webgl')) as WebGLRenderingContext | null;
    if (!gl) return null;
    const ext = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER) ?? '');
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    const match = SOFTWARE.exec(renderer);
    if (!match) return null;
    return /swiftshader/i.test(renderer) ? 'SwiftShader' : match[0];
  } catch {
    return null;
  }
}

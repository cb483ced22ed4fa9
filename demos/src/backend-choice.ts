// The demos' backend choice: `auto` is Weft's own default (webgpu → webgl → wasm → cpu, with a
// software-rendered GPU tried after wasm; the report's reasons say why, and the badge shows them),
// a named backend is used even when its device is a software renderer.
import { BACKENDS, initBackend, type BackendName, type BackendReport } from '@weft/core';

/** `auto` or a backend name. */
export type BackendChoice = 'auto' | BackendName;

/** The backend menu of every page: `auto` (see {@link chooseBackend}), then Weft's backends in its order. */
export const BACKEND_CHOICES = ['auto', ...BACKENDS] as const satisfies readonly BackendChoice[];

/**
 * Initialise a backend for a demo page: Weft's default choice for `auto`, else the one named.
 * The pages are cross-origin isolated, so wasm runs tfjs's threaded build with its own thread count
 * (hardwareConcurrency / 2). They do not lift that cap with `wasmThreads`: on a 2-core machine under
 * load, 2 threads trained the pages' models 5× slower than 1 (bench `ui.threads_training_speedup`).
 */
export function chooseBackend(choice: BackendChoice): Promise<BackendReport> {
  return choice === 'auto' ? initBackend() : initBackend({ prefer: [choice], allowSoftware: true });
}

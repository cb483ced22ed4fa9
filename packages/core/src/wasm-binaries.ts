// The wasm backend's three binaries, shipped with @weft/core (packages/core/wasm/, copied from
// @tensorflow/tfjs-backend-wasm by scripts/copy-wasm-binaries.mjs). Written as
// `new URL('<relative path>', import.meta.url)` so that Vite, webpack 5, Parcel and Rollup emit
// them as assets of the user's bundle and rewrite the URLs; plain ESM served as files resolves
// them next to this module. `initBackend` imports this module lazily, in browsers only.

/** The tfjs-backend-wasm version these binaries come from; they only fit that version's JS. */
export const WASM_BINARIES_VERSION = '4.22.0';

/** File name → URL of each binary (tfjs picks one by the browser's features), for `setWasmPaths`. */
export function shippedWasmPaths(): Record<string, string> {
  return {
    'tfjs-backend-wasm.wasm': new URL('../wasm/tfjs-backend-wasm.wasm', import.meta.url).href,
    'tfjs-backend-wasm-simd.wasm': new URL('../wasm/tfjs-backend-wasm-simd.wasm', import.meta.url).href,
    'tfjs-backend-wasm-threaded-simd.wasm': new URL('../wasm/tfjs-backend-wasm-threaded-simd.wasm', import.meta.url).href,
  };
}

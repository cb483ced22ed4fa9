// The demos: a Vite multi-page app. Every page in src/site.ts's PAGES is an entry; @weft/*
// resolve to the packages' TypeScript sources (the dev server needs no build) and tfjs-core to
// one file, so every backend registers on the same tfjs-core instance (a second copy of its
// Tensor class appears otherwise — see /vitest.config.ts). `base: './'` makes the built pages
// work from any path; the wasm backend's binaries are emitted as assets of the page's own origin.
import { defineConfig, type Plugin } from 'vite';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { PAGES } from './src/site.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const requireFromCore = createRequire(new URL('../packages/core/package.json', import.meta.url));
const tfjsCore = requireFromCore.resolve('@tensorflow/tfjs-core/package.json').replace(/package\.json$/, 'dist/index.js');

/**
 * The dev server only: Vite serves imported CSS (base.css) as <style> elements its client injects,
 * which the pages' `style-src 'self'` blocks, so the dev pages' CSP also allows inline styles. The
 * build links that CSS as files and keeps the strict CSP (the e2e tests check it).
 */
const devInlineStyles: Plugin = {
  name: 'weft-dev-inline-styles',
  apply: 'serve',
  transformIndexHtml(html) {
    const strict = "style-src 'self';";
    if (!html.includes(strict)) throw new Error(`weft-dev-inline-styles: the page's CSP has no "${strict}" to relax`);
    return html.replace(strict, "style-src 'self' 'unsafe-inline';");
  },
};

/**
 * The build only: tfjs's threaded wasm build sends its pthread workers its loader as
 * `factory.toString()` in a blob, so that function must not read its enclosing scope. It reads the
 * enclosing `_scriptDir` once, behind `typeof _scriptDir !== "undefined"`, which the minifier,
 * seeing the variable declared, drops after renaming it: every thread then fails with "e is not
 * defined". That line only sets a prefix for files tfjs locates itself (setWasmPaths), so it goes.
 */
const threadedWasmLoader: Plugin = {
  name: 'weft-threaded-wasm-loader',
  apply: 'build',
  transform(code, id) {
    if (!/tfjs-backend-wasm[\\/]wasm-out[\\/]tfjs-backend-wasm-threaded-simd\.js$/.test(id)) return null;
    const outer = 'if(typeof _scriptDir !== "undefined" && _scriptDir){scriptDirectory=_scriptDir}';
    if (!code.includes(outer)) throw new Error(`weft-threaded-wasm-loader: ${id} has no "${outer}" to remove (a new tfjs version?)`);
    return { code: code.replace(outer, ''), map: null };
  },
};

/** The headers that make a page cross-origin isolated (`crossOriginIsolated`, SharedArrayBuffer). */
const crossOriginIsolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

export default defineConfig({
  root: here('.'),
  plugins: [devInlineStyles, threadedWasmLoader],
  base: './',
  resolve: {
    alias: [
      { find: /^@tensorflow\/tfjs-core$/, replacement: tfjsCore },
      { find: /^#tfjs-registrations$/, replacement: here('../packages/core/src/tfjs-registrations.ts') },
      { find: /^@weft\/core\/internal$/, replacement: here('../packages/core/src/internal.ts') },
      { find: /^@weft\/(core|sharing|moe|nas|hf)$/, replacement: here('../packages/$1/src/index.ts') },
    ],
  },
  build: {
    outDir: here('dist'),
    emptyOutDir: true,
    target: 'es2022',
    // tfjs is large by nature; warn only for something unexpected.
    chunkSizeWarningLimit: 2000,
    // Never inline an asset as a data: URL in the JS (the wasm binaries must stay files).
    assetsInlineLimit: 0,
    rolldownOptions: {
      input: Object.fromEntries(PAGES.map((p) => [p.file, here(`${p.file}.html`)])),
    },
  },
  // Training workers are ES modules (they import tfjs and the packages, which split into chunks).
  worker: { format: 'es', plugins: () => [threadedWasmLoader] },
  // Cross-origin isolation (COOP + COEP), so tfjs loads its threaded wasm build (SharedArrayBuffer);
  // a static host must send the same two headers (README, "Deploying the demos").
  server: { headers: crossOriginIsolation },
  preview: { strictPort: false, headers: crossOriginIsolation },
});

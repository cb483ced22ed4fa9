// The user projects of test/consumer, run as their users run them, on the built packages (npm
// test builds them first): each resolves @weft/* by name through the packages' "exports" to dist/.
// - node/: plain `node main.mjs`, no bundler, no transform: all four packages.
// - tfjs/: plain `node main.mjs` on the @tensorflow/tfjs umbrella with @weft/core: one tfjs-core, one engine.
// - vite/: `vite build` of a page, served and opened in Chromium: an MoE Transformer with LoRA trains;
//   and the same page under Vite's dev server, with @weft/* pre-bundled as an npm-installed package is.
// - webpack/: the same page built by webpack 5 with no configuration beyond entry and output.
// Each project checks itself and prints `RESULT {json}`; these tests assert on that JSON too. No
// timing is asserted; the waits are generous (a busy machine is slow, not wrong).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, createServer as createViteServer, preview, type PreviewServer, type ViteDevServer } from 'vite';
import type { Browser } from 'playwright';
import { launch, resultPath } from '../e2e/browser.js';

const project = (name: string) => fileURLToPath(new URL(`./${name}/`, import.meta.url));

/** Run `node main.mjs` in a project; its `RESULT` line, parsed. */
function runMain(name: string, script = 'main.mjs'): Promise<Record<string, any>> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [script], { cwd: project(name), timeout: 600_000, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
      if (error || !line) reject(new Error(`${name}/${script} failed (${error?.message ?? 'no RESULT line'}):\n${stderr}\n${stdout}`));
      else resolve(JSON.parse(line.slice('RESULT '.length)));
    });
  });
}

describe('a user project on the built packages', () => {
  it('plain Node ESM: the four packages import from dist/; an MoE Transformer learns to copy, a LoRA adapter on its frozen base learns to reverse, DARTS runs', async () => {
    const r = await runMain('node');
    for (const p of ['core', 'sharing', 'moe', 'nas', 'hf']) expect(r.resolved[`@weft/${p}`]).toMatch(new RegExp(`/packages/${p}/dist/index\\.js$`));
    expect(r.active).toBeLessThan(r.stored);
    expect(r.base.last).toBeLessThan(r.base.first * 0.8);
    expect(r.adapted.last).toBeLessThan(r.adapted.first * 0.8);
    expect(r.loraPaths).toEqual(['blocks.0.attn.q', 'blocks.0.attn.v']);
    expect(r.trainableAfterLora).toBe(2 * 4 * (16 + 16)); // r=4 on two 16×16 projections
    expect(r.genotype.normal.length).toBeGreaterThan(0);
  });

  it('@tensorflow/tfjs alongside: one tfjs-core, one engine; the app\'s tensors go through Weft and its optimiser trains Weft\'s parameters', async () => {
    const r = await runMain('tfjs');
    expect(r.tfjsCore).toMatch(/@tensorflow\/tfjs-core\/dist\/tf-core\.node\.js$/);
    expect(r.sameEngine).toBe(true);
    expect(r.loss.last).toBeLessThan(r.loss.first / 2);
    expect(r.broadcastGradShape).toEqual([4, 5]);
  });

  describe('a Vite page in Chromium', () => {
    let browser: Browser;
    let server: PreviewServer;
    let url: string;
    const root = project('vite');
    beforeAll(async () => {
      await build({ root, logLevel: 'warn', mode: 'production' });
      server = await preview({ root, logLevel: 'warn', preview: { host: '127.0.0.1', port: 0, strictPort: true, open: false } });
      url = server.resolvedUrls?.local[0] ?? '';
      browser = await launch();
    });
    afterAll(async () => {
      await browser?.close();
      await server?.close();
    });

    it('trains a TinyTransformer with MoE feed-forwards and a LoRA adapter: the loss falls; reports the bundle size', async () => {
      const page = await browser.newPage();
      const errors: string[] = [];
      const scripts: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      const warnings: string[] = [];
      page.on('console', (m) => (m.type() === 'error' ? errors : m.type() === 'warning' ? warnings : []).push(m.text()));
      page.on('response', (res) => /\.(js|wasm)$/.test(res.url()) && scripts.push(new URL(res.url()).pathname));
      await page.goto(url);
      await page.waitForFunction(() => document.body.dataset.result ?? document.body.dataset.error, null, { timeout: 600_000, polling: 250 });
      expect(await page.evaluate(() => document.body.dataset.error)).toBeUndefined();
      const r = JSON.parse((await page.evaluate(() => document.body.dataset.result))!);
      // initBackend() with no options: the headless browser's GPUs are SwiftShader, skipped for wasm,
      // whose binaries Vite emitted from @weft/core with no configuration.
      expect(r.backend).toBe('wasm');
      expect(r.reasons.webgpu).toMatch(/^skipped: its device is a software renderer/);
      expect(r.loraPaths).toEqual(['blocks.0.attn.q', 'blocks.0.attn.v']);
      expect(r.active).toBeLessThan(r.stored);
      expect(r.finalLoss).toBeLessThan(r.firstLoss * 0.8);
      expect(errors).toEqual([]);
      // One tfjs-core in the bundle: a second copy would set the platform twice, and tfjs says so.
      expect(warnings.filter((w) => /already been set|already registered/.test(w))).toEqual([]);
      await page.close();

      // The bundle: every JS file Vite emitted (the lazily loaded backends included), and the
      // part this page loaded (tfjs-core, Weft, the wasm backend), gzipped; the .wasm binaries apart.
      const assets = `${root}dist/assets/`;
      const gz = (file: string) => gzipSync(readFileSync(`${assets}${file}`)).length;
      const all = readdirSync(assets).filter((f) => f.endsWith('.js'));
      const fetched = [...new Set(scripts.map((p) => p.split('/').pop()!))];
      const loaded = fetched.filter((f) => all.includes(f));
      const wasmLoaded = fetched.filter((f) => f.endsWith('.wasm'));
      const kb = (files: string[]) => Math.round(files.reduce((s, f) => s + gz(f), 0) / 1024);
      const size = { allJsGzipKiB: kb(all), loadedJsGzipKiB: kb(loaded), loadedWasmGzipKiB: kb(wasmLoaded), files: Object.fromEntries(all.map((f) => [f, Math.round(gz(f) / 1024)])) };
      writeFileSync(resultPath('consumer-vite-bundle.json'), `${JSON.stringify({ ...size, loaded, wasmLoaded, result: r }, null, 2)}\n`);
      console.log(`consumer Vite page: ${r.backend}, loss ${r.firstLoss.toFixed(3)} -> ${r.finalLoss.toFixed(3)}; JS gzipped: ${size.allJsGzipKiB} KiB emitted, ${size.loadedJsGzipKiB} KiB loaded (+ ${size.loadedWasmGzipKiB} KiB of .wasm)`);
      expect(loaded.length).toBeGreaterThan(0);
      expect(wasmLoaded.length).toBe(1);
    });
  });

  describe('the same Vite page under the dev server (`npm run dev`, the first thing a user runs)', () => {
    let browser: Browser;
    let server: ViteDevServer;
    const root = project('vite');
    beforeAll(async () => {
      // An npm-installed @weft/core is pre-bundled into node_modules/.vite/deps by the dev server,
      // which moves its code away from its wasm/ folder; the workspace links them instead, so the
      // test asks for the pre-bundling a user's install gets. Nothing else is configured.
      server = await createViteServer({
        root,
        logLevel: 'warn',
        configFile: false,
        cacheDir: `${root}node_modules/.vite-dev-test`,
        optimizeDeps: { include: ['@weft/core', '@weft/moe', '@weft/sharing'], force: true },
        server: { host: '127.0.0.1', port: 0, strictPort: true, open: false, hmr: false },
      });
      await server.listen();
      browser = await launch();
    });
    afterAll(async () => {
      await browser?.close();
      await server?.close();
    });

    it('trains with the default initBackend(): wasm starts from binaries the dev server serves as WebAssembly', async () => {
      const page = await browser.newPage();
      const errors: string[] = [];
      const wasm: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      page.on('response', (res) => new URL(res.url()).pathname.endsWith('.wasm') && wasm.push(`${res.status()} ${res.headers()['content-type']}`));
      await page.goto(server.resolvedUrls?.local[0] ?? '');
      await page.waitForFunction(() => document.body.dataset.result ?? document.body.dataset.error, null, { timeout: 600_000, polling: 250 });
      expect(await page.evaluate(() => document.body.dataset.error)).toBeUndefined();
      const r = JSON.parse((await page.evaluate(() => document.body.dataset.result))!);
      expect(r.backend).toBe('wasm');
      expect(wasm).toEqual(['200 application/wasm']);
      expect(r.finalLoss).toBeLessThan(r.firstLoss * 0.8);
      expect(errors).toEqual([]);
      console.log(`consumer Vite dev page: ${r.backend}, loss ${r.firstLoss.toFixed(3)} -> ${r.finalLoss.toFixed(3)}`);
      await page.close();
    });
  });

  describe('a webpack 5 page in Chromium', () => {
    let browser: Browser;
    let server: Server;
    let url: string;
    let built: Record<string, any>;
    const dist = `${project('webpack')}dist/`;
    const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm' };
    beforeAll(async () => {
      built = await runMain('webpack', 'build.mjs');
      // A plain static server, as any host of a built app: the files, their types, nothing else.
      server = createServer((req, res) => {
        const path = new URL(req.url ?? '/', 'http://x').pathname.replace(/^\/$/, '/index.html');
        const file = path.slice(1);
        if (!built.files.includes(file)) return void res.writeHead(404).end();
        res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(`${dist}${file}`));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      browser = await launch();
    });
    afterAll(async () => {
      await browser?.close();
      await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    });

    it('builds with no loaders or fallbacks, emits the wasm binaries, and trains the same model: the loss falls', async () => {
      expect(built.warnings).toEqual([]);
      expect(built.files.filter((f: string) => f.endsWith('.wasm')).length).toBeGreaterThan(0);
      const page = await browser.newPage();
      const errors: string[] = [];
      const wasm: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      page.on('response', (res) => res.url().endsWith('.wasm') && wasm.push(`${res.status()} ${res.headers()['content-type']}`));
      await page.goto(url);
      await page.waitForFunction(() => document.body.dataset.result ?? document.body.dataset.error, null, { timeout: 600_000, polling: 250 });
      expect(await page.evaluate(() => document.body.dataset.error)).toBeUndefined();
      const r = JSON.parse((await page.evaluate(() => document.body.dataset.result))!);
      expect(r.backend).toBe('wasm');
      expect(wasm).toEqual(['200 application/wasm']);
      expect(r.loraPaths).toEqual(['blocks.0.attn.q', 'blocks.0.attn.v']);
      expect(r.active).toBeLessThan(r.stored);
      expect(r.finalLoss).toBeLessThan(r.firstLoss * 0.8);
      expect(errors).toEqual([]);
      console.log(`consumer webpack page: ${r.backend}, loss ${r.firstLoss.toFixed(3)} -> ${r.finalLoss.toFixed(3)}; emitted ${built.files.length} files`);
      await page.close();
    });
  });
});

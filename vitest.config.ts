// The test environments of Weft, run together by `npm test` (see scripts/test.mjs).
// Each project `provide`s the backends it must have: `describeBackends` fails, never skips,
// when one of them does not initialise.
import { defineConfig } from 'vitest/config';
import { playwright } from '@vitest/browser-playwright';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

// tfjs ships extensionless ESM (meant for bundlers): let Vite transform every @tensorflow
// package so that Node runs the same module graph a browser bundle would (one tfjs-core).
const inlineTfjs = { server: { deps: { inline: [/@tensorflow\//, /@weft\//] } } };

// Inside the repository, tests import the packages' sources; the e2e project (the built pages)
// and the consumer project (users' projects on the built `dist/`) do not.
const src = (p: string) => fileURLToPath(new URL(p, import.meta.url));
// One tfjs-core module instance: every importer resolves it to the same ESM file (without this,
// a backend imported dynamically can get a second copy of tfjs-core's Tensor class).
const requireFromCore = createRequire(new URL('./packages/core/package.json', import.meta.url));
const tfjsCore = requireFromCore.resolve('@tensorflow/tfjs-core/package.json').replace(/package\.json$/, 'dist/index.js');
const oneTfjsCore = { find: /^@tensorflow\/tfjs-core$/, replacement: tfjsCore };
// tfjs-layers too: its package "main" is a CommonJS bundle requiring tfjs-core's CommonJS build, a
// second tfjs-core whose serialization registry (tf.serialization.registerClass) is not the one above.
const tfjsLayers = createRequire(new URL('./packages/sharing/package.json', import.meta.url)).resolve('@tensorflow/tfjs-layers/package.json').replace(/package\.json$/, 'dist/index.js');
const oneTfjsLayers = { find: /^@tensorflow\/tfjs-layers$/, replacement: tfjsLayers };
const weftSources = [
  { find: /^#tfjs-registrations$/, replacement: src('./packages/core/src/tfjs-registrations.ts') },
  { find: /^@weft\/core\/testing$/, replacement: src('./packages/core/src/testing/index.ts') },
  { find: /^@weft\/core\/internal$/, replacement: src('./packages/core/src/internal.ts') },
  { find: /^@weft\/(core|sharing|moe|nas|hf)$/, replacement: src('./packages/$1/src/index.ts') },
];
const sourceAliases = { alias: [oneTfjsCore, oneTfjsLayers, ...weftSources] };
// In the browser, Vite's dependency optimiser bundles tfjs once (and the alias would defeat it).
const browserAliases = { alias: weftSources };

/** Files that run on every backend of every environment (must be browser-safe). */
const everyBackend = ['packages/*/test/**/*.backends.test.ts', 'test/**/*.backends.test.ts'];

export default defineConfig({
  test: {
    projects: [
      {
        resolve: sourceAliases,
        test: {
          name: 'node',
          environment: 'node',
          include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts', 'demos/test/**/*.test.ts'],
          exclude: ['**/node_modules/**', 'test/e2e/**', 'test/consumer/**'],
          setupFiles: ['test/setup/node.ts'],
          provide: { weftBackends: ['wasm', 'cpu'] },
          testTimeout: 120_000,
          hookTimeout: 120_000,
          ...inlineTfjs,
        },
      },
      {
        resolve: sourceAliases,
        test: {
          name: 'node-webgpu',
          environment: 'node',
          include: everyBackend,
          setupFiles: ['test/setup/node-webgpu.ts'],
          provide: { weftBackends: ['webgpu'] },
          testTimeout: 300_000,
          hookTimeout: 300_000,
          fileParallelism: false,
          ...inlineTfjs,
        },
      },
      {
        resolve: browserAliases,
        optimizeDeps: {
          include: [
            '@tensorflow/tfjs-core',
            '@tensorflow/tfjs-core/dist/register_all_gradients.js',
            '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops.js',
            '@tensorflow/tfjs-backend-cpu',
            '@tensorflow/tfjs-backend-webgl',
            '@tensorflow/tfjs-backend-webgpu',
          ],
        },
        test: {
          name: 'browser',
          include: everyBackend,
          setupFiles: ['test/setup/browser.ts'],
          provide: { weftBackends: ['webgpu', 'webgl'] },
          testTimeout: 300_000,
          hookTimeout: 300_000,
          fileParallelism: false,
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            provider: playwright({
              launchOptions: {
                executablePath: process.env.WEFT_CHROMIUM ?? '/usr/bin/chromium',
                args: [
                  '--enable-unsafe-webgpu',
                  '--no-sandbox',
                  '--disable-background-networking',
                  '--disable-component-update',
                  '--disable-sync',
                  '--no-first-run',
                ],
              },
            }),
            instances: [{ browser: 'chromium' }],
          },
        },
      },
      {
        resolve: { alias: [oneTfjsCore] },
        test: {
          name: 'e2e',
          environment: 'node',
          // The built demo pages.
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/e2e/serve-built-demos.ts'],
          testTimeout: 300_000,
          hookTimeout: 180_000,
          // Behaviour only, never timing (that is `pnpm bench`'s ui.* cases): a busy machine is
          // slow, not wrong, so every expect.poll waits up to a minute unless a test says more.
          expect: { poll: { timeout: 60_000, interval: 100 } },
          fileParallelism: false,
          ...inlineTfjs,
        },
      },
      {
        test: {
          name: 'consumer',
          environment: 'node',
          // Users' projects on the built packages (test/consumer/*): plain Node scripts and a Vite
          // page, each run as its user runs it, so nothing here transforms or aliases @weft.
          include: ['test/consumer/*.test.ts'],
          testTimeout: 900_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});

// `node scripts/astraios-table.mjs`: run make-table.test.ts in Node on tfjs wasm (as the node test
// project does) and write packages/sharing/src/adapters/peft-scaling-table.ts.
import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const src = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const tfjsCore = createRequire(src('../../packages/core/package.json'))
  .resolve('@tensorflow/tfjs-core/package.json')
  .replace(/package\.json$/, 'dist/index.js');

export default defineConfig({
  resolve: {
    alias: [
      { find: /^@tensorflow\/tfjs-core$/, replacement: tfjsCore },
      { find: /^#tfjs-registrations$/, replacement: src('../../packages/core/src/tfjs-registrations.ts') },
      { find: /^@weft\/core\/testing$/, replacement: src('../../packages/core/src/testing/index.ts') },
      { find: /^@weft\/core\/internal$/, replacement: src('../../packages/core/src/internal.ts') },
      { find: /^@weft\/(core|sharing|moe|nas)$/, replacement: src('../../packages/$1/src/index.ts') },
    ],
  },
  test: {
    name: 'astraios-table',
    root: src('../..'),
    include: ['scripts/astraios/make-table.test.ts'],
    setupFiles: ['test/setup/node.ts'],
    testTimeout: 3_600_000,
    server: { deps: { inline: [/@tensorflow\//, /@weft\//] } },
  },
});

// The table scripts (`node scripts/nas-ranking-table.mjs`, nas-parzc-scores, nas-pooling-table,
// nas-design-tables, astraios-table): each runs one scripts/<area>/make-*.test.ts in Node on tfjs wasm
// (as the node test project does), which writes its committed table under packages/.
import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const src = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const tfjsCore = createRequire(src('../packages/core/package.json'))
  .resolve('@tensorflow/tfjs-core/package.json')
  .replace(/package\.json$/, 'dist/index.js');

export default defineConfig({
  resolve: {
    alias: [
      { find: /^@tensorflow\/tfjs-core$/, replacement: tfjsCore },
      { find: /^#tfjs-registrations$/, replacement: src('../packages/core/src/tfjs-registrations.ts') },
      { find: /^@weft\/core\/testing$/, replacement: src('../packages/core/src/testing/index.ts') },
      { find: /^@weft\/core\/internal$/, replacement: src('../packages/core/src/internal.ts') },
      { find: /^@weft\/(core|sharing|moe|nas)$/, replacement: src('../packages/$1/src/index.ts') },
    ],
  },
  test: {
    name: 'table-scripts',
    root: src('..'),
    include: ['scripts/*/make-*.test.ts'],
    setupFiles: ['test/setup/node.ts'],
    testTimeout: 4 * 3_600_000,
    server: { deps: { inline: [/@tensorflow\//, /@weft\//] } },
  },
});

// `npm run bench`: the benchmark cases in Node, on tfjs cpu and Weft's wasm, measured side by side.
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
      { find: /^@weft\/(core|sharing|moe|nas|hf)$/, replacement: src('../packages/$1/src/index.ts') },
    ],
  },
  test: {
    name: 'bench',
    root: src('..'),
    // `pnpm profile` (scripts/profile.mjs) runs its one file instead of the cases.
    include: [process.env.WEFT_PROFILE ? 'bench/profile-run.test.ts' : 'bench/run-cases.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 600_000,
    server: { deps: { inline: [/@tensorflow\//] } },
  },
});

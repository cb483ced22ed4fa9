// Build step of @weft/core (after tsc): bundle tfjs-core's gradient and chained-op registrations
// into dist/tfjs-registrations.node.js, the file `#tfjs-registrations` resolves to in plain Node
// (see src/tfjs-registrations.ts for why). The bundle carries its own copies of the tfjs-core
// modules those registrations use; they reach tfjs's engine and registries through tfjs's globals,
// so they serve the tfjs-core an app loaded. Never minified: it stays readable and keeps tfjs's
// license headers.
import { build } from 'rolldown';
import { fileURLToPath } from 'node:url';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));

await build({
  input: here('../src/tfjs-registrations.ts'),
  // The first import of the entry is tfjs-core itself: leave it to Node (the app's tfjs-core).
  external: [/^@tensorflow\/tfjs-core$/],
  platform: 'node',
  logLevel: 'warn',
  output: { file: here('../dist/tfjs-registrations.node.js'), format: 'esm', comments: { legal: true } },
});

// Copy tfjs's wasm backend binaries into packages/core/wasm/, which @weft/core ships: its
// wasm-binaries module names them with `new URL('../wasm/<file>', import.meta.url)`, the pattern
// Vite, webpack 5, Parcel and Rollup all turn into emitted assets, so `initBackend()` finds them in a
// user's bundle without copying code or configuring the bundler. Run by the package's build and by
// `npm start`. The copied version must equal WASM_BINARIES_VERSION in src/wasm-binaries.ts (checked
// here and by packages/core/test/backend.test.ts): the binaries must match tfjs-backend-wasm's JS.
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const core = fileURLToPath(new URL('../', import.meta.url));
const require = createRequire(join(core, 'package.json'));
const pkg = require.resolve('@tensorflow/tfjs-backend-wasm/package.json');
const { version } = JSON.parse(readFileSync(pkg, 'utf8'));
const expected = /WASM_BINARIES_VERSION = '([^']+)'/.exec(readFileSync(join(core, 'src/wasm-binaries.ts'), 'utf8'))?.[1];
if (version !== expected) {
  throw new Error(`copy-wasm-binaries: @tensorflow/tfjs-backend-wasm is ${version}, but src/wasm-binaries.ts says WASM_BINARIES_VERSION = '${expected}'`);
}
const out = join(core, 'wasm');
mkdirSync(out, { recursive: true });
for (const file of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm']) {
  copyFileSync(join(dirname(pkg), 'dist', file), join(out, file));
}

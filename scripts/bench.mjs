// `npm run bench`: run bench/cases/*.ts in Node and write bench/results.json. It sets up what the
// cases need as `npm test` does: the dependencies, Debian's Chromium (the ui.* cases drive the
// built demo pages in it) and the Vulkan loader path for Dawn on SwiftShader (the *_webgpu cases).
// The cases import the packages' sources; the packages are built too, for the cases that run the
// built reader in child processes (io.*).
// Case-name prefixes as arguments pick cases, e.g. `npm run bench -- ui.train moe.sparse_vs_dense_webgpu`
// (the same as WEFT_BENCH_ONLY=ui.train,moe.sparse_vs_dense_webgpu); a picked run updates only
// those cases in bench/results.json. Arguments starting with `-` go to vitest.
import { buildPackages, ensureChromium, ensureDependencies, pnpm, run, webgpuEnv } from './env.mjs';

const args = process.argv.slice(2);
const picked = args.filter((a) => !a.startsWith('-'));
const only = [process.env.WEFT_BENCH_ONLY, ...picked].filter(Boolean).join(',');
ensureChromium();
ensureDependencies();
buildPackages();
const [pn, pre] = pnpm();
run(pn, [...pre, 'exec', 'vitest', 'run', '--config', 'bench/vitest.config.ts', ...args.filter((a) => a.startsWith('-'))], {
  env: { ...webgpuEnv(), PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1', ...(only ? { WEFT_BENCH_ONLY: only } : {}) },
});

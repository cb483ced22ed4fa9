// `pnpm run profile <model> [--backend wasm|cpu] [--steps 20] [--dim 64] [--seq 32] [--batch 8] [--experts 64] [--top 25]`:
// Weft's trainer step of a small model, profiled kernel by kernel: kernels per step, time per kernel
// name (share, calls, ms) and GFLOP/s of the matrix products against the whole step. Models (see
// bench/profile.ts): tinyTransformer (2 blocks, lm head), mlp (64-256-256-10, batch 256), moe (one
// dropless top-2 MoE layer, 512 tokens, d=64, hidden 256), moePage (moe.html's regressor at its
// defaults); all with Adam. It runs the packages'
// sources under vitest with the bench's config (no build needed). `run` is needed: pnpm 12 has a
// built-in `profile` command (it answers ERR_PNPM_NOT_IMPLEMENTED); `npm run profile` works too.
import { pnpm, run } from './env.mjs';

const MODELS = ['tinyTransformer', 'mlp', 'moe', 'moePage'];
const NUMERIC = ['steps', 'dim', 'seq', 'batch', 'experts', 'top'];
const usage = `usage: pnpm run profile <${MODELS.join('|')}> [--backend wasm|cpu] ${NUMERIC.map((k) => `[--${k} N]`).join(' ')}`;

function fail(message) {
  console.error(`${message}\n${usage}`);
  process.exit(2);
}

const options = {};
let model = null;
let top = 25;
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (!a.startsWith('--')) {
    if (model !== null) fail(`unexpected argument ${a}`);
    model = a;
    continue;
  }
  const key = a.slice(2);
  const value = argv[++i];
  if (value === undefined) fail(`option ${a} needs a value`);
  if (key === 'backend') {
    if (!['wasm', 'cpu'].includes(value)) fail(`--backend=${value}; allowed: wasm, cpu`);
    options.backend = value;
  } else if (NUMERIC.includes(key)) {
    const n = Number(value);
    if (!(Number.isInteger(n) && n > 0)) fail(`--${key}=${value} must be a positive integer`);
    if (key === 'top') top = n;
    else options[key] = n;
  } else fail(`unknown option ${a}`);
}
if (!MODELS.includes(model)) fail(`model=${model ?? '(none)'}; allowed: ${MODELS.join(', ')}`);

const [cmd, pre] = pnpm();
run(cmd, [...pre, 'exec', 'vitest', 'run', '--config', 'bench/vitest.config.ts', '--silent=false', 'bench/profile-run.test.ts'], {
  env: { WEFT_PROFILE: JSON.stringify({ model, options, top }) },
});

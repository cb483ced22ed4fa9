// `npm run bench`: run bench/cases/*.ts in Node and write bench/results.json.
// WEFT_BENCH_ONLY=core.,moe. limits the run to cases whose names start with these prefixes.
import { ensureDependencies, pnpm, run } from './env.mjs';

ensureDependencies();
const [pn, pre] = pnpm();
run(pn, [...pre, 'exec', 'vitest', 'run', '--config', 'bench/vitest.config.ts', ...process.argv.slice(2)]);

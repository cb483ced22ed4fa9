// Make @weft/nas's cached ranking benchmark, packages/nas/src/ranking/table.ts: the stand-alone
// accuracy of each benchmark subnet over the recipe's seeds, zero-cost proxies at initialisation and
// the accuracies an SPOS supernet gives the same subnets (see packages/nas/src/ranking/benchmark.ts).
// Seeded, but tfjs wasm training is not bit-reproducible across processes (repeats within one process
// match; see packages/nas/test/ranking.test.ts). The stand-alone rows take about 11 minutes on the shared
// 2-core machine; the 36 supernet trainings (6 kinds × 3 seeds × 2 benchmarks) over an hour there.
// Usage: node scripts/nas-ranking-table.mjs
import { ensureDependencies, pnpm, run } from './env.mjs';

ensureDependencies();
const [pn, pre] = pnpm();
run(pn, [...pre, 'exec', 'vitest', 'run', '--config', 'scripts/nas-ranking/vitest.config.ts', 'scripts/nas-ranking/make-table.test.ts'], { env: { WEFT_NAS_RANKING_WRITE: '1' } });

// Make @weft/nas's cached ranking benchmark, packages/nas/src/ranking/table.ts: the stand-alone
// accuracy of each benchmark subnet over the recipe's seeds, zero-cost proxies at initialisation and
// the accuracies supernets give the same subnets (see packages/nas/src/ranking/benchmark.ts).
// Seeded, but tfjs wasm training is not bit-reproducible across processes (repeats within one process
// match; see packages/nas/test/ranking.test.ts). The stand-alone rows take about 11 minutes on the shared
// 2-core machine; the 48 supernet trainings (8 kinds × 3 seeds × 2 benchmarks) about two hours there.
// Usage: node scripts/nas-ranking-table.mjs [method,…]
//   With method keys (see SUPERNETS in scripts/nas-ranking/make-table.test.ts, and 'proxies'), only
//   those rankings are added to or replaced in the committed table; its stand-alone rows are kept.
import { ensureDependencies, pnpm, run } from './env.mjs';

ensureDependencies();
const [pn, pre] = pnpm();
const methods = process.argv[2] ?? '';
run(pn, [...pre, 'exec', 'vitest', 'run', '--config', 'scripts/tables.vitest.config.ts', 'scripts/nas-ranking/make-table.test.ts'], { env: { WEFT_NAS_RANKING_WRITE: '1', WEFT_NAS_RANKING_METHODS: methods } });

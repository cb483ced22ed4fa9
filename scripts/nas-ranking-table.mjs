// Make @weft/nas's cached ranking benchmark, packages/nas/src/ranking/table.ts: the stand-alone
// accuracy of each benchmark subnet over the recipe's seeds, zero-cost proxies at initialisation and
// the accuracies an SPOS supernet gives the same subnets (see packages/nas/src/ranking/benchmark.ts).
// Deterministic (seeded; tfjs wasm). About 5 minutes on one free core (vector ≈ 1 min, conv8 ≈ 4 min).
// Usage: node scripts/nas-ranking-table.mjs
import { ensureDependencies, pnpm, run } from './env.mjs';

ensureDependencies();
const [pn, pre] = pnpm();
run(pn, [...pre, 'exec', 'vitest', 'run', '--config', 'scripts/nas-ranking/vitest.config.ts'], { env: { WEFT_NAS_RANKING_WRITE: '1' } });

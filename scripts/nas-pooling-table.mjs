// Make packages/nas/src/pooling/table.ts, the cached pooling benchmark nas.html draws for Balanced
// Mixture of SuperNets (see scripts/nas-ranking/make-pooling.test.ts): about 45 minutes on the
// shared 2-core machine.
// Usage: node scripts/nas-pooling-table.mjs
import { ensureDependencies, pnpm, run } from './env.mjs';

ensureDependencies();
const [pn, pre] = pnpm();
run(pn, [...pre, 'exec', 'vitest', 'run', '--config', 'scripts/tables.vitest.config.ts', 'scripts/nas-ranking/make-pooling.test.ts'], { env: { WEFT_NAS_POOLING_WRITE: '1' } });

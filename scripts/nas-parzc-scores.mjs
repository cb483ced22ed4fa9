// Make packages/nas/src/ranking/parzc-scores.ts: ParZC's held-out scores of the ranking benchmark's
// subnets (see scripts/nas-ranking/make-parzc.test.ts), about 2 minutes on the shared 2-core machine.
// Usage: node scripts/nas-parzc-scores.mjs
import { ensureDependencies, pnpm, run } from './env.mjs';

ensureDependencies();
const [pn, pre] = pnpm();
run(pn, [...pre, 'exec', 'vitest', 'run', '--config', 'scripts/tables.vitest.config.ts', 'scripts/nas-ranking/make-parzc.test.ts'], { env: { WEFT_NAS_PARZC_WRITE: '1' } });

// Make the tables nas.html draws for RegNet's design-space EDFs and Puzzle's searched-vs-uniform
// children: packages/nas/src/regnet/edf-table.ts and packages/nas/src/puzzle/table.ts (see
// scripts/nas-ranking/make-design.test.ts). About 25 minutes on the shared 2-core machine.
// Usage: node scripts/nas-design-tables.mjs
import { ensureDependencies, pnpm, run } from './env.mjs';

ensureDependencies();
const [pn, pre] = pnpm();
run(pn, [...pre, 'exec', 'vitest', 'run', '--config', 'scripts/tables.vitest.config.ts', 'scripts/nas-ranking/make-design.test.ts'], { env: { WEFT_NAS_DESIGN_WRITE: '1' } });

// Make the committed Astraios table, packages/sharing/src/adapters/peft-scaling-table.ts:
// peftScalingStudy (arXiv:2401.00788) at its defaults for seeds 1, 2, 3, which adapters.html shows.
// Seeded, but tfjs wasm training is not bit-reproducible across processes. It takes a few minutes
// per seed on a shared 2-core machine.
// Usage: node scripts/astraios-table.mjs
import { ensureDependencies, pnpm, run } from './env.mjs';

ensureDependencies();
const [pn, pre] = pnpm();
run(pn, [...pre, 'exec', 'vitest', 'run', '--config', 'scripts/tables.vitest.config.ts', 'scripts/astraios/make-table.test.ts'], { env: { WEFT_ASTRAIOS_WRITE: '1' } });

// The packages as a user gets them, checked with publint (package.json against the packed files:
// exports, files, types, sideEffects) and attw, "Are the types wrong?" (each entry's types resolve
// as its JavaScript does). `npm test` runs this after the build and fails on any problem;
// `npm run check:packages` runs it alone (after `pnpm build`).
//
// attw runs with `--profile esm-only`: Weft ships ES modules only (so does the tfjs code it
// imports, whose ESM cannot be required), so the node10 and "node16 from CommonJS" resolutions are
// out of scope and attw ignores them; "node16 from ESM" and "bundler" must be clean.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { pnpm, root } from './env.mjs';

/** Run publint and attw on every package; print what fails. Returns the passed and failed checks. */
export function checkPackages() {
  const [pn, pre] = pnpm();
  let passed = 0;
  let failed = 0;
  for (const dir of readdirSync(`${root}packages`).sort()) {
    const checks = [
      ['publint', ['--strict', `packages/${dir}`]],
      ['attw', ['--pack', `packages/${dir}`, '--profile', 'esm-only']],
    ];
    for (const [tool, args] of checks) {
      const r = spawnSync(pn, [...pre, 'exec', tool, ...args], { cwd: root, encoding: 'utf8' });
      if (r.status === 0) {
        passed++;
        console.log(`  ✓ ${tool} packages/${dir}`);
      } else {
        failed++;
        console.log(`  ✗ ${tool} packages/${dir} (exit ${r.status})\n${r.stdout}${r.stderr}`);
      }
    }
  }
  return { passed, failed };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { failed } = checkPackages();
  process.exit(failed ? 1 : 0);
}

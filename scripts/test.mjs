// `npm test`: the whole suite — installs what is missing, builds the packages, checks them as
// published (publint, attw), then runs the five environments (node: wasm + cpu; node-webgpu: Dawn +
// SwiftShader; browser: Chromium webgpu + webgl; e2e: the built pages; consumer: users' projects on
// the built packages) and prints one summary.
// Extra arguments go to vitest, e.g. `npm test -- --project node packages/core` (then the package
// checks are skipped).
import { mkdirSync, readFileSync, existsSync } from 'node:fs';
import { buildPackages, ensureChromium, ensureDependencies, pnpm, root, run, webgpuEnv } from './env.mjs';
import { checkPackages } from './check-packages.mjs';

const t0 = Date.now();
ensureChromium();
ensureDependencies();
const [pn, pre] = pnpm();
buildPackages();

const extra = process.argv.slice(2);
const projects = extra.includes('--project') ? [null] : ['node', 'node-webgpu', 'browser', 'e2e', 'consumer'];
mkdirSync(`${root}test-results`, { recursive: true });
const summary = [];
let failed = false;
if (projects[0] !== null) {
  console.log('\n• package checks (publint, attw)');
  const checks = checkPackages();
  if (checks.failed) failed = true;
  summary.push({ project: 'packages', status: checks.failed ? 1 : 0, ...checks, skipped: 0, backends: {} });
}
for (const project of projects) {
  const out = `${root}test-results/vitest-${project ?? 'custom'}.json`;
  const args = ['exec', 'vitest', 'run', ...(project ? ['--project', project] : []), '--reporter=default', '--reporter=json', `--outputFile=${out}`, ...extra];
  console.log(`\n• vitest ${project ? `--project ${project}` : extra.join(' ')}`);
  const status = run(pn, [...pre, ...args], { env: { ...webgpuEnv(), PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' }, allowFail: true });
  if (status !== 0) failed = true;
  summary.push({ project: project ?? 'custom', status, ...count(out) });
}

/** Count tests and the backends their suites ran on ("Suite [wasm]"). */
function count(file) {
  if (!existsSync(file)) return { passed: 0, failed: 0, skipped: 0, backends: {} };
  const report = JSON.parse(readFileSync(file, 'utf8'));
  const backends = {};
  let passed = 0, failedN = 0, skipped = 0;
  for (const f of report.testResults ?? []) {
    for (const a of f.assertionResults ?? []) {
      if (a.status === 'passed') passed++;
      else if (a.status === 'failed') failedN++;
      else skipped++;
      const m = (a.ancestorTitles ?? []).join(' ').match(/\[(webgpu|webgl|wasm|cpu)\]/);
      if (m && a.status === 'passed') backends[m[1]] = (backends[m[1]] ?? 0) + 1;
    }
  }
  // A file that failed to load has no assertions but counts as a failure.
  for (const f of report.testResults ?? []) if (f.status === 'failed' && !(f.assertionResults ?? []).length) failedN++;
  return { passed, failed: failedN, skipped, backends };
}

console.log('\nWeft test summary');
for (const s of summary) {
  const b = Object.entries(s.backends).map(([k, v]) => `${k} ${v}`).join(', ');
  console.log(`  ${s.project.padEnd(12)} ${String(s.passed).padStart(4)} passed  ${String(s.failed).padStart(3)} failed${s.skipped ? `  ${s.skipped} skipped` : ''}${b ? `   backend-tagged: ${b}` : ''}${s.status !== 0 && !s.failed ? '  (vitest exited with an error)' : ''}`);
}
const total = summary.reduce((a, s) => ({ passed: a.passed + s.passed, failed: a.failed + s.failed }), { passed: 0, failed: 0 });
if (failed && total.failed === 0) total.failed = 1;
console.log(`  time ${Math.round((Date.now() - t0) / 1000)} s`);
console.log(`${total.passed} passed, ${total.failed} failed`);
process.exit(failed ? 1 : 0);

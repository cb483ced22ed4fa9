// Runs every case of bench/cases/*.ts (one vitest test each, in file order), then writes
// bench/results.json — `{ [name]: { value, unit, backend, target, better, detail } }` — and
// prints a table with each figure against its target. With WEFT_BENCH_ONLY (case-name prefixes,
// comma-separated) only those cases run, and only their entries of results.json are replaced.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { afterAll, it } from 'vitest';
import type { BenchCase } from './case.js';

const modules = import.meta.glob<{ cases: BenchCase[] }>('./cases/*.ts', { eager: true });
const only = process.env.WEFT_BENCH_ONLY?.split(',');
const results: Record<string, unknown> = {};
const rows: string[][] = [];

for (const [file, mod] of Object.entries(modules)) {
  for (const c of mod.cases) {
    if (only && !only.some((o) => c.name.startsWith(o))) continue;
    it(`${c.name} (${file.replace('./cases/', '')})`, async () => {
      const r = await c.run();
      results[c.name] = { value: r.value, unit: c.unit, backend: c.backend, target: c.target, better: c.better, detail: r.detail };
      const meets = c.target === null ? '' : (c.better === 'lower' ? r.value <= c.target : r.value >= c.target) ? 'meets' : 'MISSES';
      rows.push([c.name, fmt(r.value), c.unit, c.backend, c.target === null ? '—' : `${c.better === 'lower' ? '≤' : '≥'} ${c.target}`, meets]);
    });
  }
}

function fmt(v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3);
}

afterAll(() => {
  const path = new URL('./results.json', import.meta.url);
  const kept = only && existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>) : {};
  writeFileSync(path, `${JSON.stringify({ ...kept, ...results }, null, 2)}\n`);
  const head = ['case', 'value', 'unit', 'backend', 'target', ''];
  const all = [head, ...rows];
  const w = head.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  console.log(`\n${all.map((r) => r.map((c, i) => c.padEnd(w[i]!)).join('  ')).join('\n')}\n\n${only ? `updated ${Object.keys(results).length} case(s) in` : 'wrote'} bench/results.json`);
});

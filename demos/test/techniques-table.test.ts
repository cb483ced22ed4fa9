// techniqueRows reads the README's techniques table: every row, its cells (an escaped \| stays in
// its cell), the views its demo-page cell names; and every view it names is a page Vite builds.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { shortName, techniqueRows } from '../src/techniques-table.js';
import { PAGES } from '../src/site.js';

const README = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');

describe('techniqueRows', () => {
  it('reads a small table: cells, escaped bars, code marks, views with anchors', () => {
    const md = [
      'intro',
      '| technique | package | demo page | test |',
      '|---|---|---|---|',
      '| LoRA (`r`, alpha) | `@weft/sharing` | `adapters.html` | `a.test.ts` |',
      '| 1bit: sign × mean\\|τ\\| | `@weft/sharing` | — | `b.test.ts` |',
      '| UT/ACT | `@weft/sharing` | `sharing.html#act`, `train.html` (ledger) | `c.test.ts` |',
      '',
      '| technique | package | demo page | test |',
      '| not read | x | `moe.html` | y |',
    ].join('\n');
    expect(techniqueRows(md)).toEqual([
      { technique: 'LoRA (r, alpha)', pkg: '@weft/sharing', views: ['adapters.html'], pageCell: 'adapters.html' },
      { technique: '1bit: sign × mean|τ|', pkg: '@weft/sharing', views: [], pageCell: '—' },
      { technique: 'UT/ACT', pkg: '@weft/sharing', views: ['sharing.html#act', 'train.html'], pageCell: 'sharing.html#act, train.html (ledger)' },
    ]);
  });

  it('refuses a text without the table', () => {
    expect(() => techniqueRows('# nothing here')).toThrow(/no "\| technique \| package \| demo page \|" table/);
  });

  it('reads every row of the README, and every view a row names is a page of the site', () => {
    const tableLines = README.split('\n');
    const head = tableLines.findIndex((l) => l.startsWith('| technique | package | demo page |'));
    let n = 0;
    for (let i = head + 2; tableLines[i]?.startsWith('|'); i++) n++;
    const rows = techniqueRows(README);
    expect(rows.length).toBe(n);
    expect(n).toBeGreaterThan(30);
    const files = new Set(PAGES.map((p) => `${p.file}.html`));
    for (const r of rows) {
      expect(r.technique.length, r.technique).toBeGreaterThan(3);
      for (const v of r.views) expect(files.has(v.replace(/[?#].*$/, '')), `${shortName(r.technique)} → ${v}`).toBe(true);
    }
  });

  it('shortens a row to its name before the first parenthesis', () => {
    expect(shortName('Hashed sharing: ROAST (tiles, per-layer) and STABLE-RPS')).toBe('Hashed sharing: ROAST');
    expect(shortName('x'.repeat(200), 20)).toHaveLength(20);
  });
});

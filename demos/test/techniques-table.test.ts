// techniqueRows reads the README's techniques table: every row, its cells (an escaped \| stays in
// its cell), the views its demo-page cell names; and every view it names is a page Vite builds.
// Every row names a view unless it is library-only (kernels, formats: listed below); a view's query is
// one its page accepts as is, and its #anchor is an id its page renders (the e2e opens them).
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { shortName, techniqueRows } from '../src/techniques-table.js';
import { PAGES } from '../src/site.js';
import { parseUrlState, type UrlSchema } from '../src/url-state.js';
import { ADAPTERS_SCHEMA } from '../src/pages/adapters-state.js';
import { COMPARE_SCHEMA } from '../src/pages/compare-state.js';
import { FINETUNE_SCHEMA } from '../src/pages/finetune-state.js';
import { MOE_SCHEMA } from '../src/pages/moe-state.js';
import { NAS_SCHEMA } from '../src/pages/nas-state.js';
import { PARAMS_SCHEMA } from '../src/pages/params-state.js';
import { SHARING_SCHEMA } from '../src/pages/sharing-state.js';
import { TRAIN_SCHEMA } from '../src/pages/train-state.js';

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
    expect(shortName('UMoE: Unifying Attention and FFN with Shared Experts — pre-mixing attention (a, b)')).toBe('UMoE: Unifying Attention and FFN with Shared Experts');
  });

  it('gives every row a view, unless it is library-only; every query is accepted by its page and every #anchor is an id its page renders', () => {
    // Rows with nothing to watch on a page (kernels, file formats, checks), by their first words.
    // Every paper's row has a view.
    const libraryOnly = [
      'Training kernels for wasm', 'NaN and ±Inf propagate', 'Configs refuse unknown keys', 'Gradients tfjs lacks',
      'Safetensors reader/writer', 'Loading a transformers MoE block', 'wasm OneHot kernel', 'wasm BatchMatMul as a hand-written',
      'AddN of more than 7 tensors', 'BatchMatMul with a broadcast', 'wasm kernels at memory speed', "Adapters in a user's tfjs", 'Fused training kernels',
    ];
    const schemas: Record<string, UrlSchema> = {
      train: TRAIN_SCHEMA, params: PARAMS_SCHEMA, sharing: SHARING_SCHEMA, adapters: ADAPTERS_SCHEMA,
      finetune: FINETUNE_SCHEMA, moe: MOE_SCHEMA, nas: NAS_SCHEMA, compare: COMPARE_SCHEMA,
    };
    const pagesDir = fileURLToPath(new URL('../src/pages/', import.meta.url));
    const source = (page: string) =>
      readdirSync(pagesDir)
        .filter((f) => f === `${page}.ts` || f.startsWith(`${page}-`))
        .map((f) => readFileSync(`${pagesDir}${f}`, 'utf8'))
        .join('\n');
    const without: string[] = [];
    for (const r of techniqueRows(README)) {
      if (r.views.length === 0) {
        if (!libraryOnly.some((start) => r.technique.startsWith(start))) without.push(shortName(r.technique));
        continue;
      }
      for (const v of r.views) {
        const [, page, query = '', anchor = ''] = /^([a-z0-9-]+)\.html(?:\?([^#]*))?(?:#(.*))?$/.exec(v)!;
        expect(Object.hasOwn(schemas, page!), `${v}: a page with a URL schema`).toBe(true);
        const { state, problems } = parseUrlState(schemas[page!]!, query);
        expect(problems, `${shortName(r.technique)} → ${v}`).toEqual([]);
        for (const [k, value] of new URLSearchParams(query)) expect(schemas[page!]![k]!.format((state as Record<string, unknown>)[k]), `${v}: ${k}`).toBe(value);
        if (anchor) expect(source(page!), `${shortName(r.technique)} → ${v}: no id="${anchor}" in demos/src/pages/${page}*.ts`).toContain(`id="${anchor}"`);
      }
    }
    expect(without, 'README rows with no view (name one in the demo page cell, e.g. page.html#card-title or page.html?setting=value)').toEqual([]);
  });
});

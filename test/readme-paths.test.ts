// The README's techniques table names real files: every repository path in a row's code marks
// (`packages/core/test/module.test.ts`, `scripts/astraios-table.mjs`, a `packages/*/test/*x.test.ts`
// pattern) exists, a pattern matching at least one file. A row left naming a moved or deleted test
// (as test/e2e/responsiveness.test.ts once was) fails here instead of pointing readers nowhere.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../', import.meta.url));
const README = readFileSync(`${root}README.md`, 'utf8');

/** The lines of the README's techniques table (after its header and rule). */
function tableRows(md: string): string[] {
  const lines = md.split('\n');
  const head = lines.findIndex((l) => l.startsWith('| technique | package | demo page |'));
  if (head < 0) throw new Error('README.md: no "| technique | package | demo page |" table');
  const rows: string[] = [];
  for (let i = head + 2; lines[i]?.startsWith('|'); i++) rows.push(lines[i]!);
  return rows;
}

/** Repository paths in a row's code marks: a top-level folder of the repository, then a file with an extension. */
function pathsOf(row: string): string[] {
  const tops = ['packages', 'demos', 'test', 'scripts', 'bench'];
  return [...row.matchAll(/`([^`\s]+)`/g)].map((m) => m[1]!).filter((p) => tops.includes(p.split('/')[0]!) && /\/[^/]+\.[a-z]+$/.test(p));
}

/** Files matching `pattern` (a segment's `*` matches any name in that folder), relative to the root. */
function matches(pattern: string): string[] {
  const isDir = (p: string) => existsSync(`${root}${p}`) && statSync(`${root}${p}`).isDirectory();
  let found = [''];
  for (const segment of pattern.split('/')) {
    const re = new RegExp(`^${segment.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`);
    found = found.flatMap((dir) => (dir === '' || isDir(dir) ? readdirSync(`${root}${dir}`).filter((n) => re.test(n)).map((n) => `${dir}${n}`) : []));
    found = found.map((p) => (isDir(p) ? `${p}/` : p));
  }
  return found.filter((p) => !p.endsWith('/'));
}

describe('README techniques table', () => {
  it('finds files and patterns on a small tree (this file, a pattern, a missing path)', () => {
    expect(matches('test/readme-paths.test.ts')).toEqual(['test/readme-paths.test.ts']);
    expect(matches('test/readme-*.test.ts')).toContain('test/readme-paths.test.ts');
    expect(matches('test/no-such-file.test.ts')).toEqual([]);
    expect(pathsOf('| x | `@weft/core` | `train.html` | `packages/core/test/a.test.ts`, `core/modularity.ts` |')).toEqual(['packages/core/test/a.test.ts']);
  });

  it('names only files that exist', () => {
    const rows = tableRows(README);
    expect(rows.length).toBeGreaterThan(30);
    const missing = rows.flatMap((row) => pathsOf(row).filter((p) => matches(p).length === 0));
    expect(missing, 'README techniques-table paths with no file').toEqual([]);
  });
});

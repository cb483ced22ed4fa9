// The pages' CSP has no style-src 'unsafe-inline', so no template may carry a `style` attribute or
// a <style> element (the browser drops them and reports a violation); inline styles go through the
// CSSOM, as a `.style=${…}` property binding. This scan covers templates the e2e tests never render
// (error states, rare branches).
import { describe, expect, it } from 'vitest';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const src = fileURLToPath(new URL('../src/', import.meta.url));
/** A `style=` attribute (not `.style=`, not `el.style =`), or a <style> element. */
const INLINE_STYLE = /(?<![.\w$-])style=["'$]|<style[\s>]/;

describe('demo templates', () => {
  it('set no style attribute and hold no <style> element', async () => {
    const files = (await readdir(src, { recursive: true })).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(10);
    const found: string[] = [];
    for (const f of files) {
      const lines = (await readFile(join(src, f), 'utf8')).split('\n');
      lines.forEach((line, i) => {
        if (INLINE_STYLE.test(line)) found.push(`${f}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(found).toEqual([]);
  });
});

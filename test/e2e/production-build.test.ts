// The pages these tests drive are the production build users get: no JavaScript file of the build
// carries Lit's development bundle (its dev-mode warning and warning registry), and a page, loaded,
// runs Lit in production mode (no `litIssuedWarnings` registry, no dev-mode warning on the console).
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser } from 'playwright';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { demoUrl, launch, openWatched } from './browser.js';

/** Strings only Lit's development bundle contains (lit-element and @lit/reactive-element). */
const LIT_DEV_ONLY = ['Lit is in dev mode', 'litIssuedWarnings'];

/** Paths of every .js file under `dir`, relative to it. */
async function jsFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.js')).map((e) => join(e.parentPath, e.name).slice(dir.length + 1));
}

describe('the served demos are the production build', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('contains Lit, and none of the strings only its development bundle has', async () => {
    const dist = inject('demosDist');
    const files = await jsFiles(dist);
    const sources = await Promise.all(files.map(async (f) => ({ f, text: await readFile(join(dist, f), 'utf8') })));
    // Lit is in the build (both of its bundles register their version here), so the check below
    // looks at the chunk that holds it.
    expect(sources.some(({ text }) => text.includes('litElementVersions')), 'a chunk holding Lit').toBe(true);
    const devStrings = sources.flatMap(({ f, text }) => LIT_DEV_ONLY.filter((s) => text.includes(s)).map((s) => `${f}: ${s}`));
    expect(devStrings, 'Lit development-bundle strings in the build').toEqual([]);
  });

  it('runs Lit in production mode in the page', async () => {
    const w = await openWatched(browser);
    const { page } = w;
    const warnings: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'warning') warnings.push(m.text());
    });
    await page.goto(demoUrl('train.html'));
    await expect.poll(() => page.locator('weft-train-page h1').textContent()).toContain('Train an MLP');
    expect(await page.evaluate(() => 'litIssuedWarnings' in globalThis), 'Lit dev-mode warning registry').toBe(false);
    expect(warnings.filter((m) => m.includes('dev mode')), 'Lit dev-mode warnings').toEqual([]);
    expect(w.errors, 'console errors').toEqual([]);
    await page.context().close();
  });
});

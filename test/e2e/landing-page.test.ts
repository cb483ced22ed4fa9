// index.html, built: says what Weft is, has a card per technique family (a link when the page
// exists, "Coming" otherwise — and every link works), links to the MLP page, works under the
// CSP in light and dark, and talks to no other origin.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CSP, demoUrl, launch, openWatched, resultPath } from './browser.js';

describe('index.html', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  for (const dark of [false, true]) {
    it(`introduces Weft and links every existing page (${dark ? 'dark' : 'light'})`, async () => {
      const w = await openWatched(browser, { dark });
      const { page } = w;
      await page.goto(demoUrl('index.html'));
      expect(await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content')).toBe(CSP);
      await expect.poll(() => page.locator('weft-landing h1').textContent()).toMatch(/\S/);
      expect(await page.locator('weft-landing .lead').first().textContent()).toContain('Weft');

      const families = ['weight-sharing', 'adapters', 'mixture-of-experts', 'supernets', 'comparator'];
      const cards = page.locator('weft-landing [data-family]');
      expect(await cards.evaluateAll((els) => els.map((e) => e.getAttribute('data-family')))).toEqual(families);
      for (const f of families) {
        const card = page.locator(`weft-landing [data-family="${f}"]`);
        const href = await card.getAttribute('href');
        if (href === null) expect(await card.textContent()).toContain('Coming');
        else expect((await page.request.get(new URL(href, page.url()).href)).status(), href).toBe(200);
      }

      // Every row of the README's techniques table is listed; each one with a page links to it.
      const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8').split('\n');
      const head = readme.findIndex((l) => l.startsWith('| technique | package | demo page |'));
      let rows = 0;
      for (let i = head + 2; readme[i]?.startsWith('|'); i++) rows++;
      expect(await page.locator('weft-landing [data-technique]').count()).toBe(rows);
      const hrefs = new Set(await page.locator('weft-landing a[data-technique]').evaluateAll((els) => els.map((e) => e.getAttribute('href')!)));
      expect(hrefs.size).toBeGreaterThan(5);
      for (const href of hrefs) expect((await page.request.get(new URL(href, page.url()).href)).status(), href).toBe(200);

      await page.screenshot({ path: resultPath(dark ? 'landing-dark.png' : 'landing.png'), fullPage: true });
      await page.locator('weft-landing a[data-page="train"]').click();
      await page.waitForURL(/train\.html/);
      await expect.poll(() => page.locator('weft-train-page h1').textContent()).toContain('Train an MLP');
      expect(w.errors, 'console errors').toEqual([]);
      expect(w.foreign, 'requests to other origins').toEqual([]);
      expect(await w.cspViolations()).toEqual([]);
      await page.context().close();
    });
  }

  it('has a header that links back to the overview from the MLP page', async () => {
    const w = await openWatched(browser, { width: 390 });
    const { page } = w;
    await page.goto(demoUrl('train.html'));
    await page.locator('weft-site-header a.brand').click();
    await page.waitForURL((u) => !u.pathname.endsWith('train.html'));
    await expect.poll(() => page.locator('weft-landing [data-family]').count()).toBe(5);
    // Nothing wider than a phone screen.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: resultPath('landing-mobile.png'), fullPage: true });
    expect(w.errors).toEqual([]);
    expect(w.foreign).toEqual([]);
    await page.context().close();
  });
});

// index.html, built: says what Weft is, has a card per technique family (a link when the page
// exists, "Coming" otherwise — and every link works), links to the MLP page, works under the
// CSP in light and dark, and talks to no other origin. Every technique's link opens its view: the
// page renders with the link's settings accepted, the anchored card is there (and scrolled to),
// the page builds its model without an error.
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

  it('opens every technique\'s view: settings accepted, the anchored card rendered, the model built', async () => {
    const w = await openWatched(browser);
    const { page } = w;
    await page.goto(demoUrl('index.html'));
    await expect.poll(() => page.locator('weft-landing a[data-technique]').count()).toBeGreaterThan(5);
    const links = await page.locator('weft-landing a[data-technique], weft-landing a[data-view]').evaluateAll((els) => els.map((e) => (e as HTMLAnchorElement).href));
    // One visit per page and settings; the anchors named on it are checked on that visit.
    const visits = new Map<string, Set<string>>();
    for (const href of links) {
      const u = new URL(href);
      const anchors = visits.get(u.origin + u.pathname + u.search) ?? new Set<string>();
      if (u.hash) anchors.add(decodeURIComponent(u.hash.slice(1)));
      visits.set(u.origin + u.pathname + u.search, anchors);
    }
    expect(visits.size).toBeGreaterThan(10);
    for (const [url, anchors] of visits) {
      await page.goto(url);
      const name = url.slice(url.lastIndexOf('/') + 1);
      await expect.poll(() => page.locator('main h1, h1').first().textContent(), name).toMatch(/\S/);
      // The link's settings were taken as they are: no notice, and the link still holds them.
      expect(await page.locator('weft-url-notice .box').count(), `${name}: a URL notice`).toBe(0);
      for (const [k, v] of new URL(url).searchParams) expect(new URL(page.url()).searchParams.get(k), `${name}: ${k}`).toBe(v);
      for (const id of anchors) await expect.poll(() => page.locator(`#${id}`).count(), `${name}#${id}`).toBe(1);
      // A training page builds its model for these settings (Start becomes pressable) without an error.
      if ((await page.locator('[data-action="start"]').count()) > 0 && !name.startsWith('finetune')) {
        await expect.poll(() => page.locator('[data-action="start"]').first().isEnabled(), `${name}: Start`).toBe(true);
      }
      expect(await page.locator('[data-job-error]').allTextContents(), `${name}: job error`).toEqual([]);
      expect(w.errors, `${name}: console errors`).toEqual([]);
    }
    // An anchored link opens at its card, also on a phone.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(demoUrl('moe.html#pkm-title'));
    // Its heading ends up in the top half of the screen (the page is far longer than one screen).
    await expect
      .poll(() => page.locator('#pkm-title').evaluate((el) => Math.round(el.getBoundingClientRect().top) >= 0 && el.getBoundingClientRect().top < innerHeight / 2))
      .toBe(true);
    expect(await page.evaluate(() => scrollY)).toBeGreaterThan(0);
    expect(w.foreign).toEqual([]);
    await page.context().close();
  });

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

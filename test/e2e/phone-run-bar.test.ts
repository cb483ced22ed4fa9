// On a phone the settings stack above the live view, so Start is pressed with the charts out of
// sight: a pinned run bar (status, step, loss) shows at the bottom of the screen while the run is
// live and the progress card is scrolled away, and a tap on it brings the live view back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright';
import { demoUrl, launch, openWatched } from './browser.js';

describe('the pinned run bar on a phone', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  for (const [file, steps] of [['train.html', '100,000'], ['moe.html', '20,000']] as const) {
    it(`${file}: Start shows the run's step and loss at the bottom of the screen; a tap scrolls to the live view`, async () => {
      const w = await openWatched(browser, { width: 390 });
      const { page } = w;
      await page.setViewportSize({ width: 390, height: 844 });
      await page.goto(demoUrl(`${file}?backend=wasm&steps=${steps.replace(',', '')}`));
      const start = page.locator('button[data-action="start"]');
      await expect.poll(() => start.isEnabled(), { timeout: 60_000 }).toBe(true);
      const pinned = page.locator('weft-progress-bar [data-pinned]');
      expect(await pinned.isVisible()).toBe(false); // nothing pinned before a run
      await start.click();
      // Back at the settings (the top of the page), the live view is out of sight below them.
      await page.evaluate(() => window.scrollTo(0, 0));
      const progressTop = await page.locator('weft-progress-bar').evaluate((el) => el.getBoundingClientRect().top);
      expect(progressTop).toBeGreaterThan(844);
      await expect.poll(() => pinned.isVisible(), { timeout: 60_000 }).toBe(true);
      const box = (await pinned.boundingBox())!;
      expect(box.y + box.height).toBeGreaterThan(844 - 2); // at the bottom edge of the screen
      expect(box.y).toBeGreaterThan(844 - 120);
      await expect.poll(async () => /loss \d/.test((await pinned.textContent()) ?? ''), { timeout: 60_000 }).toBe(true);
      expect(await pinned.textContent()).toMatch(new RegExp(`[\\d,]+ / ${steps}`));
      // A tap brings the progress card into view, and the pinned copy goes away.
      await pinned.click();
      await expect.poll(() => page.locator('weft-progress-bar').evaluate((el) => el.getBoundingClientRect().top), { timeout: 10_000 }).toBeLessThan(844);
      await expect.poll(() => pinned.isVisible(), { timeout: 10_000 }).toBe(false);
      await page.locator('button[data-action="stop"]').click();
      expect(w.errors).toEqual([]);
      await page.context().close();
    }, 180_000);
  }

  it('train.html at desktop width: never pinned', async () => {
    const w = await openWatched(browser, { width: 1280 });
    const { page } = w;
    await page.goto(demoUrl('train.html?backend=wasm&steps=100000'));
    const start = page.locator('button[data-action="start"]');
    await expect.poll(() => start.isEnabled(), { timeout: 60_000 }).toBe(true);
    await start.click();
    await page.mouse.wheel(0, 3000);
    await page.waitForTimeout(1000);
    expect(await page.locator('weft-progress-bar [data-pinned]').isVisible()).toBe(false);
    await page.locator('button[data-action="stop"]').click();
    await page.context().close();
  }, 120_000);
});

// Every page of the site map that trains (all but the landing page and the calculator), built and
// served: Start starts a run, Pause answers (Resume shows) and Resume continues, Stop ends it, and
// nothing is logged as an error or reported as a CSP violation. Behaviour only, with generous waits: how long the main thread's
// tasks are while training is measured by `pnpm bench` (the ui.* cases), not asserted here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Locator } from 'playwright';
import { PAGES } from '../../demos/src/site.js';
import { demoUrl, launch, openWatched } from './browser.js';

/** Buttons that start training on Weft's pages. */
const START = ['start', 'run', 'train', 'pretrain', 'search'].map((a) => `button[data-action="${a}"]`).join(', ');
const trainingPages = PAGES.filter((p) => p.file !== 'index' && p.file !== 'params');
/** Pages whose runs have Stop but no Pause (adapters.html: pretrain, then fine-tune every method). */
const STOP_ONLY = ['adapters'];

const enabled = (button: Locator) => button.isEnabled({ timeout: 1000 }).catch(() => false);

describe('pages that train', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  for (const { file } of trainingPages) {
    it(`${file}.html: Start trains, Pause answers, Resume continues, Stop ends the run`, async () => {
      const w = await openWatched(browser);
      const { page } = w;
      // Many steps, so the run is still going when Pause is pressed.
      await page.goto(demoUrl(`${file}.html?steps=5000`));
      const start = page.locator(START).first();
      const stop = page.locator('button[data-action="stop"]').first();
      await expect.poll(() => enabled(start), { timeout: 120_000 }).toBe(true);
      await start.click();
      // A run is on while Stop is enabled.
      await expect.poll(() => enabled(stop), { timeout: 120_000 }).toBe(true);

      const pause = page.locator('button[data-action="pause"]').first();
      const resume = page.locator('button[data-action="resume"]').first();
      if (!STOP_ONLY.includes(file)) expect(await pause.count(), 'a Pause button while training').toBeGreaterThan(0);
      if ((await pause.count()) > 0) {
        await expect.poll(() => enabled(pause), { timeout: 120_000 }).toBe(true);
        await pause.click();
        await resume.waitFor({ state: 'visible', timeout: 120_000 });
        await resume.click();
        await pause.waitFor({ state: 'visible', timeout: 120_000 });
      }

      if (await enabled(stop)) await stop.click();
      await expect.poll(() => enabled(stop), { timeout: 120_000 }).toBe(false);
      await expect.poll(() => enabled(start), { timeout: 120_000 }).toBe(true);
      expect(w.errors, 'console errors').toEqual([]);
      expect(await w.cspViolations(), 'CSP violations').toEqual([]);
      await page.context().close();
    });
  }
});

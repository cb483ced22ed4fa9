// Responsiveness of every page that trains (train.html, compare.html and each technique page in
// the site map), built and served: while training, after the first second, the main thread has
// no task longer than 200 ms (PerformanceObserver 'longtask'), and Pause answers within 1.5 s.
// params.html, which has no training, is held to the same bound while its sliders move.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright';
import { PAGES } from '../../demos/src/site.js';
import { demoUrl, launch } from './browser.js';
import { measureSliderPage, measureTrainingPage, trainingPages } from './responsiveness-probe.js';

const BUDGET_MS = 200;

describe('responsiveness while training', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  for (const spec of trainingPages(PAGES)) {
    it(`${spec.file}.html: no task over ${BUDGET_MS} ms while training, Pause answers`, async () => {
      const m = await measureTrainingPage(browser, demoUrl(''), spec);
      console.log(
        `${spec.file}.html: longest task ${Math.round(m.longestTaskMs)} ms over ${m.watchedMs} ms of training (${m.tasks.length} tasks > 50 ms: ${m.tasks.map((t) => `${Math.round(t.duration)}@${Math.round(t.start)}`).join(', ')}); pause answered in ${m.pauseResponseMs ?? '—'} ms`,
      );
      expect(m.longestTaskMs).toBeLessThan(BUDGET_MS);
      if (m.pauseResponseMs !== null) expect(m.pauseResponseMs).toBeLessThan(1500);
    });
  }

  it(`params.html: no task over ${BUDGET_MS} ms while sliders move`, async () => {
    const m = await measureSliderPage(browser, demoUrl(''));
    console.log(`params.html: longest task ${Math.round(m.longestTaskMs)} ms over 40 slider moves (${m.tasks.length} tasks > 50 ms)`);
    expect(m.longestTaskMs).toBeLessThan(BUDGET_MS);
  });
});

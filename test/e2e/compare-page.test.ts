// compare.html, built and served: every technique runs on the same task and budget, one after
// another; each finished run has its ledger (stored / effective / trainable / active as the
// techniques define them) and a held-out accuracy, and sits on the Pareto chart, which switches
// between stored and active parameters while the queue runs. Bad URL values are explained.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright';
import { CSP, demoUrl, launch, openWatched, resultPath, type WatchedPage } from './browser.js';

const IDS = ['dense', 'dense-small', 'shared', 'hashed', 'moe', 'lora', 'nas'];
const cell = async (page: Page, id: string, attr: string): Promise<number> =>
  Number(await page.locator(`weft-compare-page tr[data-run="${id}"] [data-${attr}]`).getAttribute(`data-${attr}`));
const runStatus = (page: Page, id: string) => page.locator(`weft-compare-page tr[data-run="${id}"]`).getAttribute('data-status');
const queue = (page: Page) => page.locator('weft-compare-page [data-queue]').getAttribute('data-queue');

async function expectClean(w: WatchedPage): Promise<void> {
  expect(w.errors, 'console errors').toEqual([]);
  expect(w.foreign, 'requests to other origins').toEqual([]);
  expect(await w.cspViolations(), 'CSP violations').toEqual([]);
}

describe('compare.html', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('runs every technique on one budget, one after another, with ledgers, accuracies and a live Pareto chart', async () => {
    const w = await openWatched(browser);
    const { page } = w;
    await page.goto(demoUrl('compare.html?steps=150'));
    expect(await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content')).toBe(CSP);
    const run = page.locator('button[data-action="run"]');
    await expect.poll(() => run.isEnabled(), { timeout: 60_000 }).toBe(true);
    expect(await page.locator('weft-compare-page tr[data-run]').count()).toBe(IDS.length);
    await run.click();

    // While the queue runs, controls answer: the axis toggle switches.
    await expect.poll(() => queue(page)).toBe('running');
    await page.locator('button[data-axis="active"]').click();
    await expect.poll(() => page.locator('button[data-axis="active"]').getAttribute('aria-pressed')).toBe('true');
    await page.locator('button[data-axis="stored"]').click();
    // Runs go one at a time: never two training at once.
    const seen = new Set<string>();
    while ((await queue(page)) === 'running') {
      const states = await page.locator('weft-compare-page tr[data-run]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-status')));
      expect(states.filter((s) => s === 'training' || s === 'building').length).toBeLessThanOrEqual(1);
      states.forEach((s, i) => s === 'training' && seen.add(IDS[i]!));
      await page.waitForTimeout(150);
    }
    for (const id of IDS) expect(await runStatus(page, id), id).toBe('done');
    expect(seen.size).toBeGreaterThanOrEqual(3);

    // The ledgers: the dense MLP 2-32-32-32-32-2 has 3,330 parameters; the 2-layer one and the
    // all-shared one store 1,218 (the shared one uses its hidden Linear three times: 3,330 effective);
    // LoRA r=4 on three 32×32 layers trains 3 × 4 × 64 = 768 on a frozen 3,330; top-1 of 4 experts.
    expect(await cell(page, 'dense', 'stored')).toBe(3330);
    expect(await cell(page, 'dense-small', 'stored')).toBe(1218);
    expect(await cell(page, 'shared', 'stored')).toBe(1218);
    expect(await cell(page, 'hashed', 'stored')).toBeLessThan(3330 / 3);
    expect(await cell(page, 'lora', 'trainable')).toBe(768);
    expect(await cell(page, 'lora', 'stored')).toBe(3330 + 768);
    const moeStored = await cell(page, 'moe', 'stored');
    const moeActive = await cell(page, 'moe', 'active');
    expect(moeActive).toBeLessThan(moeStored / 2);
    for (const id of IDS) {
      const acc = await cell(page, id, 'accuracy');
      expect(acc, id).toBeGreaterThanOrEqual(0);
      expect(acc, id).toBeLessThanOrEqual(1);
    }
    expect(await cell(page, 'dense', 'accuracy')).toBeGreaterThan(0.6); // spirals are learnable in 150 steps

    // Each model's decision boundary over the task's points, side by side: every one has learned
    // to tell both classes apart somewhere on the plane.
    for (const id of IDS) {
      const tile = page.locator(`weft-compare-page [data-boundary="${id}"]`);
      expect(await tile.getAttribute('data-has-field'), id).toBe('true');
      expect(Number(await tile.locator('[data-predicted]').getAttribute('data-predicted')), id).toBe(2);
    }

    // The chart: one point per run at its held-out accuracy, none live; the frontier is marked.
    const points = page.locator('weft-pareto-chart [data-point]');
    expect(await points.count()).toBe(IDS.length);
    expect(await page.locator('weft-pareto-chart [data-live="true"]').count()).toBe(0);
    expect(Number(await page.locator('weft-pareto-chart [data-point="moe"]').getAttribute('data-params'))).toBe(moeStored);
    expect(Number(await page.locator('weft-pareto-chart [data-point="dense"]').getAttribute('data-accuracy'))).toBeCloseTo(await cell(page, 'dense', 'accuracy'), 6);
    expect(await page.locator('weft-compare-page .frontier-tag').count()).toBeGreaterThanOrEqual(1);
    await page.locator('button[data-axis="active"]').click();
    await expect.poll(async () => Number(await page.locator('weft-pareto-chart [data-point="moe"]').getAttribute('data-params'))).toBe(moeActive);
    await page.locator('button[data-axis="stored"]').click();

    // Each run's ledger opens in place; the shared model lists its hidden Linear under three paths.
    await page.locator('button[data-ledger="shared"]').click();
    const ledger = page.locator('weft-compare-page weft-ledger-table');
    await expect.poll(() => ledger.locator('[data-total="stored"]').getAttribute('data-value')).toBe('1218');
    expect(await ledger.locator('[data-total="effective"]').getAttribute('data-value')).toBe('3330');
    expect(await ledger.locator('td.note', { hasText: 'shared with' }).count()).toBeGreaterThanOrEqual(4);
    await page.screenshot({ path: resultPath('compare.png'), fullPage: true });
    await expectClean(w);
    await page.context().close();
  });

  it('explains bad URL values, runs a chosen subset, and stops the queue on request', async () => {
    const w = await openWatched(browser);
    const { page } = w;
    await page.goto(demoUrl('compare.html?techniques=dense,bogus&steps=5&lr=abc'));
    const notice = page.locator('weft-url-notice');
    await expect.poll(() => notice.locator('li').count()).toBe(3);
    expect(await notice.locator('li[data-param="techniques"]').textContent()).toContain('a comma-separated list of dense, dense-small');
    expect(await notice.locator('li[data-param="steps"]').textContent()).toContain('a whole number from 10 to 20,000');
    expect(new URL(page.url()).searchParams.get('steps')).toBe('600');

    await page.goto(demoUrl('compare.html?techniques=dense,moe&steps=4000'));
    await expect.poll(() => page.locator('button[data-action="run"]').isEnabled(), { timeout: 60_000 }).toBe(true);
    expect(await runStatus(page, 'dense')).toBe('queued');
    expect(await page.locator('weft-compare-page tr[data-run="shared"]').count()).toBe(0);
    await page.locator('button[data-action="run"]').click();
    await expect.poll(() => runStatus(page, 'dense'), { timeout: 120_000 }).toBe('training');
    expect(await page.locator('weft-compare-page [data-queue]').textContent()).toMatch(/Run 1 of 2: Dense baseline/);
    await page.locator('button[data-action="stop"]').click();
    await expect.poll(() => queue(page)).toBe('idle');
    expect(await runStatus(page, 'dense')).toBe('stopped');
    expect(await runStatus(page, 'moe')).toBe('stopped');
    // Settings unlock after a stop.
    expect(await page.locator('input[name="steps"]').isEnabled()).toBe(true);
    await expectClean(w);
    await page.context().close();
  });
});

// train.html, built and served as a user gets it: it trains live (the step counter moves, the
// loss falls), pauses and resumes, shows the MLP's parameter count, keeps its state in the URL,
// explains bad URL values, runs on every backend under the strict CSP, and talks to no other origin.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright';
import { CSP, demoUrl, launch, openWatched, resultPath, type WatchedPage } from './browser.js';

/** Parameters of an MLP 2 → hidden → classes (weights and biases). */
function mlpParams(hidden: number[], classes: number): number {
  const widths = [2, ...hidden, classes];
  let n = 0;
  for (let i = 1; i < widths.length; i++) n += widths[i - 1]! * widths[i]! + widths[i]!;
  return n;
}

const step = async (page: Page) => Number(await page.locator('weft-progress-bar [data-step]').getAttribute('data-step'));
const loss = async (page: Page) => Number(await page.locator('[data-loss]').getAttribute('data-loss'));
const status = (page: Page) => page.locator('weft-progress-bar [data-status]').getAttribute('data-status');
const stored = async (page: Page) => Number(await page.locator('weft-ledger-table [data-total="stored"]').getAttribute('data-value'));
const startButton = (page: Page) => page.locator('button[data-action="start"]');

async function waitForStep(page: Page, atLeast: number, timeout = 120_000): Promise<number> {
  await page.waitForFunction(
    (n) => {
      const el = document.querySelector('weft-train-page')?.shadowRoot?.querySelector('weft-progress-bar')?.shadowRoot?.querySelector('[data-step]');
      return Number(el?.getAttribute('data-step')) >= n;
    },
    atLeast,
    { timeout, polling: 100 },
  );
  return step(page);
}

async function expectClean(w: WatchedPage): Promise<void> {
  expect(w.errors, 'console errors').toEqual([]);
  expect(w.foreign, 'requests to other origins').toEqual([]);
  expect(await w.cspViolations(), 'CSP violations').toEqual([]);
}

describe('train.html', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('trains live: the step counter moves, the loss falls, pause keeps the weights and resume continues', async () => {
    const w = await openWatched(browser);
    const { page } = w;
    await page.goto(demoUrl('train.html'));
    expect(await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content')).toBe(CSP);
    await expect.poll(() => page.locator('weft-backend-badge [data-backend]').count(), { timeout: 60_000 }).toBe(1);
    await expect.poll(() => startButton(page).isEnabled(), { timeout: 60_000 }).toBe(true);
    // The ledger of the default MLP (2 → 32 → 32 → 2) before training.
    expect(await stored(page)).toBe(mlpParams([32, 32], 2));
    await expect(page.locator('weft-ledger-table tbody tr').count()).resolves.toBe(6);

    await startButton(page).click();
    const first = await waitForStep(page, 1);
    // The first report's loss (the worker may be several reports ahead by the time the page is read).
    const firstLoss = Number(await page.locator('[data-first-loss]').getAttribute('data-first-loss'));
    expect(firstLoss).toBeGreaterThan(0.3); // two balanced classes start near ln 2 ≈ 0.69
    const later = await waitForStep(page, first + 400);
    expect(later).toBeGreaterThan(first);
    const laterLoss = await loss(page);
    expect(laterLoss).toBeLessThan(firstLoss * 0.7);
    expect(await page.locator('[data-caption]').textContent()).toMatch(/after [\d,]+ steps/);

    // Pause: the step stops moving; resume: it continues from there.
    await page.locator('button[data-action="pause"]').click();
    await expect.poll(() => status(page), { timeout: 120_000 }).toBe('paused');
    const paused = await step(page);
    await page.waitForTimeout(400);
    expect(await step(page)).toBe(paused);
    await page.locator('button[data-action="resume"]').click();
    const resumed = await waitForStep(page, paused + 50);
    expect(resumed).toBeGreaterThan(paused);
    expect(await loss(page)).toBeLessThan(firstLoss * 0.7);

    await page.locator('button[data-action="stop"]').click();
    await expect.poll(() => status(page), { timeout: 60_000 }).toMatch(/stopped|done/);
    await page.screenshot({ path: resultPath('train.png'), fullPage: true });
    await expectClean(w);
    await page.context().close();
  });

  it('shows the speed the step counter moves at (steps over wall time), not a faster figure', async () => {
    const w = await openWatched(browser);
    const { page } = w;
    await page.goto(demoUrl('train.html?backend=wasm&steps=100000'));
    await expect.poll(() => startButton(page).isEnabled(), { timeout: 60_000 }).toBe(true);
    await startButton(page).click();
    await waitForStep(page, 50);
    // In the page: every 100 ms for 5 s, the step shown, the time, and the speed shown.
    const samples = await page.evaluate(async () => {
      const bar = () => document.querySelector('weft-train-page')!.shadowRoot!.querySelector('weft-progress-bar')!.shadowRoot!;
      const out: Array<{ at: number; step: number; rate: number }> = [];
      for (let i = 0; i <= 50; i++) {
        out.push({ at: performance.now(), step: Number(bar().querySelector('[data-step]')!.getAttribute('data-step')), rate: Number(bar().querySelector('[data-rate]')!.textContent) });
        await new Promise((r) => setTimeout(r, 100));
      }
      return out;
    });
    const last = samples.at(-1)!;
    const from = samples.find((s) => s.at >= last.at - 3000)!;
    const counter = ((last.step - from.step) * 1000) / (last.at - from.at);
    expect(counter).toBeGreaterThan(0);
    // The speed shown at the end measures the same last seconds of the same counter (the page
    // times its own renders, this test its DOM reads: on a loaded machine they differ by a third at
    // most; the bug this guards against showed 1.3–2.2× the counter's speed).
    const shown = last.rate;
    expect(shown / counter, `shown ${shown} steps/s, counter ${counter.toFixed(1)} steps/s`).toBeGreaterThan(0.6);
    expect(shown / counter, `shown ${shown} steps/s, counter ${counter.toFixed(1)} steps/s`).toBeLessThan(1.5);
    await page.locator('button[data-action="stop"]').click();
    await expectClean(w);
    await page.context().close();
  });

  it('takes a new learning rate while training, without restarting the run', async () => {
    const w = await openWatched(browser);
    const { page } = w;
    await page.goto(demoUrl('train.html?backend=wasm&steps=100000&lr=0.001'));
    await expect.poll(() => startButton(page).isEnabled(), { timeout: 60_000 }).toBe(true);
    await startButton(page).click();
    const before = await waitForStep(page, 100);
    // Settings that rebuild the model are locked; the learning rate is not.
    expect(await page.locator('input[name="hidden"]').isDisabled()).toBe(true);
    const lr = page.locator('input[name="lr"]');
    expect(await lr.isDisabled()).toBe(false);
    await lr.fill('0.05');
    await lr.dispatchEvent('change');
    await expect.poll(() => new URL(page.url()).searchParams.get('lr')).toBe('0.05');
    // The same run goes on: the counter keeps climbing from where it was.
    const after = await waitForStep(page, before + 100);
    expect(after).toBeGreaterThan(before);
    expect(await status(page)).toBe('running');
    await page.locator('button[data-action="stop"]').click();
    await expectClean(w);
    await page.context().close();
  });

  it('shows a friendly message for each bad URL value and falls back to the defaults', async () => {
    const w = await openWatched(browser);
    const { page } = w;
    await page.goto(demoUrl('train.html?seed=abc&hidden=99999&dataset=galaxies&lr=-1&steps=50'));
    const notice = page.locator('weft-url-notice');
    await expect.poll(() => notice.locator('li').count()).toBe(4);
    expect(await notice.locator('li[data-param="seed"]').textContent()).toContain('seed=“abc” is not valid: expected a whole number');
    expect(await notice.locator('li[data-param="hidden"]').textContent()).toContain('hidden=“99999”');
    expect(await notice.locator('li[data-param="dataset"]').textContent()).toMatch(/dataset=“galaxies”.*one of spirals, moons/);
    expect(await notice.locator('li[data-param="lr"]').textContent()).toContain('Using the default, 0.01');
    // The page still works with the defaults (and the valid steps=50), and the link now says so.
    await expect.poll(() => startButton(page).isEnabled(), { timeout: 60_000 }).toBe(true);
    expect(await stored(page)).toBe(mlpParams([32, 32], 2));
    const url = new URL(page.url());
    expect(Object.fromEntries(url.searchParams)).toMatchObject({ seed: '1', hidden: '32,32', dataset: 'spirals', lr: '0.01', steps: '50' });
    await page.screenshot({ path: resultPath('train-bad-url.png') });
    await startButton(page).click();
    await expect.poll(() => status(page), { timeout: 60_000 }).toBe('done');
    expect(await step(page)).toBe(50);
    await expectClean(w);
    await page.context().close();
  });

  it('keeps the settings in the URL: a link reproduces them and edits update the link and the model', async () => {
    const w = await openWatched(browser);
    const { page } = w;
    await page.goto(demoUrl('train.html?dataset=clusters&hidden=8&steps=300&seed=5'));
    await expect.poll(() => startButton(page).isEnabled(), { timeout: 60_000 }).toBe(true);
    expect(await page.locator('weft-url-notice li').count()).toBe(0);
    expect(await page.locator('select[name="dataset"]').inputValue()).toBe('clusters');
    expect(await page.locator('input[name="hidden"]').inputValue()).toBe('8');
    expect(await stored(page)).toBe(mlpParams([8], 3));

    await page.locator('input[name="hidden"]').fill('16,16');
    await page.locator('input[name="hidden"]').dispatchEvent('change');
    await expect.poll(() => new URL(page.url()).searchParams.get('hidden')).toBe('16,16');
    await expect.poll(() => stored(page)).toBe(mlpParams([16, 16], 3));
    expect(new URL(page.url()).searchParams.get('seed')).toBe('5');

    // An invalid edit is explained next to the field and changes neither the link nor the model.
    await page.locator('input[name="hidden"]').fill('16,lots');
    await page.locator('input[name="hidden"]').dispatchEvent('change');
    await expect.poll(() => page.locator('.field.invalid .error').textContent()).toContain('comma-separated whole numbers');
    expect(new URL(page.url()).searchParams.get('hidden')).toBe('16,16');
    expect(await startButton(page).isDisabled()).toBe(true);
    await expectClean(w);
    await page.context().close();
  });

  it('explains its backend choice and trains on every backend under the CSP', async () => {
    for (const backend of ['webgpu', 'webgl', 'wasm', 'cpu'] as const) {
      const w = await openWatched(browser);
      const { page } = w;
      await page.goto(demoUrl(`train.html?backend=${backend}&steps=20&hidden=8`));
      const badge = page.locator('weft-backend-badge [data-backend]');
      await expect.poll(() => badge.getAttribute('data-backend'), { timeout: 60_000 }).toBe(backend);
      await expect.poll(() => startButton(page).isEnabled(), { timeout: 60_000 }).toBe(true);
      await startButton(page).click();
      await expect.poll(() => status(page), { timeout: 150_000, interval: 250 }).toBe('done');
      expect(await step(page)).toBe(20);
      expect(Number.isFinite(await loss(page))).toBe(true);
      await expectClean(w);
      await page.context().close();
    }
    // `auto` lists a reason for every backend tried before the one it picked.
    const w = await openWatched(browser);
    await w.page.goto(demoUrl('train.html'));
    const picked = await w.page.locator('weft-backend-badge [data-backend]').getAttribute('data-backend', { timeout: 60_000 });
    const order = ['webgpu', 'webgl', 'wasm', 'cpu'];
    await w.page.locator('weft-backend-badge summary').click();
    const listed = await w.page.locator('weft-backend-badge li b').allTextContents();
    expect(listed).toEqual(order.slice(0, order.indexOf(picked!)));
    await w.page.screenshot({ path: resultPath('train-backend-badge.png') });
    await expectClean(w);
    await w.page.context().close();
  });
});

// moe.html, built and served as a user gets it: the ledger's total and active counts are right
// before training (router + k/E of the experts), a run moves the step and fills the heatmap, the
// load bars and the aux-loss curves (dropless: nothing dropped), a capacity below 1 drops pairs,
// the state is in the URL, k > E shows the library's error, and the page logs no errors, keeps its
// CSP and talks to no other origin.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright';
import { CSP, demoUrl, launch, openWatched } from './browser.js';

const root = 'weft-moe-page';
const num = async (page: Page, sel: string, attr: string) => Number(await page.locator(sel).getAttribute(attr));
const startButton = (page: Page) => page.locator('button[data-action="start"]');
const stepOf = (page: Page) =>
  page.evaluate((r) => Number(document.querySelector(r)?.shadowRoot?.querySelector('weft-progress-bar')?.shadowRoot?.querySelector('[data-step]')?.getAttribute('data-step')), root);

/** Regressor 2 → 16 → MoE(16, E experts of hidden 16, mixtral router) → 1. */
function counts(e: number, k: number) {
  const edges = 2 * 16 + 16 + 16 + 1;
  const router = 16 * e;
  const experts = e * (16 * 16 + 16 + 16 * 16 + 16);
  return { stored: edges + router + experts, active: Math.round(edges + router + (k / e) * experts) };
}

describe('moe.html', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('shows total vs active, trains live with heatmap / load / aux curves, drops with a tight capacity, explains k > E', async () => {
    const w = await openWatched(browser);
    const { page } = w;
    await page.goto(demoUrl('moe.html?backend=wasm&steps=120'));
    expect(await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content')).toBe(CSP);
    await expect.poll(() => startButton(page).isEnabled(), { timeout: 60_000 }).toBe(true);
    const c = counts(8, 2);
    expect(await num(page, '[data-stored]', 'data-stored')).toBe(c.stored);
    expect(await num(page, '[data-active]', 'data-active')).toBe(c.active);

    await startButton(page).click();
    await expect.poll(() => stepOf(page), { timeout: 60_000, interval: 200 }).toBeGreaterThanOrEqual(120);
    await expect.poll(() => page.locator('[data-heatmap] rect').count()).toBe(96 * 8);
    expect(await page.locator('[data-load] rect').count()).toBe(8);
    expect(await num(page, '[data-dropped]', 'data-dropped')).toBe(0);
    expect(await num(page, '[data-nmi]', 'data-nmi')).toBeGreaterThan(0.2);
    expect(await page.locator('weft-moe-line path').count()).toBe(2);
    if (process.env.WEFT_SCREENSHOTS) await page.screenshot({ path: `${process.env.WEFT_SCREENSHOTS}/moe.png`, fullPage: true });

    // A capacity below 1 drops pairs; the URL follows the setting.
    await page.locator('input[name="capacity"]').fill('0.5');
    await page.locator('input[name="capacity"]').dispatchEvent('change');
    await expect.poll(() => new URL(page.url()).searchParams.get('capacity')).toBe('0.5');
    await page.locator('input[name="steps"]').fill('20');
    await page.locator('input[name="steps"]').dispatchEvent('change');
    await expect.poll(() => startButton(page).isEnabled()).toBe(true);
    await startButton(page).click();
    await expect.poll(() => stepOf(page), { timeout: 120_000, interval: 200 }).toBeGreaterThanOrEqual(20);
    await expect.poll(() => num(page, '[data-dropped]', 'data-dropped')).toBeGreaterThan(0.2);

    // More experts: the total grows, the active count barely moves.
    await page.locator('input[name="experts"]').fill('32');
    await page.locator('input[name="experts"]').dispatchEvent('change');
    await expect.poll(() => num(page, '[data-stored]', 'data-stored')).toBe(counts(32, 2).stored);
    expect(await num(page, '[data-active]', 'data-active')).toBe(counts(32, 2).active);

    // k > E says why, with the values.
    await page.goto(demoUrl('moe.html?backend=wasm&experts=4&k=6'));
    await expect.poll(() => page.locator('[data-job-error]').textContent(), { timeout: 60_000 }).toMatch(/topK=6 must be ≤ numExperts=4/);
    expect(await startButton(page).isDisabled()).toBe(true);

    expect(w.errors, 'console errors').toEqual([]);
    expect(w.foreign, 'requests to other origins').toEqual([]);
    expect(await w.cspViolations(), 'CSP violations').toEqual([]);
  });

  it('keeps the router entropy, the dropped share and the load chart after Pause and after Stop', async () => {
    const w = await openWatched(browser);
    const { page } = w;
    await page.goto(demoUrl('moe.html?backend=wasm&steps=20000&capacity=1'));
    await expect.poll(() => startButton(page).isEnabled(), { timeout: 60_000 }).toBe(true);
    await startButton(page).click();
    await expect.poll(() => stepOf(page), { timeout: 60_000, interval: 200 }).toBeGreaterThanOrEqual(60);
    const routerNumbers = async () => ({
      entropy: await page.locator('[data-entropy]').getAttribute('data-entropy'),
      dropped: await page.locator('[data-dropped]').getAttribute('data-dropped'),
      bars: await page.locator('[data-load] rect').count(),
    });
    const expectShown = async () => {
      const n = await routerNumbers();
      expect(Number(n.entropy), `entropy ${n.entropy}`).toBeGreaterThan(0); // 8 experts: in (0, ln 8]
      expect(Number(n.entropy)).toBeLessThanOrEqual(Math.log(8) + 1e-6);
      expect(n.dropped).not.toBe('');
      expect(Number.isFinite(Number(n.dropped))).toBe(true);
      expect(n.bars).toBe(8);
      expect(await page.locator('[data-entropy]').textContent()).not.toMatch(/NaN|—/);
    };
    await page.locator('button[data-action="pause"]').click();
    await expect.poll(() => page.locator('weft-progress-bar [data-status]').getAttribute('data-status'), { timeout: 60_000 }).toBe('paused');
    await expectShown();
    // The load chart's y ticks are round (0 and equal steps of 1, 2 or 5 × 10^k) and the dashed line carries its own label.
    const ticks = await page.locator('[data-load] [data-tick]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-tick'))));
    expect(ticks.length).toBeGreaterThanOrEqual(2);
    expect(ticks[0]).toBe(0);
    const step = ticks[1]! - ticks[0]!;
    expect([1, 2, 5]).toContain(Math.round(step / 10 ** Math.floor(Math.log10(step) + 1e-9)));
    for (let i = 1; i < ticks.length; i++) expect(ticks[i]! - ticks[i - 1]!).toBeCloseTo(step, 9);
    expect(await page.locator('[data-load] [data-uniform-label]').textContent()).toBe('1/E = 12.5%');
    await page.locator('button[data-action="stop"]').click();
    await expect.poll(() => page.locator('weft-progress-bar [data-status]').getAttribute('data-status'), { timeout: 60_000 }).toBe('stopped');
    await expectShown();
    expect(w.errors, 'console errors').toEqual([]);
  });

  it('runs a technique view in the lab worker: product-key memory reads 4 of 64 slots per query, over the 4 × 4 product candidates', async () => {
    const w = await openWatched(browser);
    const { page } = w;
    await page.goto(demoUrl('moe.html?backend=wasm'));
    const view = page.locator('weft-moe-pkm-view');
    await view.locator('button[data-lab="run"]').click();
    await expect.poll(() => view.locator('[data-pkm-used]').count(), { timeout: 120_000, interval: 300 }).toBe(1);
    const used = Number(await view.locator('[data-pkm-used]').getAttribute('data-pkm-used'));
    expect(used).toBeGreaterThanOrEqual(4);
    expect(used).toBeLessThanOrEqual(64);
    expect(await view.locator('[data-pkm-grid="usage"] rect').count()).toBe(64);
    // The probe grid: 4 + 4 bands, 64 cells, 16 of them outlined as candidates, 4 filled (the reads), each read among the candidates.
    const slots = (await view.locator('[data-pkm-probe]').getAttribute('data-pkm-probe'))!.split(',').map(Number);
    expect(slots).toHaveLength(4);
    expect(new Set(slots).size).toBe(4);
    const text = (await view.locator('[data-pkm-probe]').textContent())!.replace(/\s+/g, ' ');
    const [k1, k2] = [...text.matchAll(/sub-keys are ([\d, ]+) \(blue|half's ([\d, ]+) \(orange/g)].map((m) => (m[1] ?? m[2])!.split(',').map(Number));
    for (const s of slots) expect(k1!.includes(Math.floor(s / 8)) && k2!.includes(s % 8), `slot ${s} in the candidates ${k1} × ${k2}`).toBe(true);
    expect(Number(await view.locator('[data-pkm-mse]').getAttribute('data-pkm-mse'))).toBeGreaterThan(0);
    expect(w.errors, 'console errors').toEqual([]);
    expect(await w.cspViolations(), 'CSP violations').toEqual([]);
  });

  it('runs the shared-experts view: groups of 3 blocks share a bank at under half the stored parameters, each block routing on its own', async () => {
    const w = await openWatched(browser);
    const { page } = w;
    await page.goto(demoUrl('moe.html?backend=wasm'));
    const view = page.locator('weft-moe-shared-experts-view');
    await view.locator('button[data-lab="run"]').click();
    await expect.poll(() => view.locator('[data-shared-stored]').count(), { timeout: 240_000, interval: 500 }).toBe(1);
    const [own, shared] = (await view.locator('[data-shared-stored]').getAttribute('data-shared-stored'))!.split(',').map(Number);
    expect(shared).toBeLessThan(own! / 2);
    expect(await view.locator('[data-shared-routing]').getAttribute('data-shared-routing')).toBe('0,0,0,1,1,1');
    expect(await view.locator('[data-shared-routing] tbody tr').count()).toBe(6);
    // each block's shares over its bank's 4 experts add up to 100% (up to rounding)
    for (const row of await view.locator('[data-shared-routing] tbody tr').all()) {
      const shares = (await row.locator('td').allTextContents()).slice(2).map((t) => Number(t.replace('%', '')));
      expect(shares).toHaveLength(4);
      expect(Math.abs(shares.reduce((a, b) => a + b, 0) - 100)).toBeLessThanOrEqual(2);
    }
    expect(w.errors, 'console errors').toEqual([]);
    expect(await w.cspViolations(), 'CSP violations').toEqual([]);
  }, 300_000);
});

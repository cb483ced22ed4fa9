// sharing.html, built and served as a user gets it: the plan's ledger (stored vs effective) is
// right before training and follows a change of plan, both models train side by side (the step
// moves, both losses fall), the state is in the URL, a bad plan shows the library's error, and the
// page logs no errors, keeps its CSP and talks to no other origin. The techniques of the page's
// table (issue 16) show their diagrams and counts, TokenFormer grows mid-run, DiT-Air draws samples,
// UT/ACT and MoR draw each token's depth. Both models train in the page's worker.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright';
import { CSP, demoUrl, launch, openWatched } from './browser.js';

const num = async (page: Page, sel: string, attr: string) => Number(await page.locator(sel).getAttribute(attr));
const startButton = (page: Page) => page.locator('button[data-action="start"]');

/** Stored and effective parameters of the page's residual MLP (2 → W, L slots W → W, W → 3) when K blocks are stored. */
function mlp(W: number, L: number, K: number) {
  const edge = 2 * W + W + W * 3 + 3;
  const slot = W * W + W;
  return { stored: edge + K * slot, effective: edge + L * slot };
}

describe('sharing.html', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('shows the plan ledger, trains shared and baseline side by side, follows a plan change, explains a bad plan', async () => {
    const w = await openWatched(browser);
    const { page } = w;
    await page.goto(demoUrl('sharing.html?backend=wasm&steps=400'));
    expect(await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content')).toBe(CSP);
    await expect.poll(() => startButton(page).isEnabled(), { timeout: 60_000 }).toBe(true);

    // 6 slots, one block: stored 1/6 of the slot weights; the baseline stores every slot.
    const all = mlp(32, 6, 1);
    expect(await num(page, '[data-stored]', 'data-stored')).toBe(all.stored);
    expect(await num(page, '[data-effective]', 'data-effective')).toBe(all.effective);
    expect(await num(page, '[data-baseline]', 'data-baseline')).toBe(all.effective);
    expect(await page.locator('weft-sharing-diagram svg').getAttribute('aria-label')).toBe('6 slots using 1 unique block: 0, 0, 0, 0, 0, 0');

    await startButton(page).click();
    await page.waitForFunction(() => {
      const el = document.querySelector('weft-sharing-page')?.shadowRoot?.querySelector('weft-progress-bar')?.shadowRoot?.querySelector('[data-step]');
      return Number(el?.getAttribute('data-step')) >= 400;
    }, undefined, { timeout: 90_000, polling: 200 });
    const curves = page.locator('weft-sharing-curves svg polyline');
    await expect.poll(() => curves.count()).toBe(4); // loss and accuracy, shared and baseline
    const label = (await page.locator('weft-sharing-curves').first().locator('svg').getAttribute('aria-label'))!;
    const [, shared, baseline] = /shared ([\d.]+), baseline ([\d.]+)/.exec(label)!.map(Number);
    expect(shared).toBeLessThan(0.9); // 3 classes start at ln 3 ≈ 1.1
    expect(baseline).toBeLessThan(0.9);
    expect(await num(page, '[data-accuracy]', 'data-accuracy')).toBeGreaterThan(0.5);
    // The data and both models' answers, side by side: each tells the 3 arms apart somewhere.
    for (const which of ['shared', 'baseline']) {
      await expect.poll(() => page.locator(`[data-boundary="${which}"] [data-predicted]`).getAttribute('data-predicted'), { timeout: 30_000 }).toBe('3');
    }

    // A new plan rebuilds both models: the ledger and the URL follow.
    await page.locator('select[name="sharing"]').selectOption('groups');
    await expect.poll(() => new URL(page.url()).searchParams.get('sharing')).toBe('groups');
    await expect.poll(() => num(page, '[data-stored]', 'data-stored')).toBe(mlp(32, 6, 2).stored);
    await page.locator('input[name="unique"]').fill('3');
    await page.locator('input[name="unique"]').dispatchEvent('change');
    await expect.poll(() => num(page, '[data-stored]', 'data-stored')).toBe(mlp(32, 6, 3).stored);
    expect(new URL(page.url()).searchParams.get('unique')).toBe('3');

    // Hashed sharing: stored = the arrays (⌈n/8⌉ per layer).
    await page.locator('select[name="sharing"]').selectOption('stable-rps');
    const widths = [2, 32, 32, 32, 32, 32, 32, 3];
    const stored = widths.slice(1).reduce((s, o, i) => s + Math.ceil((widths[i]! * o + o) / 8), 0);
    await expect.poll(() => num(page, '[data-stored]', 'data-stored')).toBe(stored);

    // A plan that cannot work says why, with the value.
    await page.goto(demoUrl('sharing.html?backend=wasm&sharing=sandwich&depth=2'));
    await expect.poll(() => page.locator('[data-job-error]').textContent(), { timeout: 60_000 }).toMatch(/depth=2 must be ≥ 3/);
    expect(await startButton(page).isDisabled()).toBe(true);

    expect(w.errors, 'console errors').toEqual([]);
    expect(w.foreign, 'requests to other origins').toEqual([]);
    expect(await w.cspViolations(), 'CSP violations').toEqual([]);
  });

  it('the other techniques (issue 16): MobiLlama and Megrez2 diagrams and counts, TokenFormer growing mid-run, DiT-Air drawing samples', async () => {
    const w = await openWatched(browser);
    const { page } = w;
    const diff = async () => (await num(page, '[data-baseline]', 'data-baseline')) - (await num(page, '[data-stored]', 'data-stored'));
    // MobiLlama, width 32: one FFN (32·128 + 128 + 128·32 + 32 = 8352) stored instead of 6.
    await page.goto(demoUrl('sharing.html?backend=wasm&sharing=mobillama'));
    await expect.poll(() => startButton(page).isEnabled(), { timeout: 60_000 }).toBe(true);
    expect(await diff()).toBe(5 * 8352);
    expect(await page.locator('weft-sharing-modules svg').getAttribute('aria-label')).toBe('6 layers. attention: 6 for 6 layers; FFN: 1 for 6 layers');
    // Megrez2: 2 banks of 8 experts (each 32·32 + 32 + 32·32 + 32) for 6 layers instead of 6; the same active count per token.
    await page.locator('select[name="sharing"]').selectOption('megrez2');
    await page.locator('input[name="unique"]').fill('3');
    await page.locator('input[name="unique"]').dispatchEvent('change');
    await expect.poll(() => diff()).toBe(4 * 8 * 2112);
    expect(await page.locator('weft-sharing-modules svg').getAttribute('aria-label')).toBe('6 layers. attention: 6 for 6 layers; router: 6 for 6 layers; experts: 2 for 6 layers');
    expect(await page.locator('[data-active]').count()).toBe(1);
    // Its expert usage: one row of 8 loads per layer, from the worker's probe.
    await expect.poll(() => page.locator('[data-expert-loads]').getAttribute('data-expert-loads'), { timeout: 60_000 }).toBe('6');
    expect(await page.locator('weft-sharing-experts [data-cell]').count()).toBe(6 * 8);
    // MoEUT: 2 layers cycled over 6 slots, against a dense UT whose FFN width gives the same stored parameters.
    await page.goto(demoUrl('sharing.html?backend=wasm&sharing=moeut'));
    await expect.poll(() => startButton(page).isEnabled(), { timeout: 60_000 }).toBe(true);
    expect(await page.locator('weft-sharing-modules svg').getAttribute('aria-label')).toBe('6 layers. attention: 2 for 6 layers; σ-MoE: 2 for 6 layers');
    expect(Math.abs(await diff()) / (await num(page, '[data-stored]', 'data-stored'))).toBeLessThan(0.01);
    // Low-rank passthrough, width 32: each of the 2 × 3 state matrices is diag (32) + 32·2 + 2·32 instead of 32·32.
    await page.goto(demoUrl('sharing.html?backend=wasm&sharing=low-rank-gru&depth=2&unique=2&width=32'));
    await expect.poll(() => startButton(page).isEnabled(), { timeout: 60_000 }).toBe(true);
    expect(await diff()).toBe(6 * (32 * 32 - (32 + 2 * 32 * 2)));
    expect(await page.locator('select[name="model"] option').first().textContent()).toBe('GRU · sort 5 tokens');
    // ALBERT's factorised embedding, width 32: a 7 × 4 table and a 4 → 32 projection (with bias) instead of the 7 × 32 table.
    await page.goto(demoUrl('sharing.html?backend=wasm&sharing=albert&width=32'));
    await expect.poll(() => startButton(page).isEnabled(), { timeout: 60_000 }).toBe(true);
    expect(await diff()).toBe(7 * 32 - (7 * 4 + 4 * 32 + 32));
    // TokenFormer: grows 4× at step 30 of 60; the growth is marked on the loss and the ledger follows it.
    await page.goto(demoUrl('sharing.html?backend=wasm&sharing=tokenformer&steps=60&depth=2&width=16'));
    await expect.poll(() => startButton(page).isEnabled(), { timeout: 60_000 }).toBe(true);
    const before = await num(page, '[data-stored]', 'data-stored');
    await startButton(page).click();
    await expect.poll(() => page.locator('[data-marker]').first().getAttribute('data-marker'), { timeout: 90_000 }).toBe('30');
    await expect.poll(() => num(page, '[data-stored]', 'data-stored'), { timeout: 60_000 }).toBe(await num(page, '[data-baseline]', 'data-baseline'));
    expect(await num(page, '[data-stored]', 'data-stored')).toBeGreaterThan(before);
    // DiT-Air: both denoisers train on two moons and draw samples.
    await page.goto(demoUrl('sharing.html?backend=wasm&sharing=dit-air&steps=40&depth=3&width=16'));
    await expect.poll(() => startButton(page).isEnabled(), { timeout: 60_000 }).toBe(true);
    await startButton(page).click();
    await expect.poll(() => page.locator('#samples-title').textContent(), { timeout: 90_000 }).toMatch(/drawn after [1-9]/);
    expect(await page.locator('[data-samples]').count()).toBe(2);
    // Each model's energy distance to the data points drawn: a finite D² > 0.
    for (const which of ['shared', 'baseline']) {
      const d2 = Number(/D² ([\d.]+)/.exec((await page.locator(`[data-energy="${which}"]`).textContent())!)?.[1]);
      expect(d2, which).toBeGreaterThan(0);
    }

    expect(w.errors, 'console errors').toEqual([]);
    expect(w.foreign, 'requests to other origins').toEqual([]);
    expect(await w.cspViolations(), 'CSP violations').toEqual([]);
  });

  it('FoldGPT: the parent trains, then its blocks are scored, cut and folded in the worker; fold and pruning alone store what their ledgers say', async () => {
    const w = await openWatched(browser);
    const { page } = w;
    // 6 blocks of width 16, K = 2: the cut at step 15 of 30 removes 2, folds 4 into 2 groups, and pruning alone keeps 2.
    await page.goto(demoUrl('sharing.html?backend=wasm&sharing=foldgpt&steps=30&depth=6&width=16&unique=2'));
    await expect.poll(() => startButton(page).isEnabled(), { timeout: 60_000 }).toBe(true);
    expect(await page.locator('weft-sharing-fold [data-block]').count()).toBe(6);
    await startButton(page).click();
    await expect.poll(() => page.locator('[data-fold-blocks]').count(), { timeout: 90_000 }).toBe(1);
    const fates = await page.locator('weft-sharing-fold [data-fate]').evaluateAll((b) => b.map((e) => e.getAttribute('data-fate')));
    expect([...fates].sort()).toEqual(['group 0', 'group 0', 'group 1', 'group 1', 'removed', 'removed']);
    expect(await page.locator('[data-marker]').first().getAttribute('data-marker')).toBe('15');
    const stored = (row: string) => num(page, `[data-fold-row="${row}"]`, 'data-fold-stored');
    expect((await stored('folded')) - (await stored('pruned'))).toBe(4 * 16); // one channel scale per kept layer
    await expect.poll(() => num(page, '[data-stored]', 'data-stored'), { timeout: 30_000 }).toBe(await stored('folded'));
    expect(await num(page, '[data-baseline]', 'data-baseline')).toBe(await stored('pruned'));

    expect(w.errors, 'console errors').toEqual([]);
    expect(w.foreign, 'requests to other origins').toEqual([]);
    expect(await w.cspViolations(), 'CSP violations').toEqual([]);
  });

  it('UT/ACT and Mixture-of-Recursions show each token\'s depth as a heatmap, trained in the worker', async () => {
    const w = await openWatched(browser);
    const { page } = w;
    const heat = page.locator('svg[data-depth-heatmap]');
    // Expert-choice MoR, 3 recursions over 10 positions: 10, 7 and 3 tokens kept, so every sequence's mean depth is 2.
    await page.goto(demoUrl('sharing.html?backend=wasm&sharing=mor&depth=3&width=16&steps=20'));
    await expect.poll(() => heat.count(), { timeout: 60_000 }).toBe(1);
    expect(await heat.locator('[data-cell]').count()).toBe(12 * 10);
    expect(Number(await heat.getAttribute('data-mean-depth'))).toBe(2);
    // ACT: trains, and every token's depth is a whole number of block applications in 1..3.
    await page.goto(demoUrl('sharing.html?backend=wasm&sharing=ut-act&depth=3&width=16&steps=20'));
    await expect.poll(() => startButton(page).isEnabled(), { timeout: 60_000 }).toBe(true);
    await startButton(page).click();
    await expect.poll(() => page.locator('weft-progress-bar [data-step]').getAttribute('data-step'), { timeout: 90_000 }).toBe('20');
    await expect.poll(() => heat.locator('[data-cell]').count(), { timeout: 30_000 }).toBe(120);
    const depths = await heat.locator('[data-cell]').evaluateAll((cells) => cells.map((c) => Number(c.getAttribute('data-d'))));
    expect(depths.every((d) => Number.isInteger(d) && d >= 1 && d <= 3)).toBe(true);

    expect(w.errors, 'console errors').toEqual([]);
    expect(w.foreign, 'requests to other origins').toEqual([]);
    expect(await w.cspViolations(), 'CSP violations').toEqual([]);
  });
});

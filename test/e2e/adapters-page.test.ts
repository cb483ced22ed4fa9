// adapters.html, built and served as a user gets it: pretrain a base, fine-tune every method on the
// rotated task (accuracy against trainable parameters, full fine-tuning as the reference), mix
// with the sliders (weight 0 = base, weight 1 = the adapter), download a PEFT adapter, refuse a
// bad base file with a message; no console errors, CSP kept, no other origin contacted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright';
import { CSP, demoUrl, launch, openWatched, resultPath } from './browser.js';

const attr = async (page: Page, sel: string, name: string) => Number(await page.locator(sel).first().getAttribute(name));

describe('adapters.html', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('pretrains, fine-tunes five adapters and full fine-tuning, mixes them, exports PEFT, explains a bad file', async () => {
    const w = await openWatched(browser);
    const { page } = w;
    await page.goto(demoUrl('adapters.html?backend=wasm&baseSteps=400&steps=150&angle=90'));
    expect(await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content')).toBe(CSP);
    const pretrain = page.locator('button[data-action="pretrain"]');
    await expect.poll(() => pretrain.isEnabled(), { timeout: 60_000 }).toBe(true);
    expect(await page.locator('button[data-action="finetune"]').isEnabled()).toBe(false);

    await pretrain.click();
    await expect.poll(() => page.locator('[data-base-acc]').getAttribute('data-base-acc'), { timeout: 60_000 }).not.toBe('');
    const baseAcc = await attr(page, '[data-base-acc]', 'data-base-acc');
    const baseOnTask = await attr(page, '[data-base-task-acc]', 'data-base-task-acc');
    expect(baseAcc).toBeGreaterThan(0.85);
    expect(baseOnTask).toBeLessThan(baseAcc - 0.1);

    await page.locator('button[data-action="finetune"]').click();
    await expect
      .poll(async () => ((await page.locator('[role="alert"]').count()) > 0 ? await page.locator('[role="alert"]').first().textContent() : await page.locator('tr[data-result]').count()), { timeout: 90_000 })
      .toBe(6);
    const rows = Object.fromEntries(
      await Promise.all(
        ['lora', 'dora', 'loha', 'lokr', 'ia3', 'full'].map(async (m) => [m, { trainable: await attr(page, `tr[data-result="${m}"]`, 'data-trainable'), acc: await attr(page, `tr[data-result="${m}"]`, 'data-accuracy') }] as const),
      ),
    );
    // 2-64-64-2 MLP: 4482 weights; LoRA r=4 (r=2 on the 2-input layer and the 2-output head): 2·66 + 4·128 + 2·66 = 776.
    expect(rows.full!.trainable).toBe(4482);
    expect(rows.lora!.trainable).toBe(776);
    expect(rows.ia3!.trainable).toBe(64 + 64 + 64);
    expect(rows.lora!.acc).toBeGreaterThan(baseOnTask + 0.1);
    expect(rows.full!.acc).toBeGreaterThan(baseOnTask + 0.1);

    // Sliders: LoRA at 1 (the default after training) reproduces LoRA; everything at 0 is the base.
    await expect.poll(() => page.locator('[data-mix-task]').getAttribute('data-mix-task'), { timeout: 120_000 }).not.toBe('');
    expect(Math.abs((await attr(page, '[data-mix-task]', 'data-mix-task')) - rows.lora!.acc)).toBeLessThan(0.02);
    await page.locator('input[name="w-lora"]').fill('0');
    await expect.poll(async () => Math.abs((await attr(page, '[data-mix-task]', 'data-mix-task')) - baseOnTask), { timeout: 120_000 }).toBeLessThan(0.005);

    // PEFT export: two files.
    const downloads: string[] = [];
    page.on('download', (d) => downloads.push(d.suggestedFilename()));
    await page.locator('button[data-download="lora"]').click();
    await expect.poll(() => downloads.length).toBe(2);
    expect(downloads.sort()).toEqual(['lora-adapter_config.json', 'lora-adapter_model.safetensors']);

    await page.screenshot({ path: resultPath('adapters.png'), fullPage: true });

    // A file that is not safetensors: a clear message, nothing breaks.
    await page.locator('input[name="base-file"]').setInputFiles({ name: 'bad.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from('not a safetensors file at all') });
    await expect.poll(() => page.locator('[role="alert"]').first().textContent()).toContain('Could not load bad.safetensors: safetensors:');

    // The settings are in the URL.
    const params = new URL(page.url()).searchParams;
    expect(params.get('angle')).toBe('90');
    expect(params.get('r')).toBe('4');
    expect(w.errors).toEqual([]);
    expect(await w.cspViolations()).toEqual([]);
    expect(w.foreign).toEqual([]);
  }, 120_000);
});

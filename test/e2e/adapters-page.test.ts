// adapters.html, built and served as a user gets it: pretrain a base, fine-tune every method on the
// rotated task (accuracy against trainable parameters, full fine-tuning as the reference), mix
// with the sliders (weight 0 = base, weight 1 = the adapter), download a PEFT adapter, refuse a
// bad base file with a message; the merge explorer's task LoRAs merged, routed by Arrow and by Mediator / 1bit-Merging;
// the Selective LoRA, S2A, run-time width and CRaSh cards run; no console errors, CSP kept, no other origin contacted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright';
import { readFile } from 'node:fs/promises';
import { inflateRawSync } from 'node:zlib';
import { CSP, demoUrl, launch, openWatched, resultPath } from './browser.js';

/** Every file of a zip, by path: local file headers read in order, stored (0) or deflated (8). */
function readZip(zip: Buffer): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  let at = 0;
  while (zip.readUInt32LE(at) === 0x04034b50) {
    const flags = zip.readUInt16LE(at + 6);
    const method = zip.readUInt16LE(at + 8);
    const size = zip.readUInt32LE(at + 18);
    const nameLength = zip.readUInt16LE(at + 26);
    const extraLength = zip.readUInt16LE(at + 28);
    expect(flags & 8, 'sizes in the local header (no data descriptor)').toBe(0);
    const name = zip.subarray(at + 30, at + 30 + nameLength).toString('utf8');
    const start = at + 30 + nameLength + extraLength;
    const data = zip.subarray(start, start + size);
    const content = method === 8 ? inflateRawSync(data) : Buffer.from(data);
    if (!name.endsWith('/')) files.set(name, content);
    else expect(content.length, `folder entry ${name}`).toBe(0);
    at = start + size;
  }
  expect(zip.readUInt32LE(at), 'central directory after the files').toBe(0x02014b50);
  return files;
}

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
      .toBe(8); // lora, dora, loha, lokr, ia3, road, poly (every method with a PEFT form) and full
    const rows = Object.fromEntries(
      await Promise.all(
        ['lora', 'dora', 'loha', 'lokr', 'ia3', 'full'].map(async (m) => [m, { trainable: await attr(page, `tr[data-result="${m}"]`, 'data-trainable'), acc: await attr(page, `tr[data-result="${m}"]`, 'data-accuracy') }] as const),
      ),
    );
    // 2-64-64-2 MLP: 4482 weights; LoRA r=4 (r=2 on the 2-input layer and the 2-output head): 2·66 + 4·128 + 2·66 = 776.
    expect(rows.full!.trainable).toBe(4482);
    expect(rows.lora!.trainable).toBe(776);
    expect(rows.ia3!.trainable).toBe(64 + 64 + 64);
    // The base's and every method's decision boundary on the rotated task, side by side.
    for (const id of ['base', 'lora', 'dora', 'loha', 'lokr', 'ia3', 'full']) {
      const tile = page.locator(`[data-boundary="${id}"]`);
      expect(await tile.getAttribute('data-has-field'), id).toBe('true');
      expect(Number(await tile.locator('[data-predicted]').getAttribute('data-predicted')), id).toBeGreaterThanOrEqual(2);
    }
    expect(rows.lora!.acc).toBeGreaterThan(baseOnTask + 0.1);
    expect(rows.full!.acc).toBeGreaterThan(baseOnTask + 0.1);

    // Sliders: LoRA at 1 (the default after training) reproduces LoRA; everything at 0 is the base.
    await expect.poll(() => page.locator('[data-mix-task]').getAttribute('data-mix-task'), { timeout: 120_000 }).not.toBe('');
    expect(Math.abs((await attr(page, '[data-mix-task]', 'data-mix-task')) - rows.lora!.acc)).toBeLessThan(0.02);
    await page.locator('input[name="w-lora"]').fill('0');
    await expect.poll(async () => Math.abs((await attr(page, '[data-mix-task]', 'data-mix-task')) - baseOnTask), { timeout: 120_000 }).toBeLessThan(0.005);

    // PEFT export: one zip of the folder lora-adapter/ with PEFT's own file names, read back here
    // with a plain reader of the zip format (node's zlib), not the page's zip library.
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('button[data-download="lora"]').click()]);
    expect(download.suggestedFilename()).toBe('lora-adapter.zip');
    const files = readZip(await readFile((await download.path())!));
    expect([...files.keys()].sort()).toEqual(['lora-adapter/adapter_config.json', 'lora-adapter/adapter_model.safetensors']);
    const config = JSON.parse(files.get('lora-adapter/adapter_config.json')!.toString('utf8'));
    expect(config.peft_type).toBe('LORA');
    expect(config.r).toBe(4);
    const weights = files.get('lora-adapter/adapter_model.safetensors')!;
    const headerLength = Number(weights.readBigUInt64LE(0));
    const header = JSON.parse(weights.subarray(8, 8 + headerLength).toString('utf8'));
    const names = Object.keys(header).filter((k) => k !== '__metadata__');
    expect(names.length).toBeGreaterThan(0);
    for (const n of names) expect(n).toMatch(/^base_model\.model\..*lora_[AB]\.weight$/);

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

  it('more adapter methods: every registered method without a PEFT form fine-tunes on the rotated task and gets its row', async () => {
    const w = await openWatched(browser);
    const { page } = w;
    await page.goto(demoUrl('adapters.html?backend=wasm&baseSteps=400&steps=150&angle=90'));
    const pretrain = page.locator('button[data-action="pretrain"]');
    await expect.poll(() => pretrain.isEnabled(), { timeout: 60_000 }).toBe(true);
    await pretrain.click();
    await expect.poll(() => page.locator('[data-base-acc]').getAttribute('data-base-acc'), { timeout: 60_000 }).not.toBe('');
    const baseOnTask = await attr(page, '[data-base-task-acc]', 'data-base-task-acc');
    await page.locator('button[data-action="finetune-others"]').click();
    await expect
      .poll(async () => ((await page.locator('[role="alert"]').count()) > 0 ? await page.locator('[role="alert"]').first().textContent() : await page.locator('tr[data-other]').count()), { timeout: 120_000 })
      .toBe(7); // taps, residual, ether, mos, moka, hyper, shears
    for (const r of await page.locator('tr[data-other]').all()) {
      expect(Number(await r.getAttribute('data-trainable'))).toBeGreaterThan(0);
      expect(Number(await r.getAttribute('data-accuracy')), (await r.getAttribute('data-other')) ?? '').toBeGreaterThan(baseOnTask);
    }
    await page.screenshot({ path: resultPath('adapters-others.png'), fullPage: true });
    // Selective LoRA against LoRA on the same base: three rows, one gate per layer, LoRA learns B.
    await page.locator('button[data-action="selective"]').click();
    await expect
      .poll(async () => ((await page.locator('[role="alert"]').count()) > 0 ? await page.locator('[role="alert"]').first().textContent() : await page.locator('tr[data-selective-row]').count()), { timeout: 60_000 })
      .toBe(3);
    expect(await attr(page, '[data-selective-layers]', 'data-selective-layers')).toBe(3);
    expect(await attr(page, 'tr[data-selective-row="lora"]', 'data-trainable')).toBe(520);
    expect(await attr(page, 'tr[data-selective-row="lora"]', 'data-b')).toBeGreaterThan(baseOnTask);
    // S2A against LoRA: bytes held for backward measured for both, trained parameters as counted.
    await page.locator('button[data-action="s2a"]').click();
    await expect
      .poll(async () => ((await page.locator('[role="alert"]').count()) > 0 ? await page.locator('[role="alert"]').first().textContent() : await page.locator('tr[data-s2a-row]').count()), { timeout: 60_000 })
      .toBe(2);
    expect(await attr(page, 'tr[data-s2a-row="s2a"]', 'data-trainable')).toBe(2080);
    for (const kind of ['lora', 's2a']) expect(await attr(page, `tr[data-s2a-row="${kind}"]`, 'data-bytes'), kind).toBeGreaterThan(0);
    await page.locator('section[aria-labelledby="s2a-title"]').screenshot({ path: resultPath('adapters-s2a.png') });
    // Controllable multi-task: trained once, four widths, compute rising with width.
    await page.locator('button[data-action="controllable"]').click();
    await expect
      .poll(async () => ((await page.locator('[role="alert"]').count()) > 0 ? await page.locator('[role="alert"]').first().textContent() : await page.locator('tr[data-width]').count()), { timeout: 90_000 })
      .toBe(4);
    const macs = await Promise.all((await page.locator('tr[data-width]').all()).map(async (r) => Number(await r.getAttribute('data-macs'))));
    expect(macs).toEqual([...macs].sort((x, y) => x - y));
    expect(macs.at(-1)).toBe(8448);
    await page.locator('section[aria-labelledby="controllable-title"]').screenshot({ path: resultPath('adapters-controllable.png') });
    // CRaSh: two contiguous clusters of the five middle layers, four models scored.
    await page.locator('button[data-action="crash"]').click();
    await expect
      .poll(async () => ((await page.locator('[role="alert"]').count()) > 0 ? await page.locator('[role="alert"]').first().textContent() : await page.locator('tr[data-crash-row]').count()), { timeout: 90_000 })
      .toBe(4);
    expect((await page.locator('[data-crash-groups]').getAttribute('data-crash-groups'))!.replace('|', '')).toBe('12345');
    expect(await page.locator('[data-cka]').count()).toBe(4);
    await page.locator('section[aria-labelledby="crash-title"]').screenshot({ path: resultPath('adapters-crash.png') });
    const card = page.locator('section[aria-labelledby="selective-title"]');
    await card.screenshot({ path: resultPath('adapters-selective.png') });
    await page.setViewportSize({ width: 390, height: 844 });
    await card.screenshot({ path: resultPath('adapters-selective-phone.png') });
    await page.locator('section[aria-labelledby="s2a-title"]').screenshot({ path: resultPath('adapters-s2a-phone.png') });
    await page.locator('section[aria-labelledby="controllable-title"]').screenshot({ path: resultPath('adapters-controllable-phone.png') });
    await page.locator('section[aria-labelledby="crash-title"]').screenshot({ path: resultPath('adapters-crash-phone.png') });
    expect(w.errors).toEqual([]);
    expect(await w.cspViolations()).toEqual([]);
  }, 180_000);

  it('merge explorer: trains 3 task LoRAs, merges them by every registry method, and the sliders recompute the merged model at once', async () => {
    const w = await openWatched(browser);
    const { page } = w;
    await page.goto(demoUrl('adapters.html?backend=wasm&baseSteps=400&steps=150&angle=90'));
    const pretrain = page.locator('button[data-action="pretrain"]');
    await expect.poll(() => pretrain.isEnabled(), { timeout: 60_000 }).toBe(true);
    await pretrain.click();
    await expect.poll(() => page.locator('[data-base-acc]').getAttribute('data-base-acc'), { timeout: 60_000 }).not.toBe('');
    await page.locator('button[data-action="train-tasks"]').click();
    await expect
      .poll(async () => ((await page.locator('[role="alert"]').count()) > 0 ? await page.locator('[role="alert"]').first().textContent() : await page.locator('tr[data-merge-row]').count()), { timeout: 90_000 })
      .toBe(21); // Weft's task-arithmetic, magnitude-prune, ties-merging, dare, dare-ties, pcb, cabs, copa; PEFT's 11 combination types; then Sens-Merging and the evolved recipe
    await expect.poll(() => page.locator('[data-merge-average]').getAttribute('data-merge-average'), { timeout: 30_000 }).not.toBe('');
    for (const r of await page.locator('tr[data-merge-row]').all()) expect(Number(await r.getAttribute('data-average'))).toBeGreaterThan(0.3);
    // Task arithmetic with every weight 0 is the base itself; weight 1 on task 1 alone is task 1's own LoRA.
    await page.locator('select[name="merge-method"]').selectOption('task-arithmetic');
    const setRange = (name: string, v: number) => page.locator(`input[name="${name}"]`).evaluate((el, value) => {
      (el as HTMLInputElement).value = String(value);
      el.dispatchEvent(new Event('input', { bubbles: true }));
    }, v);
    for (const k of [0, 1, 2]) await setRange(`merge-w${k}`, 0);
    const cell = (k: number, col: number) => page.locator(`tr[data-merge-task="${k}"] td`).nth(col).textContent();
    await expect.poll(async () => [await cell(0, 1), await cell(1, 1), await cell(2, 1)], { timeout: 20_000 }).toEqual([await cell(0, 4), await cell(1, 4), await cell(2, 4)]);
    await setRange('merge-w0', 1);
    await expect.poll(() => cell(0, 1), { timeout: 20_000 }).toBe(await cell(0, 3));
    // Arrow routes the same three LoRAs per point: each adapted layer's share of each task's points per LoRA (sums to 1), and its accuracy.
    expect(await page.locator('tr[data-arrow-layer]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-arrow-layer')))).toEqual(['layers.0.arrow', 'layers.1.arrow', 'layers.2.arrow']);
    for (const c of await page.locator('td.routing').all()) {
      const load = (await c.getAttribute('data-load'))!.split(',').map(Number);
      expect(load).toHaveLength(3);
      expect(Math.abs(load.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-3);
    }
    const arrowAcc = (await page.locator('[data-arrow-accuracy]').getAttribute('data-arrow-accuracy'))!.split(',').map(Number);
    expect(arrowAcc).toHaveLength(3);
    for (const a of arrowAcc) expect(a > 0 && a <= 1, `Arrow accuracy ${a}`).toBe(true);
    // Mediator and 1bit-Merging route the same LoRAs by uncertainty; Mediator's density slider trims its stored experts.
    await expect.poll(() => page.locator('tr[data-routed-row]').count(), { timeout: 30_000 }).toBe(2);
    const routed = async (key: string, a: string) => Number(await page.locator(`tr[data-routed-row="${key}"]`).getAttribute(a));
    for (const key of ['mediator', '1bit']) expect(await routed(key, 'data-average'), key).toBeGreaterThan(0.3);
    expect(await routed('1bit', 'data-storage')).toBeLessThan(0.05);
    const dense = await routed('mediator', 'data-storage');
    await page.locator('input[name="routed-density"]').evaluate((el) => {
      (el as HTMLInputElement).value = '0.2';
      el.dispatchEvent(new Event('change', { bubbles: true }));
    });
    await expect.poll(() => routed('mediator', 'data-storage'), { timeout: 30_000 }).toBeLessThan(dense);
    // Average, ScaLearn and AdapterFusion over the outer LoRAs for the middle task: ScaLearn trains far fewer parameters than Fusion.
    await expect.poll(() => page.locator('tr[data-transfer-row]').count(), { timeout: 60_000 }).toBe(3);
    const transfer = async (kind: string, a: string) => Number(await page.locator(`tr[data-transfer-row="${kind}"]`).getAttribute(a));
    expect(await transfer('average', 'data-trainable')).toBe(0);
    expect(100 * (await transfer('scalearn', 'data-trainable'))).toBeLessThan(await transfer('fuse', 'data-trainable'));
    for (const kind of ['average', 'scalearn', 'fuse']) expect(await transfer(kind, 'data-accuracy'), kind).toBeGreaterThan(0.3);
    await page.locator('section[aria-labelledby="merge-title"]').screenshot({ path: resultPath('adapters-merge.png') });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.locator('section[aria-labelledby="merge-title"]').screenshot({ path: resultPath('adapters-merge-phone.png') });
    expect(w.errors).toEqual([]);
    expect(await w.cspViolations()).toEqual([]);
    expect(w.foreign).toEqual([]);
  }, 180_000);

  it("cost table (every registered method, sortable) and the Astraios card's committed study, with nothing trained", async () => {
    const w = await openWatched(browser);
    const { page } = w;
    await page.goto(demoUrl('adapters.html?backend=wasm'));
    const rows = page.locator('tr[data-cost]');
    await expect.poll(() => rows.count(), { timeout: 60_000 }).toBe(13);
    const trainable = async () => Promise.all((await rows.all()).map(async (r) => Number(await r.getAttribute('data-trainable'))));
    const ascending = await trainable();
    expect(ascending).toEqual([...ascending].sort((a, b) => a - b));
    await page.locator('button[data-sort="trainable"]').click(); // again: descending
    const descending = await trainable();
    expect(descending).toEqual([...ascending].sort((a, b) => b - a));
    await page.locator('button[data-sort="flopsPerToken"]').click(); // a new numeric column: largest first
    const flops = await Promise.all((await rows.all()).map(async (r) => Number(await r.getAttribute('data-flops-per-token'))));
    expect(flops).toEqual([...flops].sort((a, b) => b - a));
    // LoRA r 8 on a 4096 → 4096 layer: r(in + out) parameters.
    expect(Number(await page.locator('tr[data-cost="lora"]').getAttribute('data-trainable'))).toBe(8 * 8192);
    expect(await page.locator('tr[data-cost="moka"]').getAttribute('data-mergeable')).toBe('false');
    await page.locator('select[name="cost-shape"]').selectOption('768');
    await expect.poll(() => page.locator('tr[data-cost="lora"]').getAttribute('data-trainable')).toBe(String(8 * 1536));
    // Astraios: 3 sizes × 5 methods over 3 seeds, the three checks.
    expect(await page.locator('table[data-astraios-seeds]').getAttribute('data-astraios-seeds')).toBe('1,2,3');
    expect(await page.locator('tr[data-astraios-size]').count()).toBe(3);
    expect(await page.locator('[data-astraios-accuracy]').count()).toBe(15);
    expect(await page.locator('[data-astraios-check]').count()).toBe(3);
    await page.locator('section[aria-labelledby="cost-title"]').screenshot({ path: resultPath('adapters-costs.png') });
    await page.locator('section[aria-labelledby="astraios-title"]').screenshot({ path: resultPath('adapters-astraios.png') });
    expect(w.errors).toEqual([]);
    expect(await w.cspViolations()).toEqual([]);
    expect(w.foreign).toEqual([]);
  }, 120_000);
});

// params.html, built and served: the comparator shows the calculator's exact counts for presets
// (BERT-base vs ALBERT-base, Mixtral total vs active, LLaMA-7B with LoRA r=8 on q,v), updates
// when a slider or select moves, keeps both sides in the URL (bad values explained),
// and takes a pasted config.json — a malformed or hostile one gets a clear message and the page
// keeps working. Runs under the strict CSP and talks to no other origin.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright';
import { CSP, demoUrl, launch, openWatched, resultPath, type WatchedPage } from './browser.js';

type S = 'a' | 'b' | 'c' | 'd';
const value = async (page: Page, side: S, metric: string): Promise<number> =>
  Number(await page.locator(`weft-params-page td[data-side="${side}"][data-metric="${metric}"]`).getAttribute('data-value'));
const bytes = async (page: Page, side: 'a' | 'b', precision: string): Promise<number> =>
  Number(await page.locator(`weft-params-page td[data-side="${side}"][data-bytes="${precision}"]`).getAttribute('data-value'));
const side = (page: Page, s: S) => page.locator(`weft-params-page section[data-side="${s}"]`);
const mem = async (page: Page, s: S, part: string): Promise<number> =>
  Number(await page.locator(`weft-params-page td[data-side="${s}"][data-mem="${part}"]`).getAttribute('data-value'));

/** Move a range input (Playwright's fill does not drive sliders). */
async function slide(slider: Locator, to: number): Promise<void> {
  await slider.evaluate((el, v) => {
    (el as HTMLInputElement).value = String(v);
    el.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
  }, to);
}

async function paste(page: Page, s: 'a' | 'b', text: string): Promise<void> {
  const card = side(page, s);
  if (!(await card.locator('details.paste').first().evaluate((d) => (d as HTMLDetailsElement).open))) await card.locator('details.paste > summary').first().click();
  await card.locator('textarea[name="config-json"]').evaluate((el, t) => {
    (el as HTMLTextAreaElement).value = t;
    el.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
  }, text);
  await card.locator('button[data-action="use-config"]').click();
}

async function expectClean(w: WatchedPage): Promise<void> {
  expect(w.errors, 'console errors').toEqual([]);
  expect(w.foreign, 'requests to other origins').toEqual([]);
  expect(await w.cspViolations(), 'CSP violations').toEqual([]);
}

// Mixtral-8x7B's config.json as transformers 5.17 writes it (the fixture's config, verbatim fields).
const MIXTRAL_JSON = JSON.stringify({
  architectures: ['MixtralForCausalLM'], vocab_size: 32000, hidden_size: 4096, intermediate_size: 14336, num_hidden_layers: 32,
  num_attention_heads: 32, num_key_value_heads: 8, head_dim: null, hidden_act: 'silu', max_position_embeddings: 131072,
  rms_norm_eps: 1e-5, tie_word_embeddings: false, num_experts_per_tok: 2, num_local_experts: 8, router_aux_loss_coef: 0.001,
  rope_parameters: { rope_theta: 1000000.0, rope_type: 'default' }, model_type: 'mixtral',
});

describe('params.html', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('compares BERT-base with ALBERT-base and updates when a slider, the sharing plan or the adapter changes', async () => {
    const w = await openWatched(browser);
    const { page } = w;
    await page.goto(demoUrl('params.html'));
    expect(await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content')).toBe(CSP);
    await expect.poll(() => value(page, 'a', 'total')).toBe(109_482_240);
    expect(await value(page, 'b', 'total')).toBe(11_683_584);
    expect(await value(page, 'b', 'stored')).toBe(11_683_584);
    expect(await value(page, 'b', 'effective')).toBe(89_650_176); // one layer used 12 times
    expect(await bytes(page, 'a', 'fp32')).toBe(4 * 109_482_240);
    expect(await bytes(page, 'a', 'int4')).toBe(109_482_240 / 2);
    expect(await page.locator('weft-params-page td[data-side="b"][data-metric="blocks"]').textContent()).toContain('1 / 12');
    // Both charts show both sides.
    expect(await page.locator('weft-bar-chart[data-chart="params"] [data-group="Stored"] [data-series]').count()).toBe(2);
    expect(Number(await page.locator('weft-bar-chart[data-chart="memory"] [data-group="int8"] [data-series="1"]').getAttribute('data-value'))).toBe(11_683_584);
    await page.screenshot({ path: resultPath('params.png'), fullPage: true });

    // 24 layers of BERT: 12 more layers of 7,087,872 parameters each; the link follows.
    await slide(side(page, 'a').locator('input[name="layers"]'), 24);
    await expect.poll(() => value(page, 'a', 'total')).toBe(109_482_240 + 12 * 7_087_872);
    expect(new URL(page.url()).searchParams.get('a_layers')).toBe('24');

    // LoRA r=8 on query/value of BERT: 12 layers × 2 modules × 8 × (768 + 768) = 294,912 trainable.
    await slide(side(page, 'a').locator('input[name="layers"]'), 12);
    await side(page, 'a').locator('select[name="adapter"]').selectOption('lora');
    await expect.poll(() => value(page, 'a', 'trainable')).toBe(294_912);
    expect(await value(page, 'a', 'stored')).toBe(109_482_240 + 294_912);
    expect(await value(page, 'a', 'total')).toBe(109_482_240);
    await slide(side(page, 'a').locator('input[name="rank"]'), 16);
    await expect.poll(() => value(page, 'a', 'trainable')).toBe(2 * 294_912);
    expect(new URL(page.url()).searchParams.get('a_rank')).toBe('16');
    await expectClean(w);
    await page.context().close();
  });

  it('Mixtral total vs active, k and experts sliders, LLaMA-7B with LoRA r=8 on q,v, and a sharing plan, from links', async () => {
    const w = await openWatched(browser);
    const { page } = w;
    await page.goto(demoUrl('params.html?a=Mixtral-8x7B&b=Llama-2-7b&b_adapter=lora&b_rank=8&b_targets=qv'));
    await expect.poll(() => value(page, 'a', 'total')).toBe(46_702_792_704);
    expect(await value(page, 'a', 'activePerToken')).toBe(12_879_925_248);
    expect(await value(page, 'b', 'total')).toBe(6_738_415_616);
    expect(await value(page, 'b', 'trainable')).toBe(4_194_304);
    expect(await value(page, 'b', 'stored')).toBe(6_742_609_920); // PEFT's "all params"
    await page.screenshot({ path: resultPath('params-mixtral-lora.png'), fullPage: true });

    // k = 1: one expert (3 × 4096 × 14336) fewer per layer and token; stored unchanged.
    const expert = 3 * 4096 * 14336;
    await slide(side(page, 'a').locator('input[name="k"]'), 1);
    await expect.poll(() => value(page, 'a', 'activePerToken')).toBe(12_879_925_248 - 32 * expert);
    expect(await value(page, 'a', 'stored')).toBe(46_702_792_704);
    // 16 experts: 8 more experts and 8 more router rows per layer.
    await slide(side(page, 'a').locator('input[name="experts"]'), 16);
    await expect.poll(() => value(page, 'a', 'total')).toBe(46_702_792_704 + 32 * 8 * (expert + 4096));
    expect(Object.fromEntries(new URL(page.url()).searchParams)).toMatchObject({ a: 'Mixtral-8x7B', a_k: '1', a_experts: '16' });

    // TinyLlama with MobileLLM block repeat ×2: 11 blocks stored for 22 slots.
    await page.goto(demoUrl('params.html?a=TinyLlama-1.1B&b=TinyLlama-1.1B&b_sharing=block-repeat-2'));
    await expect.poll(() => value(page, 'a', 'total')).toBe(1_100_048_384);
    expect(await page.locator('weft-params-page td[data-side="b"][data-metric="blocks"]').textContent()).toContain('11 / 22');
    // A TinyLlama block: q, o 2048² each, k, v 2048 × 256 each, SwiGLU 3 × 2048 × 5632, two RMSNorms.
    const block = 2 * 2048 * 2048 + 2 * 2048 * 256 + 3 * 2048 * 5632 + 2 * 2048;
    expect(await value(page, 'b', 'stored')).toBe(1_100_048_384 - 11 * block);
    expect(await value(page, 'b', 'effective')).toBe(1_100_048_384);
    // A plan that does not fit the depth is explained, and the other side keeps its numbers.
    await side(page, 'b').locator('select[name="sharing"]').selectOption('block-repeat-4');
    await expect.poll(() => side(page, 'b').locator('[data-error="b"]').textContent()).toContain("sharing plan 'block-repeat': repeat=4 must divide the number of slots (depth=22)");
    expect(await value(page, 'a', 'total')).toBe(1_100_048_384);
    await expectClean(w);
    await page.context().close();
  });

  it('explains bad URL values and bad pasted configs, and keeps working', async () => {
    const w = await openWatched(browser);
    const { page } = w;
    await page.goto(demoUrl('params.html?a=gpt-5&a_layers=-3&b_rank=lots&zzz=1'));
    const notice = page.locator('weft-url-notice');
    await expect.poll(() => notice.locator('li').count()).toBe(4);
    expect(await notice.locator('li[data-param="a"]').textContent()).toMatch(/a=“gpt-5” is not valid: expected one of bert-base-uncased.*Using the default, bert-base-uncased/);
    expect(await notice.locator('li[data-param="a_layers"]').textContent()).toContain('a whole number from 0 to 1024');
    expect(await notice.locator('li[data-param="b_rank"]').textContent()).toContain('b_rank=“lots”');
    expect(await notice.locator('li[data-param="zzz"]').textContent()).toContain('Unknown parameter');
    await expect.poll(() => value(page, 'a', 'total')).toBe(109_482_240);

    const bad: Array<[string, RegExp]> = [
      ['{"model_type": "llama", "hidden_size": ', /not valid JSON/],
      ['[1, 2, 3]', /expected a JSON object with a model_type, got an array/],
      ['{"model_type": "falcon", "n_embd": 768}', /model_type="falcon" is not supported/],
      ['{"model_type": "llama", "vocab_size": 1e300, "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 128}', /vocab_size=1e\+300 is not allowed/],
      ['{"__proto__": {"polluted": 1}, "model_type": "llama", "vocab_size": 10, "hidden_size": 64, "num_hidden_layers": -2, "num_attention_heads": 4, "intermediate_size": 128}', /num_hidden_layers=-2 is not allowed/],
      [`{"model_type": "llama", "pad": "${'x'.repeat(1_000_100)}"}`, /too long/],
      ['', /empty/],
    ];
    for (const [text, message] of bad) {
      await paste(page, 'b', text);
      await expect.poll(() => side(page, 'b').locator('[data-paste-error="b"]').textContent()).toMatch(message);
      expect(await value(page, 'b', 'total')).toBe(11_683_584); // still ALBERT
    }
    expect(await page.evaluate(() => ({} as Record<string, unknown>).polluted)).toBeUndefined();
    await page.screenshot({ path: resultPath('params-bad-config.png'), fullPage: true });

    // A good config (Mixtral-8x7B's config.json) replaces side B; sliders then act on it.
    await paste(page, 'b', MIXTRAL_JSON);
    await expect.poll(() => value(page, 'b', 'total')).toBe(46_702_792_704);
    expect(await side(page, 'b').locator('[data-paste-error="b"]').count()).toBe(0);
    expect(await value(page, 'b', 'activePerToken')).toBe(12_879_925_248);
    await slide(side(page, 'b').locator('input[name="layers"]'), 16);
    await expect.poll(() => value(page, 'b', 'total')).toBe(46_702_792_704 - 16 * (46_702_792_704 - 2 * 32000 * 4096 - 4096) / 32);
    // Side A was never disturbed.
    expect(await value(page, 'a', 'total')).toBe(109_482_240);

    // The model class: BertForMaskedLM (no pooler, MLM head with the decoder tied) and MixtralModel (no lm_head).
    await side(page, 'a').locator('select[name="head"]').selectOption('lm');
    await expect.poll(() => value(page, 'a', 'total')).toBe(109_514_298);
    expect(await value(page, 'a', 'effective')).toBe(109_514_298 + 30522 * 768);
    expect(new URL(page.url()).searchParams.get('a_head')).toBe('lm');
    await slide(side(page, 'b').locator('input[name="layers"]'), 32);
    await side(page, 'b').locator('select[name="head"]').selectOption('none');
    await expect.poll(() => value(page, 'b', 'total')).toBe(46_702_792_704 - 32000 * 4096);

    // A multimodal config.json as the Hub has it (Gemma 3 4B): its text_config is counted, and the page says so
    // (tied head, so the same total with or without lm_head; the 417M vision encoder is not counted).
    const gemma3 = { architectures: ['Gemma3ForConditionalGeneration'], model_type: 'gemma3', mm_tokens_per_image: 256, torch_dtype: 'bfloat16',
      text_config: { hidden_size: 2560, intermediate_size: 10240, model_type: 'gemma3_text', num_hidden_layers: 34, rope_scaling: { factor: 8.0, rope_type: 'linear' }, sliding_window: 1024 },
      vision_config: { hidden_size: 1152, image_size: 896, intermediate_size: 4304, model_type: 'siglip_vision_model', num_attention_heads: 16, num_hidden_layers: 27, patch_size: 14 } };
    await paste(page, 'b', JSON.stringify(gemma3));
    await expect.poll(() => value(page, 'b', 'total')).toBe(3_880_263_168);
    expect(await side(page, 'b').locator('p.source').textContent()).toContain('the vision encoder and projector are not');
    await expectClean(w);
    await page.context().close();
  });

  it('compares four models, finds presets by name, estimates memory against context and a GPU, keeps pastes out of the link', async () => {
    const w = await openWatched(browser);
    const { page } = w;
    await page.goto(demoUrl('params.html?n=4&a=DeepSeek-V3&b=Qwen3-235B-A22B&c=gpt-oss-120b&d=Llama-4-Scout-17B-16E&ctx=32768&gpu=141'));
    await expect.poll(() => value(page, 'a', 'total')).toBe(671_026_404_352);
    expect(await value(page, 'c', 'total')).toBe(116_829_156_672);
    expect(await page.locator('weft-params-page section.side').count()).toBe(4);
    expect(await page.locator('weft-bar-chart[data-chart="params"] [data-group="Stored"] [data-series]').count()).toBe(4);
    // The breakdown: one stacked bar per model; DeepSeek-V3's experts segment is its routed + shared experts.
    const experts = Number(await page.locator('weft-params-stack [data-stack="0"] [data-part="experts"]').getAttribute('data-value'));
    expect(experts / 671e9).toBeGreaterThan(0.95);
    // Memory curves: one line per model and the GPU line.
    expect(await page.locator('weft-memory-curves polyline[data-curve]').count()).toBe(4);
    expect(Number(await page.locator('weft-memory-curves line[data-limit]').getAttribute('data-limit'))).toBe(141e9);
    // MLA's compressed cache: 576 values × 61 layers × 2 bytes per token.
    await expect.poll(() => mem(page, 'a', 'kvCache')).toBe(576 * 61 * 2 * 32768);
    expect(await page.locator('td[data-side="a"][data-fits]').getAttribute('data-fits')).toBe('too-large');
    // The WebGPU row says something definite once the adapter is read (Chromium here has a software adapter).
    await expect.poll(() => page.locator('weft-params-page').evaluate((el) => el.shadowRoot!.textContent!.includes('reading the adapter'))).toBe(false);
    await page.screenshot({ path: resultPath('params-four.png'), fullPage: true });

    // Remove B: C and D move up; the link follows.
    await page.locator('button[data-remove="b"]').click();
    await expect.poll(() => page.locator('weft-params-page section.side').count()).toBe(3);
    expect(Object.fromEntries(new URL(page.url()).searchParams)).toMatchObject({ n: '3', a: 'DeepSeek-V3', b: 'gpt-oss-120b', c: 'Llama-4-Scout-17B-16E' });

    // Search by name: Enter picks the first match.
    const search = side(page, 'a').locator('input[name="preset-search"]');
    await search.fill('8b');
    expect(await side(page, 'a').locator('[data-matches="a"]').textContent()).toMatch(/presets match/);
    await search.press('Enter');
    await expect.poll(() => value(page, 'a', 'total')).toBe(8_030_261_248);

    // Inference memory of Llama-3.1-8B at 8192 tokens in bf16: weights + 128 KiB per token of KV cache.
    await page.goto(demoUrl('params.html?n=1&a=Llama-3.1-8B&ctx=8192&gpu=24'));
    await expect.poll(() => mem(page, 'a', 'total')).toBe(2 * 8_030_261_248 + 131_072 * 8192);
    expect(await page.locator('td[data-side="a"][data-fits]').getAttribute('data-fits')).toBe('fits');
    await page.locator('weft-params-page select[name="gpu"]').selectOption('16');
    await expect.poll(() => page.locator('td[data-side="a"][data-fits]').getAttribute('data-fits')).toBe('too-large');
    await page.locator('weft-params-page select[name="mode"]').selectOption('full');
    await expect.poll(() => mem(page, 'a', 'optimizer')).toBe(8 * 8_030_261_248);
    expect(Object.fromEntries(new URL(page.url()).searchParams)).toMatchObject({ mode: 'full', gpu: '16' }); // ctx=8192 is the default, left out of the link

    // An out-of-range k for the model is explained, and the model's own k is used.
    await page.goto(demoUrl('params.html?a=Mixtral-8x7B&a_k=99'));
    await expect.poll(() => page.locator('weft-url-notice li[data-param="a_k"]').textContent()).toContain('more than the 8 routed experts of Mixtral-8x7B');
    expect(await value(page, 'a', 'activePerToken')).toBe(12_879_925_248);

    // A pasted config stays out of the link, is kept in localStorage and comes back on reload.
    await paste(page, 'b', MIXTRAL_JSON);
    await expect.poll(() => value(page, 'b', 'total')).toBe(46_702_792_704);
    expect(page.url()).not.toContain('vocab_size');
    expect(new URL(page.url()).searchParams.get('b_pasted')).toBe('1');
    await page.reload();
    await expect.poll(() => value(page, 'b', 'total')).toBe(46_702_792_704);
    await expectClean(w);
    await page.context().close();
  });

  it('charts keep 11 px text or more and no clipped labels, and the counts table keeps every model on screen, at phone width', async () => {
    const w = await openWatched(browser, { width: 390 });
    const { page } = w;
    await page.goto(demoUrl('params.html?n=2&a=Llama-3.1-8B&b=Qwen3-8B'));
    await expect.poll(() => page.locator('weft-memory-curves polyline[data-curve]').count()).toBe(2);
    const texts = await page.locator('weft-memory-curves').evaluate((el) => {
      const svg = el.shadowRoot!.querySelector('svg')!;
      const box = svg.getBoundingClientRect();
      return [...svg.querySelectorAll('text')].map((t) => {
        const r = t.getBoundingClientRect();
        return { size: parseFloat(getComputedStyle(t).fontSize), inside: r.left >= box.left - 1 && r.right <= box.right + 1, left: r.left, right: r.right, y: Math.round(r.top) };
      });
    });
    expect(texts.length).toBeGreaterThan(5);
    for (const t of texts) {
      expect(t.size).toBeGreaterThanOrEqual(11);
      expect(t.inside).toBe(true);
    }
    // No two labels on one line overlap.
    const rows = new Map<number, typeof texts>();
    for (const t of texts) rows.set(t.y, [...(rows.get(t.y) ?? []), t]);
    for (const row of rows.values()) {
      const sorted = row.sort((p, q) => p.left - q.left);
      for (let i = 1; i < sorted.length; i++) expect(sorted[i]!.left).toBeGreaterThanOrEqual(sorted[i - 1]!.right - 0.5);
    }
    // The counts table stacks per model: every compared model's values lie inside the 390 px screen, for 2 and 4 models.
    const totalsInside = () =>
      page.locator('td[data-metric="total"]').evaluateAll((els) => els.map((e) => { const r = e.getBoundingClientRect(); return r.left >= 0 && r.right <= 390; }));
    expect(await totalsInside()).toEqual([true, true]);
    await page.screenshot({ path: resultPath('params-phone.png'), fullPage: true });
    await page.goto(demoUrl('params.html?n=4&a=Llama-3.1-8B&b=Qwen3-8B&c=Mixtral-8x7B&d=DeepSeek-V3'));
    await expect.poll(() => totalsInside()).toEqual([true, true, true, true]);
    // Each number stays on its model badge's line (671,026,404,352 included: all four cells equally tall) and no cell overflows.
    const heights = await page.locator('td[data-metric="total"]').evaluateAll((els) => els.map((e) => Math.round(e.getBoundingClientRect().height)));
    expect(new Set(heights).size, `heights ${heights}`).toBe(1);
    expect(await page.locator('table.stacked td').evaluateAll((els) => els.filter((e) => e.scrollWidth > e.clientWidth).length)).toBe(0);
    await expectClean(w);
    await page.context().close();
  });
});

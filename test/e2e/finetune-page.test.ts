// finetune.html, built and served as a user gets it: it starts on a tiny random llama; a model
// folder the test writes (a random 1-layer GPT-2 checkpoint with a character tokenizer.json) is
// opened from disk, its parameter count shown, text generated, a LoRA adapter fine-tuned live and
// downloaded in PEFT's format, the merged model downloaded in transformers' layout; a folder whose
// tokenizer.json does not parse is refused with a message and the page keeps the model it had; no
// console errors, CSP kept, no other origin contacted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { CSP, demoUrl, launch, openWatched, resultPath } from './browser.js';

/** Every file of a zip, by path (local headers in order; stored or deflated). */
function readZip(zip: Buffer): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  let at = 0;
  while (zip.readUInt32LE(at) === 0x04034b50) {
    const method = zip.readUInt16LE(at + 8);
    const size = zip.readUInt32LE(at + 18);
    const nameLength = zip.readUInt16LE(at + 26);
    const extraLength = zip.readUInt16LE(at + 28);
    const name = zip.subarray(at + 30, at + 30 + nameLength).toString('utf8');
    const start = at + 30 + nameLength + extraLength;
    const data = zip.subarray(start, start + size);
    if (!name.endsWith('/')) files.set(name, method === 8 ? inflateRawSync(data) : Buffer.from(data));
    at = start + size;
  }
  return files;
}

/** The header of a safetensors file: name → { dtype, shape }. */
function header(bytes: Buffer): Record<string, { dtype: string; shape: number[] }> {
  const n = Number(bytes.readBigUInt64LE(0));
  const h = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
  delete h.__metadata__;
  return h;
}

/** A safetensors file of float32 tensors, written here by the format's rules. */
function safetensors(tensors: Record<string, number[]>, shapes: Record<string, number[]>): Buffer {
  const names = Object.keys(tensors).sort();
  const head: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const n of names) {
    head[n] = { dtype: 'F32', shape: shapes[n], data_offsets: [offset, offset + 4 * tensors[n]!.length] };
    offset += 4 * tensors[n]!.length;
  }
  let text = JSON.stringify(head);
  while ((8 + text.length) % 8 !== 0) text += ' ';
  const out = Buffer.alloc(8 + text.length + offset);
  out.writeBigUInt64LE(BigInt(text.length), 0);
  out.write(text, 8, 'utf8');
  let at = 8 + text.length;
  for (const n of names) for (const v of tensors[n]!) (out.writeFloatLE(v, at), (at += 4));
  return out;
}

const CHARS = [...Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)), '\n'];
const VOCAB = 3 + CHARS.length;
const C = 16;

/** A character tokenizer.json: <unk>, <s>, </s>, printable ASCII, newline. */
function tokenizerJson(): string {
  const specials = ['<unk>', '<s>', '</s>'];
  const vocab = Object.fromEntries([...specials, ...CHARS].map((c, i) => [c, i]));
  return JSON.stringify({
    version: '1.0', truncation: null, padding: null,
    added_tokens: specials.map((content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: null, pre_tokenizer: null, post_processor: null, decoder: { type: 'Fuse' },
    model: { type: 'BPE', dropout: null, unk_token: '<unk>', continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges: [] },
  });
}

/** A random 1-layer GPT-2 (n_embd 16, 2 heads) as transformers saves GPT2LMHeadModel. */
function tinyGpt2(dir: string, tokenizer = tokenizerJson()): number {
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5) * 0.2;
  const shapes: Record<string, number[]> = {
    'transformer.wte.weight': [VOCAB, C], 'transformer.wpe.weight': [64, C],
    'transformer.h.0.ln_1.weight': [C], 'transformer.h.0.ln_1.bias': [C], 'transformer.h.0.ln_2.weight': [C], 'transformer.h.0.ln_2.bias': [C],
    'transformer.h.0.attn.c_attn.weight': [C, 3 * C], 'transformer.h.0.attn.c_attn.bias': [3 * C],
    'transformer.h.0.attn.c_proj.weight': [C, C], 'transformer.h.0.attn.c_proj.bias': [C],
    'transformer.h.0.mlp.c_fc.weight': [C, 4 * C], 'transformer.h.0.mlp.c_fc.bias': [4 * C],
    'transformer.h.0.mlp.c_proj.weight': [4 * C, C], 'transformer.h.0.mlp.c_proj.bias': [C],
    'transformer.ln_f.weight': [C], 'transformer.ln_f.bias': [C],
  };
  const tensors = Object.fromEntries(Object.entries(shapes).map(([n, s]) => [n, Array.from({ length: s.reduce((a, b) => a * b, 1) }, () => (n.includes('ln_') && n.endsWith('weight') ? 1 : rand()))]));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'model.safetensors'), safetensors(tensors, shapes));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'gpt2', architectures: ['GPT2LMHeadModel'], vocab_size: VOCAB, n_embd: C, n_head: 2, n_layer: 1, n_positions: 64, bos_token_id: 1, eos_token_id: 2 }));
  writeFileSync(join(dir, 'tokenizer.json'), tokenizer);
  return Object.values(tensors).reduce((n, t) => n + t.length, 0);
}

describe('finetune.html', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('opens a model folder, generates, fine-tunes LoRA live, downloads the adapter and the merged model, refuses a bad tokenizer', async () => {
    const w = await openWatched(browser);
    const { page } = w;
    await page.goto(demoUrl('finetune.html?backend=wasm&steps=60&window=16&batch=4&r=4&lr=0.02'));
    expect(await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content')).toBe(CSP);
    // The demo model first.
    await expect.poll(() => page.locator('[data-model-type]').getAttribute('data-model-type'), { timeout: 60_000 }).toBe('llama');

    const root = mkdtempSync(join(tmpdir(), 'weft-finetune-'));
    const params = tinyGpt2(join(root, 'tiny-gpt2'));
    await page.locator('input[name="model-folder"]').setInputFiles(join(root, 'tiny-gpt2'));
    await expect.poll(() => page.locator('[data-model-type]').getAttribute('data-model-type'), { timeout: 60_000 }).toBe('gpt2');
    expect(Number(await page.locator('[data-stored]').getAttribute('data-stored'))).toBe(params);
    expect(await page.locator('.source').textContent()).toContain('tiny-gpt2/');

    // Generate with the base model.
    await page.locator('button[data-action="generate"]').click();
    await expect.poll(() => page.locator('[data-generation-speed]').count(), { timeout: 60_000 }).toBe(1);
    expect(Number(await page.locator('[data-generation-speed]').getAttribute('data-generation-speed'))).toBeGreaterThan(0);

    // Fine-tune: the loss falls from the first report to the last; the token rate is shown.
    await page.locator('button[data-action="train"]').click();
    await expect.poll(() => page.locator('weft-progress-bar').getAttribute('status').catch(() => null), { timeout: 120_000 }).toBe('done');
    const loss = Number(await page.locator('[data-loss]').getAttribute('data-loss'));
    const first = Number(await page.locator('[data-loss]').getAttribute('data-first-loss'));
    expect(Number.isFinite(loss)).toBe(true);
    expect(loss).toBeLessThan(first);
    expect(Number(await page.locator('[data-tokens-per-s]').getAttribute('data-tokens-per-s'))).toBeGreaterThan(0);

    // The PEFT adapter: PEFT's file and tensor names, GPT-2's c_attn with [r, in] / [out, r].
    const [adapter] = await Promise.all([page.waitForEvent('download'), page.locator('button[data-download="adapter"]').click()]);
    const az = readZip(await readFile((await adapter.path())!));
    expect([...az.keys()].sort()).toEqual(['weft-lora-adapter/adapter_config.json', 'weft-lora-adapter/adapter_model.safetensors']);
    expect(JSON.parse(az.get('weft-lora-adapter/adapter_config.json')!.toString('utf8'))).toMatchObject({ peft_type: 'LORA', r: 4 });
    const ah = header(az.get('weft-lora-adapter/adapter_model.safetensors')!);
    expect(ah['base_model.model.transformer.h.0.attn.c_attn.lora_A.weight']!.shape).toEqual([4, C]);
    expect(ah['base_model.model.transformer.h.0.attn.c_attn.lora_B.weight']!.shape).toEqual([3 * C, 4]);

    // The merged model: transformers' names and shapes (Conv1D [in, out]), no lm_head (tied).
    const [merged] = await Promise.all([page.waitForEvent('download'), page.locator('button[data-download="merged"]').click()]);
    const mz = readZip(await readFile((await merged.path())!));
    expect([...mz.keys()].sort()).toEqual(['weft-merged-model/config.json', 'weft-merged-model/model.safetensors']);
    const mh = header(mz.get('weft-merged-model/model.safetensors')!);
    expect(mh['transformer.h.0.attn.c_attn.weight']).toMatchObject({ dtype: 'F32', shape: [C, 3 * C] });
    expect(Object.keys(mh)).toHaveLength(16);
    expect(JSON.parse(mz.get('weft-merged-model/config.json')!.toString('utf8')).model_type).toBe('gpt2');

    // Generate again, with the adapter.
    await page.locator('button[data-action="generate"]').click();
    await expect.poll(() => page.locator('[data-generation-speed]').textContent(), { timeout: 60_000 }).toContain('with the adapter');
    await page.screenshot({ path: resultPath('finetune.png'), fullPage: true });

    // A folder whose tokenizer.json does not parse: a message naming the file; the GPT-2 stays.
    tinyGpt2(join(root, 'broken'), '{"model": ');
    await page.locator('input[name="model-folder"]').setInputFiles(join(root, 'broken'));
    await expect.poll(() => page.locator('[data-error]').textContent(), { timeout: 60_000 }).toContain('Could not load the model: tokenizer.json: is not valid JSON');
    expect(await page.locator('[data-model-type]').getAttribute('data-model-type')).toBe('gpt2');

    expect(new URL(page.url()).searchParams.get('steps')).toBe('60');
    expect(w.errors).toEqual([]);
    expect(await w.cspViolations()).toEqual([]);
    expect(w.foreign).toEqual([]);
  }, 240_000);
});

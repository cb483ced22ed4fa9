// KV-cache decoding: every cached step's logits equal the uncached full-sequence logits at that
// position (1e-5 absolute; float32, different summation order) for a dense, a sliding-window, a
// q/k-norm, an MoE and a GPT-2 model; greedy decoding gives the same tokens with and without the
// cache; sampling follows temperature → top-k → top-p; stop tokens end it; no tensor leaks.
// Tokenization through @huggingface/tokenizers on a tokenizer.json the test writes.
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Rng } from '@weft/core';
import { HfTokenizer, KVCache, buildTransformersModel, generate, loadTokenizer, loadTransformers, sampleToken, type CausalLM, type HfFiles } from '@weft/hf';

const DIR = new URL('../../../test/fixtures/transformers/', import.meta.url);
function fixture(name: string): HfFiles {
  const out: HfFiles = {};
  for (const f of readdirSync(new URL(`${name}/`, DIR))) if (f !== 'case.json') out[f] = new Uint8Array(readFileSync(new URL(`${name}/${f}`, DIR)));
  return out;
}

const PROMPT = [3, 17, 8, 41, 2];

async function cachedEqualsUncached(model: CausalLM, steps: number): Promise<number> {
  model.eval();
  const V = model.spec.vocabSize;
  const seq = [...PROMPT];
  for (let i = 0; i < steps; i++) seq.push((seq[i]! * 7 + 5) % V);
  const full = tf.tidy(() => model.call({ ids: tf.tensor2d(seq, [1, seq.length], 'int32') }));
  const want = await full.data();
  full.dispose();
  const cache = new KVCache(model.spec.numLayers);
  let worst = 0;
  // The prompt in one pass, then one token per step.
  const chunks = [PROMPT, ...seq.slice(PROMPT.length).map((t) => [t])];
  let pos = 0;
  for (const chunk of chunks) {
    const y = tf.tidy(() => model.call({ ids: tf.tensor2d(chunk, [1, chunk.length], 'int32'), cache }));
    const got = await y.data();
    y.dispose();
    for (let t = 0; t < chunk.length; t++) for (let v = 0; v < V; v++) worst = Math.max(worst, Math.abs(got[t * V + v]! - want[(pos + t) * V + v]!));
    pos += chunk.length;
  }
  expect(cache.length).toBe(seq.length);
  cache.dispose();
  return worst;
}

describe('KV-cache decoding', () => {
  for (const name of ['llama', 'qwen3', 'olmoe', 'qwen2_moe', 'mixtral', 'gpt2']) {
    it(`${name}: cached steps give the uncached logits`, async () => {
      const { model } = await loadTransformers(fixture(name));
      const n = tf.memory().numTensors;
      expect(await cachedEqualsUncached(model as CausalLM, 6)).toBeLessThan(1e-5);
      expect(tf.memory().numTensors).toBe(n);
      model.dispose();
    });
  }

  it('a sliding window of 3 (mistral) masks the cached keys as the full sequence does', async () => {
    const config = { model_type: 'mistral', vocab_size: 48, hidden_size: 16, intermediate_size: 24, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, head_dim: 4, max_position_embeddings: 64, sliding_window: 3 };
    const { model } = buildTransformersModel(config, 5);
    expect(await cachedEqualsUncached(model as CausalLM, 6)).toBeLessThan(1e-5);
    // The window changes the outputs: the same weights (same seed) without it give other logits.
    const { model: unwindowed } = buildTransformersModel({ ...config, sliding_window: null }, 5);
    const ids = tf.tensor2d([PROMPT], undefined, 'int32');
    const windowed = await tf.tidy(() => (model as CausalLM).call(ids)).data();
    const full = await tf.tidy(() => (unwindowed as CausalLM).call(ids)).data();
    expect(Math.max(...windowed.map((v, i) => Math.abs(v - full[i]!)))).toBeGreaterThan(1e-4);
    tf.dispose(ids);
    model.dispose();
    unwindowed.dispose();
  });

  it('greedy decoding gives the same tokens with and without the cache; stop tokens end it; no tensor leaks', async () => {
    const { model } = await loadTransformers(fixture('qwen3'));
    const lm = model as CausalLM;
    const n = tf.memory().numTensors;
    const a = await generate(lm, PROMPT, { maxNewTokens: 8 });
    const b = await generate(lm, PROMPT, { maxNewTokens: 8, useCache: false });
    expect(a).toEqual(b);
    expect(a.finish).toBe('length');
    expect(a.tokens).toHaveLength(8);
    const stop = await generate(lm, PROMPT, { maxNewTokens: 8, stopTokens: [a.tokens[2]!] });
    expect(stop).toEqual({ tokens: a.tokens.slice(0, a.tokens.indexOf(a.tokens[2]!) + 1), finish: 'stop' });
    const sampled = await generate(lm, PROMPT, { maxNewTokens: 8, temperature: 0.8, topK: 5, topP: 0.9, seed: 3 });
    expect(await generate(lm, PROMPT, { maxNewTokens: 8, temperature: 0.8, topK: 5, topP: 0.9, seed: 3 })).toEqual(sampled);
    expect(tf.memory().numTensors).toBe(n);
    await expect(generate(lm, PROMPT, { topP: 0 })).rejects.toThrow(/generate: topP=0 must be in \(0, 1\]/);
    await expect(generate(lm, [99], {})).rejects.toThrow(/generate: prompt=\[99\] must be a non-empty list of token ids in \[0, 64\)/);
    model.dispose();
  });
});

describe('sampleToken', () => {
  const logits = [2.0, 1.0, 0.5, 3.0, -1.0, 0.0];
  const probs = (t: number) => {
    const e = logits.map((l) => Math.exp(l / t));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((x) => x / s);
  };
  const draw = (o: { temperature: number; topK: number; topP: number }, n = 4000) => {
    const rng = new Rng(11);
    const counts = new Array(logits.length).fill(0);
    for (let i = 0; i < n; i++) counts[sampleToken(logits, o, rng)]++;
    return counts.map((c) => c / n);
  };

  it('temperature 0 and top-k 1 are the argmax', () => {
    expect(sampleToken(logits, { temperature: 0, topK: 0, topP: 1 }, new Rng(0))).toBe(3);
    expect(draw({ temperature: 1, topK: 1, topP: 1 }, 50)[3]).toBe(1);
  });

  it('plain sampling follows softmax(logits / T) (±0.03 over 4000 draws)', () => {
    for (const T of [0.5, 1, 2]) {
      const f = draw({ temperature: T, topK: 0, topP: 1 });
      probs(T).forEach((p, i) => expect(Math.abs(f[i]! - p)).toBeLessThan(0.03));
    }
  });

  it('top-k keeps the k most likely, top-p the smallest nucleus reaching p, both renormalised', () => {
    const k = draw({ temperature: 1, topK: 2, topP: 1 });
    const p = probs(1);
    expect(k.filter((x) => x > 0).length).toBe(2);
    expect(Math.abs(k[3]! - p[3]! / (p[3]! + p[0]!))).toBeLessThan(0.03);
    // Sorted probabilities: 0.61 (3), 0.22 (0), 0.08 (1), … ; p = 0.8 needs the first two only, 0.85 the first three.
    expect(draw({ temperature: 1, topK: 0, topP: 0.8 }).filter((x) => x > 0).length).toBe(2);
    expect(draw({ temperature: 1, topK: 0, topP: 0.85 }).filter((x) => x > 0).length).toBe(3);
  });
});

describe('tokenizer.json through @huggingface/tokenizers', () => {
  const tokenizerJson = {
    version: '1.0', truncation: null, padding: null,
    added_tokens: [
      { id: 0, content: '<s>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
      { id: 1, content: '</s>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
    ],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: 'TemplateProcessing', single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }], pair: [], special_tokens: { '<s>': { id: '<s>', ids: [0], tokens: ['<s>'] } } },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: false,
      vocab: { '<s>': 0, '</s>': 1, h: 2, e: 3, l: 4, o: 5, 'Ġ': 6, w: 7, r: 8, d: 9, he: 10, ll: 11, hell: 12, hello: 13, 'Ġw': 14, or: 15, 'Ġwor': 16, 'Ġworld': 17, ld: 18 },
      merges: [['h', 'e'], ['l', 'l'], ['he', 'll'], ['hell', 'o'], ['Ġ', 'w'], ['o', 'r'], ['Ġw', 'or'], ['l', 'd'], ['Ġwor', 'ld']],
    },
  };
  const enc = (o: unknown) => new TextEncoder().encode(typeof o === 'string' ? o : JSON.stringify(o));

  it('encodes with BPE merges and the BOS template, and decodes back', async () => {
    const tok = await loadTokenizer({ 'tokenizer.json': enc(tokenizerJson) });
    expect(tok.encode('hello world')).toEqual([0, 13, 17]);
    expect(tok.encode('hello world', { addSpecialTokens: false })).toEqual([13, 17]);
    expect(tok.encode('held')).toEqual([0, 10, 18]); // he + (l d → ld)
    expect(tok.decode([0, 13, 17])).toBe('hello world');
    expect(tok.vocabSize).toBe(19);
  });

  it('a tokenizer file that does not parse is refused naming the file', async () => {
    await expect(loadTokenizer({ 'tokenizer.json': enc('{"model": ') })).rejects.toThrow(/^tokenizer\.json: is not valid JSON/);
    await expect(loadTokenizer({ 'tokenizer.json': enc({ ...tokenizerJson, model: 3 }) })).rejects.toThrow(/^tokenizer\.json: field model=3 must be an object/);
    await expect(loadTokenizer({ 'tokenizer.json': enc({ model: { type: 'Nope' } }) })).rejects.toThrow(/^tokenizer\.json: is not a tokenizer @huggingface\/tokenizers can build/);
    await expect(loadTokenizer({})).rejects.toThrow(/^tokenizer\.json: is missing/);
    expect(() => HfTokenizer.fromJson(tokenizerJson, [])).toThrow(/^tokenizer_config\.json: must be a JSON object/);
  });
});

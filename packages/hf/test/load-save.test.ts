// Saving loaded checkpoints back in transformers' layout (names, shapes, dtypes, values: a round trip
// is exact), and the errors for bad input: each names the file and the field or tensor, and a
// refused load leaks no tensor.
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSafetensors, serializeSafetensors } from '@weft/core';
import { buildTransformersModel, loadTransformers, saveTransformers, readHfConfig, type HfFiles } from '@weft/hf';

const DIR = new URL('../../../test/fixtures/transformers/', import.meta.url);
const NAMES = readdirSync(DIR).sort();

function fixture(name: string): HfFiles {
  const out: HfFiles = {};
  for (const f of readdirSync(new URL(`${name}/`, DIR))) if (f !== 'case.json') out[f] = new Uint8Array(readFileSync(new URL(`${name}/${f}`, DIR)));
  return out;
}

/** Every tensor of a checkpoint (all shards), by name. */
function tensorsOf(files: HfFiles) {
  const all = new Map<string, { dtype: string; shape: number[]; data: ArrayLike<number> }>();
  for (const [f, b] of Object.entries(files)) if (f.endsWith('.safetensors')) for (const [n, e] of parseSafetensors(b as Uint8Array).tensors) all.set(n, e);
  return all;
}

const enc = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));

describe('saveTransformers', () => {
  for (const name of NAMES) {
    it(`${name}: saves the file's names, shapes, dtypes and values exactly, and loads back to the same logits`, async () => {
      const files = fixture(name);
      const loaded = await loadTransformers(files);
      const saved = await saveTransformers(loaded);
      const before = tensorsOf(files);
      const after = tensorsOf({ 'model.safetensors': saved.safetensors });
      expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
      for (const [n, e] of before) {
        const s = after.get(n)!;
        expect(s.dtype, n).toBe(e.dtype);
        expect(s.shape, n).toEqual(e.shape);
        expect(Array.from(s.data), n).toEqual(Array.from(e.data));
      }
      const config = JSON.parse(saved.config);
      expect(readHfConfig(config).spec).toEqual(loaded.spec);
      const again = await loadTransformers({ 'config.json': enc(config), 'model.safetensors': saved.safetensors });
      const ids = tf.tensor2d([[1, 5, 9, 3]], [1, 4], 'int32');
      const run = (m: typeof loaded.model) => tf.tidy(() => {
        const y = m.call(ids) as tf.Tensor | { lastHiddenState: tf.Tensor };
        return y instanceof tf.Tensor ? y : y.lastHiddenState;
      });
      const [a, b] = [run(loaded.model.eval()), run(again.model.eval())];
      expect(Array.from(await b.data())).toEqual(Array.from(await a.data()));
      tf.dispose([a, b, ids]);
      loaded.model.dispose();
      again.model.dispose();
    });
  }

  it('a model built from a config saves and loads back exactly (float32, float16 and bfloat16)', async () => {
    const config = { model_type: 'qwen3', vocab_size: 20, hidden_size: 16, intermediate_size: 24, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, head_dim: 8, max_position_embeddings: 32, tie_word_embeddings: true };
    for (const dtype of ['F32', 'F16', 'BF16'] as const) {
      const built = buildTransformersModel(config, 7);
      const saved = await saveTransformers(built, { dtype });
      const parsed = parseSafetensors(saved.safetensors).tensors;
      expect(parsed.has('lm_head.weight')).toBe(false); // tied
      expect(parsed.get('model.layers.1.self_attn.q_norm.weight')!.dtype).toBe(dtype);
      const loaded = await loadTransformers({ 'config.json': enc(JSON.parse(saved.config)), 'model.safetensors': saved.safetensors });
      expect(loaded.dtype).toBe(dtype);
      const twice = await saveTransformers(loaded);
      expect(twice.safetensors).toEqual(saved.safetensors);
      built.model.dispose();
      loaded.model.dispose();
    }
  });
});

describe('checkpoint layouts of other classes', () => {
  const logitsOf = async (files: HfFiles) => {
    const l = await loadTransformers(files);
    const y = tf.tidy(() => {
      const o = l.model.eval().call(tf.tensor2d([[1, 5, 9, 3]], [1, 4], 'int32')) as tf.Tensor | { lastHiddenState: tf.Tensor };
      return o instanceof tf.Tensor ? o : o.lastHiddenState;
    });
    const d = Array.from(await y.data());
    y.dispose();
    l.model.dispose();
    return { d, ignored: l.ignoredTensors };
  };
  const rewrite = (files: HfFiles, rename: (n: string) => string, extra: Record<string, { shape: number[]; data: number[] }> = {}) => {
    const t = tensorsOf(files);
    const entries = new Map<string, { shape: number[]; data: ArrayLike<number> }>([...t].map(([n, e]) => [rename(n), { shape: e.shape, data: e.data }]));
    for (const [n, e] of Object.entries(extra)) entries.set(n, e);
    return { ...files, 'model.safetensors': serializeSafetensors(entries) };
  };

  it("GPT2Model's bare names with the old attention-mask buffers, and BertForPreTraining's bert. prefix with its cls. heads, load to the same outputs", async () => {
    const gpt2 = fixture('gpt2');
    const bare = rewrite(gpt2, (n) => n.replace(/^transformer\./, ''), { 'h.0.attn.bias': { shape: [1, 1, 2, 2], data: [1, 0, 1, 1] }, 'h.1.attn.masked_bias': { shape: [], data: [-1e4] } });
    const [g1, g2] = [await logitsOf(gpt2), await logitsOf(bare)];
    expect(g2.d).toEqual(g1.d);
    expect(g2.ignored).toEqual(["h.0.attn.bias (a causal-mask buffer of GPT-2's attention)", "h.1.attn.masked_bias (a causal-mask buffer of GPT-2's attention)"]);
    const bert = fixture('bert');
    const pre = rewrite(bert, (n) => `bert.${n}`, { 'cls.predictions.bias': { shape: [64], data: new Array(64).fill(0) } });
    const [b1, b2] = [await logitsOf(bert), await logitsOf(pre)];
    expect(b2.d).toEqual(b1.d);
    expect(b2.ignored).toEqual(['cls.predictions.bias (a pre-training head (BertModel does not use it))']);
  });
});

describe('loadTransformers refuses bad input, naming the file and the field', () => {
  const llama = () => fixture('llama');
  const config = () => JSON.parse(new TextDecoder().decode(llama()['config.json'] as Uint8Array));

  async function refuses(files: HfFiles, pattern: RegExp): Promise<void> {
    const n = tf.memory().numTensors;
    await expect(loadTransformers(files)).rejects.toThrow(pattern);
    expect(tf.memory().numTensors).toBe(n);
  }

  it('an unknown model_type', async () => {
    await refuses({ ...llama(), 'config.json': enc({ ...config(), model_type: 'llamaa' }) }, /config\.json: model_type="llamaa" is not supported; allowed: llama, mistral/);
  });

  it('a config field Weft does not know, and one it does not compute with a non-default value', async () => {
    await refuses({ ...llama(), 'config.json': enc({ ...config(), rms_norm_epsilon: 1e-6 }) }, /config\.json: field rms_norm_epsilon=.*not known.*did you mean rms_norm_eps/);
    await refuses({ ...llama(), 'config.json': enc({ ...config(), rope_parameters: { rope_type: 'ntk', factor: 2, rope_theta: 1e4 } }) }, /config\.json: rope_parameters\.rope_type="ntk" is not supported; allowed: "default", "linear", "dynamic", "yarn", "longrope", "llama3"/);
    await refuses({ ...llama(), 'config.json': enc({ ...config(), rope_parameters: { rope_type: 'dynamic', factor: 2, beta_fast: 8, rope_theta: 1e4 } }) }, /config\.json: rope_parameters\.beta_fast is set but rope_type is "dynamic", which does not use it/);
    await refuses({ ...llama(), 'config.json': enc({ ...config(), rope_parameters: { rope_type: 'longrope', short_factor: [1, 2], long_factor: [1, 2], rope_theta: 1e4 } }) }, /config\.json: rope_parameters\.short_factor=\[1,2\] must be a list of \d+ numbers > 0 \(head_dim \/ 2\)/);
    await refuses({ ...llama(), 'config.json': enc({ ...config(), rope_parameters: { rope_type: 'yarn', factor: 2, truncate: 'yes', rope_theta: 1e4 } }) }, /config\.json: rope_parameters\.truncate="yes" must be true or false/);
    await refuses({ ...llama(), 'config.json': enc({ ...config(), hidden_act: 'mish' }) }, /config\.json: hidden_act="mish" is not supported/);
    await refuses({ ...llama(), 'config.json': new TextEncoder().encode('{"model_type": "llama",') }, /config\.json: is not valid JSON/);
  });

  it("hub configs' extra fields: SmolLM's markers load; interleaved rope and quantization are refused by name", async () => {
    const smol = { ...config(), is_llama_config: true, rope_interleaved: false, 'transformers.js_config': { kv_cache_dtype: { q4f16: 'float16' } }, torch_dtype: 'bfloat16', pretraining_tp: 1 };
    const ok = await loadTransformers({ ...llama(), 'config.json': enc(smol) });
    expect(ok.notComputed).toEqual(expect.arrayContaining(['is_llama_config', 'transformers.js_config', 'torch_dtype', 'pretraining_tp']));
    ok.model.dispose();
    await refuses({ ...llama(), 'config.json': enc({ ...smol, rope_interleaved: true }) }, /config\.json: rope_interleaved=true is not supported/);
    await refuses({ ...llama(), 'config.json': enc({ ...config(), quantization_config: { quant_method: 'bitsandbytes' } }) }, /config\.json: field quantization_config=.* is not known to Weft's "llama" loader.*refused/);
  });

  it('names or shapes that do not match the config', async () => {
    await refuses({ ...llama(), 'config.json': enc({ ...config(), intermediate_size: 40 }) }, /model\.safetensors: tensor "model\.layers\.0\.mlp\.gate_proj\.weight" has shape \[48,32\]; config\.json implies \[40,32\]/);
    await refuses({ ...llama(), 'config.json': enc({ ...config(), num_hidden_layers: 3 }) }, /model\.safetensors: tensor "model\.layers\.2\.[a-z_.]+" .*is missing/);
    await refuses({ ...llama(), 'config.json': enc({ ...config(), num_hidden_layers: 1 }) }, /model\.safetensors: tensor "model\.layers\.1\.[a-z_.]+" has no place in a llama model/);
    const tied = fixture('llama-tied');
    await refuses({ ...tied, 'config.json': enc({ ...config(), tie_word_embeddings: false }) }, /model\.safetensors: tensor "lm_head\.weight" is missing; config\.json needs it/);
  });

  it('a truncated shard, and an index that points outside its files', async () => {
    const sharded = fixture('llama-sharded');
    const shard = sharded['model-00002-of-00002.safetensors'] as Uint8Array;
    await refuses({ ...sharded, 'model-00002-of-00002.safetensors': shard.subarray(0, shard.length - 10) }, /model-00002-of-00002\.safetensors: safetensors: /);
    await refuses({ ...sharded, 'model-00002-of-00002.safetensors': shard.subarray(0, 6) }, /model-00002-of-00002\.safetensors: is 6 bytes/);
    const index = JSON.parse(new TextDecoder().decode(sharded['model.safetensors.index.json'] as Uint8Array));
    index.weight_map['model.norm.weight'] = '../../etc/model-00003-of-00002.safetensors';
    await refuses({ ...sharded, 'model.safetensors.index.json': enc(index) }, /model\.safetensors\.index\.json: weight_map\["model\.norm\.weight"\]="\.\.\/\.\.\/etc\/model-00003-of-00002\.safetensors" is not one of the given \.safetensors files/);
    index.weight_map['model.norm.weight'] = 'model-00001-of-00002.safetensors';
    await refuses({ ...sharded, 'model.safetensors.index.json': enc(index) }, /model-00002-of-00002\.safetensors: holds tensor "model\.norm\.weight" that model\.safetensors\.index\.json places in model-00001-of-00002\.safetensors/);
  });

  it('missing files, non-finite weights, and a model beyond the memory budget (with the figure)', async () => {
    const { 'model.safetensors': _, ...noWeights } = llama();
    await refuses(noWeights, /model\.safetensors: is missing/);
    const t = tensorsOf(llama());
    const bad = new Float32Array(t.get('model.norm.weight')!.data as Float32Array);
    bad[3] = NaN;
    const entries = new Map([...t].map(([n, e]) => [n, n === 'model.norm.weight' ? { shape: e.shape, data: bad } : { shape: e.shape, data: e.data }]));
    await refuses({ ...llama(), 'model.safetensors': serializeSafetensors(entries) }, /model\.safetensors: tensor "model\.norm\.weight" holds NaN or ±Inf \(at element 3\)/);
    // core's calculator from config.json alone agrees with the headers: 19,616 float32 weights, plus a
    // KV cache of 2 layers × (k, v) × 2 heads × 8 dims × 64 tokens × 4 bytes for inference.
    const ok = await loadTransformers(llama());
    expect(ok.memory.weightBytes).toBe(4 * 19_616);
    expect(ok.memory.calculator).toMatchObject({ context: 64, inferenceBytes: 4 * 19_616 + 2 * 2 * 2 * 8 * 64 * 4 });
    ok.model.dispose();
    const n = tf.memory().numTensors;
    await expect(loadTransformers(llama(), { memoryBudgetBytes: 90_000 })).rejects.toThrow(/needs about 0\.00 GiB while loading \(19,616 parameters.*a 64-token KV cache takes about 0\.00 GiB/);
    expect(tf.memory().numTensors).toBe(n);
  });
});

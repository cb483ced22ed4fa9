// PEFT adapters on loaded transformers checkpoints: the files use PEFT's names
// (base_model.model.<transformers module path>.lora_A.weight, PyTorch's [r, in] / [out, r]) and load
// back to the same outputs; target_modules "all-linear", layers_to_transform + layers_pattern and
// GPT-2's fan_in_fan_out select what PEFT selects; several named adapters save and load in PEFT's
// directory layout; an MoE block's router is named as transformers names it.
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Linear, Rng, parseSafetensors, serializeSafetensors } from '@weft/core';
import { ModulesToSave, adaptedLayers, addModulesToSave, disableAdapters, enableAdapters, injectAdapter, loadPeftAdapter, loadPeftDirectory, mergeAdapters, mergeAndUnload, savePeftAdapter, savePeftDirectory, setActiveAdapters, unmergeAdapters } from '@weft/sharing';
import { loadTransformers, saveTransformers, transformersPath, type HfFiles, type LoadedTransformers } from '@weft/hf';

const DIR = new URL('../../../test/fixtures/transformers/', import.meta.url);
function fixture(name: string): HfFiles {
  const out: HfFiles = {};
  for (const f of readdirSync(new URL(`${name}/`, DIR))) if (f !== 'case.json') out[f] = new Uint8Array(readFileSync(new URL(`${name}/${f}`, DIR)));
  return out;
}
const IDS = [[5, 9, 2, 33, 17]];

async function logits(m: LoadedTransformers): Promise<Float32Array> {
  const y = tf.tidy(() => (m.model as { call(x: tf.Tensor): tf.Tensor }).call(tf.tensor2d(IDS, undefined, 'int32')));
  const d = (await y.data()) as Float32Array;
  y.dispose();
  return d;
}

/** Make adapter B non-zero so the adapter changes the outputs. */
function perturb(m: LoadedTransformers, seed: number): void {
  const rng = new Rng(seed);
  for (const [, l] of adaptedLayers(m.model)) for (const v of l.parameters()) if (v.trainable) v.assign(tf.tensor(rng.normalArray(v.size, 0, 0.3), v.shape));
}

const adapterPaths = (cfg: string) => (JSON.parse(cfg).target_modules as string[]).slice().sort();

describe('PEFT on loaded checkpoints', () => {
  it("llama: LoRA on q_proj/v_proj saves under PEFT's names and layouts and loads back to the same logits", async () => {
    const a = await loadTransformers(fixture('llama'));
    a.model.eval();
    injectAdapter(a.model, 'default', { method: 'lora', targets: ['q_proj', 'v_proj'], r: 4, alpha: 8 }, { rng: new Rng(1) });
    perturb(a, 2);
    const files = await savePeftAdapter(a.model);
    const names = [...parseSafetensors(files.safetensors).tensors].map(([n, e]) => `${n} [${e.shape}]`).sort();
    expect(names).toContain('base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight [4,32]');
    expect(names).toContain('base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight [16,4]');
    expect(names).toHaveLength(8);
    const cfg = JSON.parse(files.config);
    expect(cfg).toMatchObject({ peft_type: 'LORA', r: 4, lora_alpha: 8 });
    const b = await loadTransformers(fixture('llama'));
    b.model.eval();
    await loadPeftAdapter(b.model, files);
    expect(Array.from(await logits(b))).toEqual(Array.from(await logits(a)));
    a.model.dispose();
    b.model.dispose();
  });

  it('target_modules "all-linear" adapts every Linear but lm_head; layers_to_transform + layers_pattern keep those layers', async () => {
    const m = await loadTransformers(fixture('llama'));
    const cfg = { peft_type: 'LORA', r: 2, lora_alpha: 4, target_modules: 'all-linear' };
    const src = await loadTransformers(fixture('llama'));
    injectAdapter(src.model, 'default', { method: 'lora', targets: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'], r: 2, alpha: 4 });
    const all = await savePeftAdapter(src.model);
    const paths = await loadPeftAdapter(m.model, { config: JSON.stringify(cfg), safetensors: all.safetensors });
    expect(paths).toHaveLength(14);
    expect(paths.some((p) => p.includes('lm_head'))).toBe(false);
    // Only layer 1's q_proj/v_proj (the file holds tensors for exactly those).
    const src1 = await loadTransformers(fixture('llama'));
    injectAdapter(src1.model, 'default', { method: 'lora', targets: ['model.layers.1.self_attn.q_proj', 'model.layers.1.self_attn.v_proj'], r: 2, alpha: 4 });
    const one = await savePeftAdapter(src1.model);
    const m1 = await loadTransformers(fixture('llama'));
    const got = await loadPeftAdapter(m1.model, { config: JSON.stringify({ ...cfg, target_modules: ['q_proj', 'v_proj'], layers_to_transform: [1], layers_pattern: 'layers' }), safetensors: one.safetensors });
    expect(got.sort()).toEqual(['model.layers.1.self_attn.q_proj', 'model.layers.1.self_attn.v_proj']);
    const m2 = await loadTransformers(fixture('llama'));
    await expect(loadPeftAdapter(m2.model, { config: JSON.stringify({ ...cfg, target_modules: ['q_proj'], layers_to_transform: 1, layers_pattern: 'blocks' }), safetensors: one.safetensors })).rejects.toThrow(
      /PEFT: adapter_config\.json: target_modules=\["q_proj"\] with layers_to_transform=1 selects no Linear layer of this model/,
    );
    for (const x of [m, src, src1, m1, m2]) x.model.dispose();
  });

  it("gpt2: fan_in_fan_out LoRA on c_attn (Conv1D) loads with the tensors PEFT writes: lora_A [r, in], lora_B [out, r]", async () => {
    const a = await loadTransformers(fixture('gpt2'));
    a.model.eval();
    const base = await logits(a);
    injectAdapter(a.model, 'default', { method: 'lora', targets: ['c_attn'], r: 4, alpha: 4 }, { rng: new Rng(3) });
    perturb(a, 4);
    const adapted = await logits(a);
    expect(Math.max(...adapted.map((v, i) => Math.abs(v - base[i]!)))).toBeGreaterThan(1e-3);
    const files = await savePeftAdapter(a.model);
    const t = parseSafetensors(files.safetensors).tensors;
    expect(t.get('base_model.model.transformer.h.0.attn.c_attn.lora_A.weight')!.shape).toEqual([4, 32]);
    expect(t.get('base_model.model.transformer.h.0.attn.c_attn.lora_B.weight')!.shape).toEqual([96, 4]);
    const b = await loadTransformers(fixture('gpt2'));
    b.model.eval();
    await loadPeftAdapter(b.model, { config: JSON.stringify({ ...JSON.parse(files.config), fan_in_fan_out: true }), safetensors: files.safetensors });
    expect(Array.from(await logits(b))).toEqual(Array.from(adapted));
    a.model.dispose();
    b.model.dispose();
  });

  it("several named adapters save in PEFT's directory layout and load back, each under its name", async () => {
    const a = await loadTransformers(fixture('qwen3'));
    a.model.eval();
    injectAdapter(a.model, 'default', { method: 'lora', targets: ['q_proj'], r: 2 }, { rng: new Rng(5) });
    injectAdapter(a.model, 'fr', { method: 'lora', targets: ['down_proj'], r: 3 }, { rng: new Rng(6) });
    setActiveAdapters(a.model, ['default', 'fr']);
    perturb(a, 7);
    const dir = await savePeftDirectory(a.model);
    expect(Object.keys(dir).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors', 'fr/adapter_config.json', 'fr/adapter_model.safetensors']);
    expect(adapterPaths(dir['fr/adapter_config.json'] as string)).toEqual(['model.layers.0.mlp.down_proj', 'model.layers.1.mlp.down_proj']);
    const b = await loadTransformers(fixture('qwen3'));
    b.model.eval();
    const loaded = await loadPeftDirectory(b.model, dir);
    expect(Object.keys(loaded).sort()).toEqual(['default', 'fr']);
    setActiveAdapters(b.model, ['default', 'fr']);
    expect(Array.from(await logits(b))).toEqual(Array.from(await logits(a)));
    a.model.dispose();
    b.model.dispose();
  });

  it("mixtral: an adapter on the router is saved under transformers' name block_sparse_moe.gate", async () => {
    const a = await loadTransformers(fixture('mixtral'));
    const rename = transformersPath(a);
    expect(rename('model.layers.0.mlp.router.gate')).toBe('model.layers.0.block_sparse_moe.gate');
    injectAdapter(a.model, 'default', { method: 'lora', targets: ['block_sparse_moe.gate', 'q_proj'], r: 2 }, { rename });
    const files = await savePeftAdapter(a.model, { rename });
    const names = [...parseSafetensors(files.safetensors).tensors.keys()];
    expect(names).toContain('base_model.model.model.layers.1.block_sparse_moe.gate.lora_B.weight');
    const b = await loadTransformers(fixture('mixtral'));
    expect(await loadPeftAdapter(b.model, files, { rename: transformersPath(b) })).toHaveLength(4);
    a.model.dispose();
    b.model.dispose();
  });

  it('a model with merged adapters saves as a plain checkpoint whose logits are the adapted ones; unmerged adapters are refused', async () => {
    const a = await loadTransformers(fixture('qwen2'));
    a.model.eval();
    injectAdapter(a.model, 'default', { method: 'lora', targets: ['q_proj', 'down_proj'], r: 2 }, { rng: new Rng(8) });
    perturb(a, 9);
    const adapted = await logits(a);
    await expect(saveTransformers(a)).rejects.toThrow(/transformers layout: "model\.layers\.0\.self_attn\.q_proj" has unmerged adapters \(default\); merge them/);
    mergeAdapters(a.model);
    const saved = await saveTransformers(a);
    unmergeAdapters(a.model);
    const b = await loadTransformers({ 'config.json': new TextEncoder().encode(saved.config), 'model.safetensors': saved.safetensors });
    b.model.eval();
    const got = await logits(b);
    expect(Math.max(...got.map((v, i) => Math.abs(v - adapted[i]!)))).toBeLessThan(1e-5);
    a.model.dispose();
    b.model.dispose();
  });

  it("LoRA on an Embedding saves PEFT's lora_embedding_A [r, vocab] / lora_embedding_B [dim, r], loads back, and merges to the same logits", async () => {
    const a = await loadTransformers(fixture('llama'));
    a.model.eval();
    const base = await logits(a);
    const paths = injectAdapter(a.model, 'default', { method: 'lora', targets: ['embed_tokens', 'v_proj'], r: 3, alpha: 6 }, { rng: new Rng(10) });
    expect(paths).toContain('model.embed_tokens');
    perturb(a, 11);
    const adapted = await logits(a);
    expect(Math.max(...adapted.map((v, i) => Math.abs(v - base[i]!)))).toBeGreaterThan(1e-3);
    mergeAdapters(a.model);
    const merged = await logits(a);
    unmergeAdapters(a.model);
    expect(Math.max(...merged.map((v, i) => Math.abs(v - adapted[i]!)))).toBeLessThan(1e-5);
    const files = await savePeftAdapter(a.model);
    const t = parseSafetensors(files.safetensors).tensors;
    expect(t.get('base_model.model.model.embed_tokens.lora_embedding_A')!.shape).toEqual([3, 64]);
    expect(t.get('base_model.model.model.embed_tokens.lora_embedding_B')!.shape).toEqual([32, 3]);
    const b = await loadTransformers(fixture('llama'));
    b.model.eval();
    await loadPeftAdapter(b.model, files);
    expect(Array.from(await logits(b))).toEqual(Array.from(adapted));
    // Only LoRA adapts embeddings: IA3 on the same targets adapts v_proj alone.
    const c = await loadTransformers(fixture('llama'));
    expect(injectAdapter(c.model, 'ia3', { method: 'ia3', targets: ['embed_tokens', 'v_proj'] })).toEqual(['model.layers.0.self_attn.v_proj', 'model.layers.1.self_attn.v_proj']);
    for (const x of [a, b, c]) x.model.dispose();
  });

  it("DoRA on an Embedding and Linears of a loaded llama: lora_magnitude_vector [dim] on embed_tokens, [out] on v_proj; loads back to the same logits and merges to them", async () => {
    const a = await loadTransformers(fixture('llama'));
    a.model.eval();
    injectAdapter(a.model, 'default', { method: 'lora', targets: ['embed_tokens', 'v_proj'], r: 2, alpha: 4, dora: true }, { rng: new Rng(14) });
    perturb(a, 15);
    const adapted = await logits(a);
    const files = await savePeftAdapter(a.model);
    expect(JSON.parse(files.config)).toMatchObject({ peft_type: 'LORA', use_dora: true });
    const t = parseSafetensors(files.safetensors).tensors;
    expect(t.get('base_model.model.model.embed_tokens.lora_magnitude_vector')!.shape).toEqual([32]);
    const v = t.get('base_model.model.model.layers.0.self_attn.v_proj.lora_magnitude_vector')!.shape;
    expect(v).toEqual([t.get('base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight')!.shape[0]!]);
    const b = await loadTransformers(fixture('llama'));
    b.model.eval();
    await loadPeftAdapter(b.model, files);
    expect(Array.from(await logits(b))).toEqual(Array.from(adapted));
    mergeAdapters(b.model);
    const merged = await logits(b);
    expect(Math.max(...merged.map((x, i) => Math.abs(x - adapted[i]!)))).toBeLessThan(1e-4);
    for (const x of [a, b]) x.model.dispose();
  });

  it("modules_to_save: lm_head trains as the adapter's own copy, saves as base_model.model.lm_head.weight [vocab, dim], disables to the original, loads back, and merge-and-unload keeps the copy", async () => {
    const a = await loadTransformers(fixture('llama'));
    a.model.eval();
    const base = await logits(a);
    injectAdapter(a.model, 'default', { method: 'lora', targets: ['q_proj'], r: 2 }, { rng: new Rng(12) });
    expect(addModulesToSave(a.model, 'default', ['lm_head'])).toEqual(['lm_head']);
    setActiveAdapters(a.model, ['default']);
    const wrapper = a.model.namedChildren().get('lm_head') as ModulesToSave;
    expect(wrapper).toBeInstanceOf(ModulesToSave);
    const copy = wrapper.copy('default') as Linear;
    expect(copy.weight.trainable).toBe(true);
    expect(wrapper.original.parameters().every((v) => !v.trainable)).toBe(true);
    perturb(a, 13);
    copy.weight.assign(tf.add(copy.weight, tf.mul(0.2, tf.randomNormal(copy.weight.shape, 0, 1, 'float32', 3))));
    const adapted = await logits(a);
    disableAdapters(a.model);
    expect(Array.from(await logits(a))).toEqual(Array.from(base));
    enableAdapters(a.model);
    const files = await savePeftAdapter(a.model);
    expect(JSON.parse(files.config).modules_to_save).toEqual(['lm_head']);
    const t = parseSafetensors(files.safetensors).tensors;
    expect(t.get('base_model.model.lm_head.weight')!.shape).toEqual([64, 32]);
    const b = await loadTransformers(fixture('llama'));
    b.model.eval();
    await loadPeftAdapter(b.model, files);
    expect(Array.from(await logits(b))).toEqual(Array.from(adapted));
    mergeAndUnload(b.model);
    expect(b.model.namedChildren().get('lm_head')).toBeInstanceOf(Linear);
    expect(Math.max(...(await logits(b)).map((v, i) => Math.abs(v - adapted[i]!)))).toBeLessThan(1e-5);
    const c = await loadTransformers(fixture('llama'));
    const n = tf.memory().numTensors;
    await expect(loadPeftAdapter(c.model, { config: JSON.stringify({ ...JSON.parse(files.config), modules_to_save: 'lm_head' }), safetensors: files.safetensors })).rejects.toThrow(/modules_to_save="lm_head" must be a list of module names/);
    const loraOnly = serializeSafetensors(new Map([...t].filter(([k]) => k.includes('lora_')).map(([k, e]) => [k, { shape: e.shape, data: e.data }])));
    await expect(loadPeftAdapter(c.model, { config: JSON.stringify({ ...JSON.parse(files.config), modules_to_save: ['score'] }), safetensors: loraOnly })).rejects.toThrow(/PEFT: adapter_config\.json: modules_to_save=\["score"\] matched no module of the model/);
    await expect(loadPeftAdapter(c.model, { config: JSON.stringify({ ...JSON.parse(files.config), modules_to_save: ['score'] }), safetensors: files.safetensors })).rejects.toThrow(/tensor "base_model\.model\.lm_head\.weight" is not a lora tensor/);
    expect(tf.memory().numTensors).toBe(n);
    expect(adaptedLayers(c.model)).toHaveLength(0);
    for (const x of [a, b, c]) x.model.dispose();
  });

  for (const [method, config] of [
    ['dora', { method: 'lora', dora: true, r: 2 }],
    ['rank/alpha patterns', { method: 'lora', r: 2, alpha: 4, rankPattern: { 'layers\\.1\\..*': 3 }, alphaPattern: { 'layers\\.1\\..*': 9 } }],
    ['loha', { method: 'loha', r: 2 }],
    ['lokr', { method: 'lokr', r: 2 }],
    ['ia3', { method: 'ia3', feedforward: ['down_proj'] }],
  ] as const) {
    it(`${method} on a loaded qwen3 saves PEFT's file and loads back to identical logits`, async () => {
      const a = await loadTransformers(fixture('qwen3'));
      a.model.eval();
      injectAdapter(a.model, 'default', { ...config, targets: ['q_proj', 'v_proj', 'down_proj'] } as Parameters<typeof injectAdapter>[2], { rng: new Rng(14) });
      perturb(a, 15);
      const adapted = await logits(a);
      const files = await savePeftAdapter(a.model);
      for (const k of parseSafetensors(files.safetensors).tensors.keys()) expect(k).toMatch(/^base_model\.model\.model\.layers\.[01]\.(self_attn\.[qv]_proj|mlp\.down_proj)\./);
      const b = await loadTransformers(fixture('qwen3'));
      b.model.eval();
      await loadPeftAdapter(b.model, files);
      expect(Array.from(await logits(b))).toEqual(Array.from(adapted));
      a.model.dispose();
      b.model.dispose();
    });
  }
});

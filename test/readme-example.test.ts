// The READMEs' examples, run as written: the code between `readme-example:start`/`end` markers in
// README.md and in each packages/*/README.md is copied to a module (with one export line appended
// so the test can look at its results) and imported, on the node project's backend (wasm).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Module, ParamReport, TrainResult } from '@weft/core';

const repo = new URL('../', import.meta.url);
const out = fileURLToPath(new URL('test-results/', repo));

/** Write the marked example of `readme` (a repo path) with `exports` appended, import it, return its module. */
async function runExample<T>(readme: string, exports: string[]): Promise<T> {
  const text = readFileSync(fileURLToPath(new URL(readme, repo)), 'utf8');
  const block = /<!-- readme-example:start -->\n```ts\n([\s\S]*?)```\n<!-- readme-example:end -->/.exec(text);
  expect(block, `${readme} has a marked example`).not.toBeNull();
  mkdirSync(out, { recursive: true });
  const file = `${out}readme-example-${readme.replace(/[^a-z]+/gi, '-')}.ts`;
  writeFileSync(file, `${block![1]}\n${exports.length ? `export { ${exports.join(', ')} };\n` : ''}`);
  const log = console.log;
  console.log = () => {};
  try {
    return (await import(/* @vite-ignore */ file)) as T;
  } finally {
    console.log = log;
  }
}

describe('README examples run as written', () => {
  it('README.md: the MoE language model learns the sort task, the LoRA fine-tune trains only the adapter', async () => {
    const ex = await runExample<{ adapted: string[]; model: Module; pretrain: TrainResult; finetune: TrainResult }>('README.md', ['adapted', 'model', 'pretrain', 'finetune']);
    expect(ex.adapted).toEqual(['blocks.0.attn.q', 'blocks.0.attn.v', 'blocks.1.attn.q', 'blocks.1.attn.v']);
    expect(ex.pretrain.finalLoss).toBeLessThan(ex.pretrain.history[0]!.loss * 0.5);
    expect(ex.finetune.finalLoss).toBeLessThanOrEqual(ex.pretrain.finalLoss * 1.5);
    expect(ex.model.trainableParameters().length).toBe(8); // lora_A and lora_B of four projections
    ex.model.dispose();
  }, 300_000);

  it('packages/core: the spirals MLP trains; TinyLlama-1.1B counts 1,100,048,384 parameters', async () => {
    const ex = await runExample<{ run: TrainResult; tinyLlama: ParamReport }>('packages/core/README.md', ['run', 'tinyLlama']);
    expect(ex.run.finalLoss).toBeLessThan(ex.run.history[0]!.loss);
    expect(ex.tinyLlama.total).toBe(1_100_048_384);
  }, 300_000);

  it('packages/moe: the MoE layer routes, reports its load and aux losses, and counts 2 of 8 experts active', async () => {
    const ex = await runExample<{ stats: Record<string, number[]>; stored: number; active: number }>('packages/moe/README.md', ['stats', 'stored', 'active']);
    expect(ex.stats['moe.load']!.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(ex.active).toBeLessThan(ex.stored);
  }, 300_000);

  it('packages/sharing: the all-shared Transformer stores one block, and its LoRA adapter saves as PEFT', async () => {
    const ex = await runExample<{ stored: number; effective: number; paths: string[]; peft: { config: string } }>('packages/sharing/README.md', ['stored', 'effective', 'paths', 'peft']);
    expect(ex.effective).toBeGreaterThan(ex.stored);
    expect(JSON.parse(ex.peft.config).peft_type).toBe('LORA');
    expect(ex.paths.length).toBe(2); // one shared block: its q and v, once
  }, 300_000);

  it('packages/hf: a llama saved and loaded back counts 19,616 parameters, decodes 8 tokens, and its LoRA saves under PEFT names', async () => {
    const ex = await runExample<{ memory: { parameters: number }; tokens: number[]; adapted: string[]; peft: { config: string; safetensors: Uint8Array }; model: Module }>('packages/hf/README.md', ['memory', 'tokens', 'adapted', 'peft', 'model']);
    expect(ex.memory.parameters).toBe(19_616);
    expect(ex.tokens).toHaveLength(8);
    expect(ex.adapted).toEqual(['model.layers.0.self_attn.q_proj', 'model.layers.0.self_attn.v_proj', 'model.layers.1.self_attn.q_proj', 'model.layers.1.self_attn.v_proj']);
    expect(JSON.parse(ex.peft.config).peft_type).toBe('LORA');
    ex.model.dispose();
  }, 300_000);

  it('packages/nas: DARTS returns a genotype', async () => {
    const ex = await runExample<{ search: { result: { normal: unknown[] } } }>('packages/nas/README.md', ['search']);
    expect(ex.search.result.normal.length).toBeGreaterThan(0);
  }, 300_000);

  it('every package has a README with a tested example', () => {
    for (const p of ['core', 'sharing', 'moe', 'nas']) expect(existsSync(fileURLToPath(new URL(`packages/${p}/README.md`, repo)))).toBe(true);
  });
});

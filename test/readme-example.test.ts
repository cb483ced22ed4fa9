// The README's "Using a package" example, run as written: the code between the
// `readme-example:start`/`end` markers is copied to a module (with one export line appended so the
// test can look at its results) and imported, on the node project's backend (wasm). It must train:
// the MoE model learns the sort task, and the LoRA fine-tune trains only the adapter.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import type { Module, TrainResult } from '@weft/core';

it('the README example runs as written: the MoE model learns, the LoRA fine-tune trains only the adapter', async () => {
  const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
  const block = /<!-- readme-example:start -->\n```ts\n([\s\S]*?)```\n<!-- readme-example:end -->/.exec(readme);
  expect(block, 'README.md has the marked example').not.toBeNull();
  const dir = fileURLToPath(new URL('../test-results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const file = `${dir}readme-example.ts`;
  writeFileSync(file, `${block![1]}\nexport { adapted, model, pretrain, finetune };\n`);
  const log = console.log;
  console.log = () => {};
  let ex: { adapted: string[]; model: Module; pretrain: TrainResult; finetune: TrainResult };
  try {
    ex = await import(/* @vite-ignore */ file);
  } finally {
    console.log = log;
  }
  expect(ex.adapted).toEqual(['blocks.0.attn.q', 'blocks.0.attn.v', 'blocks.1.attn.q', 'blocks.1.attn.v']);
  expect(ex.pretrain.finalLoss).toBeLessThan(ex.pretrain.history[0]!.loss * 0.5);
  expect(ex.finetune.finalLoss).toBeLessThanOrEqual(ex.pretrain.finalLoss * 1.5);
  const trainable = ex.model.trainableParameters().length;
  expect(trainable).toBe(8); // lora_A and lora_B of four projections
  ex.model.dispose();
}, 300_000);

// LoRA fine-tuning of a loaded transformers checkpoint with Weft's trainer: on the llama fixture,
// rank-4 LoRA on q/v learns to continue a fixed 24-token sequence (next-token cross-entropy), for
// three seeds of the adapter's initialisation; only adapter weights change, the tensor count stays
// flat through training, and the loss falls in every seed. Figures (mean ± sd over seeds) are printed.
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Rng, makeOptimizer, softmaxCrossEntropy, stateDict, train } from '@weft/core';
import { injectAdapter } from '@weft/sharing';
import { loadTransformers, type HfCausalLM, type HfFiles } from '@weft/hf';

const DIR = new URL('../../../test/fixtures/transformers/llama/', import.meta.url);
const files = (): HfFiles => Object.fromEntries(readdirSync(DIR).filter((f) => f !== 'case.json').map((f) => [f, new Uint8Array(readFileSync(new URL(f, DIR)))]));
const SEQ = Array.from({ length: 25 }, (_, i) => (i * 7 + 3) % 64);

describe('LoRA fine-tuning a loaded checkpoint', () => {
  it('lowers the loss on new text in every seed, trains only the adapter, leaks no tensor', async () => {
    const results: Array<{ first: number; last: number }> = [];
    for (const seed of [1, 2, 3]) {
      const { model } = await loadTransformers(files());
      const lm = model as HfCausalLM;
      injectAdapter(lm, 'default', { method: 'lora', targets: ['q_proj', 'v_proj'], r: 4, alpha: 8 }, { rng: new Rng(seed) });
      const before = Object.fromEntries(await Promise.all(Object.entries(stateDict(lm)).filter(([k]) => !k.includes('lora')).map(async ([k, v]) => [k, Array.from(await v.data())])));
      const optimizer = makeOptimizer({ name: 'adam', learningRate: 0.01 });
      const counts: number[] = [];
      const losses: number[] = [];
      const r = await train({
        model: lm, optimizer, steps: 40, reportEvery: 1,
        batch: () => ({ x: tf.tensor2d([SEQ.slice(0, -1)], undefined, 'int32'), y: tf.tensor2d([SEQ.slice(1)], undefined, 'int32') }),
        loss: (logits, b) => softmaxCrossEntropy(logits, b.y),
        onProgress: (p) => {
          losses.push(p.loss);
          counts.push(tf.memory().numTensors);
        },
      });
      expect(r.stoppedBy).toBe('done');
      expect(counts.at(-1)).toBe(counts[10]);
      for (const [k, v] of Object.entries(stateDict(lm))) if (!k.includes('lora')) expect(Array.from(await v.data()), k).toEqual(before[k]);
      results.push({ first: losses[0]!, last: losses.at(-1)! });
      optimizer.dispose();
      lm.dispose();
    }
    const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
    const sd = (a: number[]) => Math.sqrt(mean(a.map((v) => (v - mean(a)) ** 2)));
    const first = results.map((r) => r.first);
    const last = results.map((r) => r.last);
    console.log(`LoRA r=4 on q/v, 40 steps, seeds 1-3: loss ${mean(first).toFixed(3)} ± ${sd(first).toFixed(3)} -> ${mean(last).toFixed(3)} ± ${sd(last).toFixed(3)} (uniform: ${Math.log(64).toFixed(3)})`);
    for (const r of results) expect(r.last).toBeLessThan(r.first);
  });
});

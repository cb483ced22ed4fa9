// finetune.html's lab without a page: pasted training text (plain or JSONL), the demo model's
// character tokenizer round trip, and one short LoRA run on the demo model whose downloads read back.
import { describe, expect, it } from 'vitest';
import { parseSafetensors } from '@weft/core';
import { FinetuneLab, trainingText } from '../src/jobs/finetune-job.js';

describe('finetune lab', () => {
  it('reads JSONL "text" or "prompt" + "completion" lines, else the text as pasted; names a bad line', () => {
    expect(trainingText('plain\ntext')).toBe('plain\ntext');
    expect(trainingText('{"text": "a b"}\n{"prompt": "Q: ", "completion": "A"}\n')).toBe('a b\nQ: A');
    expect(() => trainingText('{"text": "a"}\n{"text": ')).toThrow(/JSONL line 2 is not valid JSON/);
    expect(() => trainingText('{"text": 3}')).toThrow(/JSONL line 1 has neither "text" nor "prompt" and "completion" strings/);
  });

  it('trains a LoRA adapter on the demo model and downloads it and the merged model', async () => {
    const lab = FinetuneLab.demo(1);
    expect(lab.tokenizer.decode(lab.tokenizer.encode('the cat sat.', { addSpecialTokens: false }))).toBe('the cat sat.');
    const tokens = lab.setTrainingText('the cat sat on the mat. '.repeat(8), 16);
    expect(tokens).toBe(24 * 8);
    lab.startAdapter(4, 0.01, 1);
    const losses: number[] = [];
    const r = await lab.finetune({ steps: 20, r: 4, learningRate: 0.01, window: 16, batch: 4, seed: 1 }, 0, 20, (p) => void losses.push(p.loss));
    expect(r.stoppedBy).toBe('done');
    expect(losses.at(-1)!).toBeLessThan(losses[0]!);
    // 2 layers × (q, o: 4·(64 + 64); k, v: 4·(64 + 32), 2 KV heads of 16).
    expect(lab.summary().trainable).toBe(2 * (2 * 4 * (64 + 64) + 2 * 4 * (64 + 32)));
    const adapter = await lab.peft();
    expect([...parseSafetensors(adapter.safetensors).tensors.keys()].every((k) => /^base_model\.model\.model\.layers\.[01]\.self_attn\.[qkvo]_proj\.lora_[AB]\.weight$/.test(k))).toBe(true);
    const merged = await lab.merged();
    expect(JSON.parse(merged.config).model_type).toBe('llama');
    expect(parseSafetensors(merged.safetensors).tensors.has('model.layers.1.self_attn.q_proj.weight')).toBe(true);
    const g = await lab.generate('the ', 8, 0, 1);
    expect(g.tokens).toBeGreaterThan(0);
    lab.dispose();
  });
});

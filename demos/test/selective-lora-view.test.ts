// adapters.html's Selective LoRA view without a page: the lab's pretrained base tuned on the rotated
// task by plain LoRA (r=2 on the three layers: 2·(2+64) + 2·(64+64) + 2·(64+2) = 520 parameters) and by
// Selective LoRA (the same blocks plus one gate score per layer: 523); the gate reports every layer,
// accuracies are fractions, and both adapters are deleted with the base's active adapters restored and
// no tensor left behind. (Whether Selective LoRA forgets less is the experiment in
// packages/sharing/test/selective-lora.test.ts; here nothing about it is asserted.)
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { adaptedLayers, adapterNames } from '@weft/sharing';
import { AdaptersLab } from '../src/jobs/adapters-job.js';

describe('adapters page: Selective LoRA against LoRA', () => {
  it('scores the base, LoRA and Selective LoRA on both tasks, reports each gate, leaves the lab as it was', async () => {
    const lab = new AdaptersLab({ dataset: 'moons', angle: 90, seed: 3, r: 4 });
    const quiet = () => undefined;
    await expect(lab.selective(5)).rejects.toThrow(/Pretrain or load a base model first/);
    expect((await lab.pretrain(40, quiet)).stoppedBy).toBe('done');
    await lab.finetune('lora', 10, quiet);
    const names = adapterNames(lab.base);
    const active = [...adaptedLayers(lab.base)[0]![1].active];
    const before = tf.memory().numTensors;
    const rows = await lab.selective(20);
    expect(tf.memory().numTensors).toBe(before);
    expect(adapterNames(lab.base)).toEqual(names);
    expect(adaptedLayers(lab.base)[0]![1].active).toEqual(active);
    expect(rows.map((r) => [r.kind, r.trainable])).toEqual([['base', 0], ['lora', 520], ['selective', 523]]);
    for (const r of rows) for (const v of [r.a, r.b]) expect(v >= 0 && v <= 1).toBe(true);
    expect(rows[2]!.gates.map((g) => g.path)).toEqual(['layers.0', 'layers.1', 'layers.2']);
    for (const g of rows[2]!.gates) expect(g.on).toBe(g.score > 0.1);
    lab.dispose();
  });
});

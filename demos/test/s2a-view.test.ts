// adapters.html's S2A view without a page: the lab's pretrained base tuned on the rotated task by LoRA
// r=4 (r=2 on the 2-wide layers: 2·(2+64) + 4·(64+64) + 2·(64+2) = 776 parameters) and by S2A's side
// module (bottleneck 16 over the two 64-wide hidden features, then 16 → 2: 2·64·16 + 16·2 = 2080);
// bytes held for the backward pass are measured and positive, accuracies are fractions, and the LoRA,
// the side module and its backbone copy leave no tensor or adapter behind. (Whether the side module
// holds fewer bytes at a similar accuracy is the experiment in packages/sharing/test/s2a.test.ts.)
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { adapterNames } from '@weft/sharing';
import { AdaptersLab } from '../src/jobs/adapters-job.js';

describe('adapters page: S2A against LoRA', () => {
  it('counts trained parameters, measures bytes held for backward and accuracy, leaves the lab as it was', async () => {
    const lab = new AdaptersLab({ dataset: 'moons', angle: 90, seed: 3, r: 4 });
    const quiet = () => undefined;
    await expect(lab.s2a(5)).rejects.toThrow(/Pretrain or load a base model first/);
    expect((await lab.pretrain(40, quiet)).stoppedBy).toBe('done');
    const names = adapterNames(lab.base);
    const before = tf.memory().numTensors;
    const rows = await lab.s2a(10);
    expect(tf.memory().numTensors).toBe(before);
    expect(adapterNames(lab.base)).toEqual(names);
    expect(rows.map((r) => [r.kind, r.trainable])).toEqual([['lora', 776], ['s2a', 2080]]);
    for (const r of rows) {
      expect(r.backwardBytes).toBeGreaterThan(0);
      expect(r.accuracy >= 0 && r.accuracy <= 1).toBe(true);
    }
    lab.dispose();
  });
});

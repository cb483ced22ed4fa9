// adapters.html's controllable multi-task view without a page: one ControllableMultiTask trained once
// on the lab's base task and rotated task, scored at the four uniform widths. MACs per example as the
// formula: encoder 2·e + e·e, each decoder e·d + d·2 with e = 64·f, d = 32·f (at full width
// 128 + 4096 + 2·(2048 + 64) = 8448); accuracies are fractions; no tensor is left behind.
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { AdaptersLab } from '../src/jobs/adapters-job.js';

describe('adapters page: controllable multi-task widths', () => {
  it('trains once and scores every width with its MACs, freeing the model', async () => {
    const lab = new AdaptersLab({ dataset: 'moons', angle: 90, seed: 3, r: 4 });
    const before = tf.memory().numTensors;
    const rows = await lab.controllable(10);
    expect(tf.memory().numTensors).toBe(before);
    const macs = (f: number) => {
      const e = 64 * f, d = 32 * f;
      return 2 * e + e * e + 2 * (e * d + d * 2);
    };
    expect(rows.map((r) => [r.fraction, r.macs])).toEqual([0.25, 0.5, 0.75, 1].map((f) => [f, macs(f)]));
    expect(rows.at(-1)!.macs).toBe(8448);
    for (const r of rows) for (const v of [r.a, r.b]) expect(v >= 0 && v <= 1).toBe(true);
    lab.dispose();
  });
});

// adapters.html's CRaSh view without a page: its own six-hidden-layer MLP pretrained on the lab's base
// task, the five middle layers (1…5) cut into two contiguous clusters at the least similar neighbouring
// pair (four CKA values, each in [0, 1] up to rounding), the emulator's LoRA plugged into the full
// model; four accuracies, fractions; every model freed (no tensor left behind).
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { AdaptersLab } from '../src/jobs/adapters-job.js';

describe('adapters page: CRaSh', () => {
  it('clusters by CKA, cuts at the least similar pair, scores four models, frees them', async () => {
    const lab = new AdaptersLab({ dataset: 'moons', angle: 90, seed: 3, r: 4 });
    const before = tf.memory().numTensors;
    const o = await lab.crash(30, 10);
    expect(tf.memory().numTensors).toBe(before);
    expect(o.similarity.length).toBe(4);
    for (const s of o.similarity) expect(s >= -1e-6 && s <= 1 + 1e-6).toBe(true);
    expect(o.groups.flat()).toEqual([1, 2, 3, 4, 5]);
    expect(o.groups.length).toBe(2);
    const cut = o.groups[0]!.at(-1)! - 1; // similarity[k] compares layers k+1 and k+2
    expect(o.similarity[cut]).toBe(Math.min(...o.similarity));
    expect(o.rows.map((r) => r.kind)).toEqual(['untuned', 'emulator', 'plugged', 'full-lora']);
    for (const r of o.rows) expect(r.accuracy >= 0 && r.accuracy <= 1).toBe(true);
    lab.dispose();
  });
});

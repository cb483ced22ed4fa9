// adapters.html's Arrow view without a page: the merge explorer's three task LoRAs routed by Arrow
// (arXiv:2405.11157), each adapted layer's `…/load` statistic read per task. Reference: the first
// layer sees the raw points, so its load is recomputed by hand from the router's prototypes
// (the largest |⟨x, prototype⟩| takes the point: top-1) over the same held-out points; tolerance 1e-5 (float32 means).
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { makeDataset, rotation, split } from '@weft/core';
import { addArrowRouter, adaptedLayers, deleteAdapter, type ArrowLayer } from '@weft/sharing';
import { AdaptersLab } from '../src/jobs/adapters-job.js';
import { MergeExplorer } from '../src/jobs/merge-explorer-job.js';

describe('adapters page: Arrow over the task LoRAs', () => {
  it('reads every adapted layer\'s routing load per task; the first layer\'s equals a by-hand routing of the points; no tensor leaks', async () => {
    const config = { dataset: 'moons', angle: 90, seed: 3, r: 4 };
    const lab = new AdaptersLab(config);
    const quiet = () => undefined;
    expect((await lab.pretrain(40, quiet)).stoppedBy).toBe('done');
    const ex = new MergeExplorer(lab.base, config);
    for (let k = 0; k < 3; k++) await ex.trainTask(k, 20, quiet);
    await expect(new MergeExplorer(lab.base, config).arrow()).rejects.toThrow(/Train the task adapters first/);

    const before = tf.memory().numTensors;
    const out = await ex.arrow();
    await ex.arrow();
    expect(tf.memory().numTensors).toBe(before); // the router is deleted after each call

    expect(out.layers.map((l) => l.path)).toEqual(['layers.0.arrow', 'layers.1.arrow', 'layers.2.arrow']); // keyed by the router's path in the model
    for (const l of out.layers) {
      expect(l.load).toHaveLength(3); // one row per task's points
      for (const row of l.load) {
        expect(row).toHaveLength(3); // one weight per task LoRA
        expect(Math.abs(row.reduce((s, v) => s + v, 0) - 1)).toBeLessThan(1e-5);
        for (const v of row) expect(v).toBeGreaterThanOrEqual(0);
      }
    }
    for (const v of out.perTask) expect(v).toBeGreaterThan(0);

    // By hand: the same router (built from the same ΔW), its prototypes read, the points routed in plain JS.
    await addArrowRouter(lab.base, 'check', ex.names, { topK: 1 });
    const first = adaptedLayers(lab.base).find(([p]) => p === 'layers.0')![1].adapter('check') as ArrowLayer;
    const protos = await first.prototypes.data(); // [2, 3]
    deleteAdapter(lab.base, 'check');
    const ds = makeDataset(config.dataset, { n: 600 }, config.seed + 100);
    ex.angles.forEach((a, k) => {
      const [, test] = split(rotation((a * Math.PI) / 180)(ds, 1), [0.5, 0.5], config.seed + 20 + k);
      const x = test!.x as Float32Array;
      const n = x.length / 2;
      const mean = [0, 0, 0];
      for (let i = 0; i < n; i++) {
        const s = [0, 1, 2].map((e) => Math.abs(x[2 * i]! * protos[e]! + x[2 * i + 1]! * protos[3 + e]!));
        const top = [0, 1, 2].reduce((b, e) => (s[e]! > s[b]! ? e : b), 0); // top-1: the whole weight
        mean[top]! += 1 / n;
      }
      mean.forEach((m, e) => expect(Math.abs(out.layers[0]!.load[k]![e]! - m)).toBeLessThan(1e-5));
    });
    ex.dispose();
    lab.dispose();
  }, 120_000);
});

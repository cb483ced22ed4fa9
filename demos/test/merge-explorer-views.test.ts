// adapters.html's routed merges, compositions and recipe rows without a page: Mediator and
// 1bit-Merging over the merge explorer's three task LoRAs, routed by uncertainty; Average, ScaLearn and
// AdapterFusion over the outer LoRAs for the middle task (trained parameters: ScaLearn 1 per source and
// layer, Fusion 3·out² per layer). (The all-methods table's Sens-Merging and evolved-recipe rows are
// checked by the page's e2e test: the evolution's merges take seconds.)
// Checked: 1bit's storage equals its formula on the lab's layer sizes
// (2→64, 64→64, 64→2: 1 bit per entry + a 32-bit scale per layer and task), Mediator's sparse
// experts store less than its whole ones, the shares are fractions, the experts are deleted (no
// tensor or adapter left behind).
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { adaptedLayers, adapterNames, type LoraLayer } from '@weft/sharing';
import { AdaptersLab } from '../src/jobs/adapters-job.js';
import { MergeExplorer } from '../src/jobs/merge-explorer-job.js';

describe('adapters page: routed merges, compositions and recipes over the task LoRAs', () => {
  it('Mediator and 1bit-Merging score every task with storage and own-expert shares; the compositions train only their own parameters; nothing is left behind', async () => {
    const config = { dataset: 'moons', angle: 90, seed: 3, r: 4 };
    const lab = new AdaptersLab(config);
    const quiet = () => undefined;
    expect((await lab.pretrain(40, quiet)).stoppedBy).toBe('done');
    const ex = new MergeExplorer(lab.base, config);
    await expect(ex.routed({ density: 1, confidence: 0 })).rejects.toThrow(/Train the task adapters first/);
    for (let k = 0; k < 3; k++) await ex.trainTask(k, 20, quiet);
    const names = adapterNames(lab.base);
    const before = tf.memory().numTensors;
    const whole = await ex.routed({ density: 1, confidence: 0 });
    const sparse = await ex.routed({ density: 0.2, confidence: 0.6 });
    expect(tf.memory().numTensors).toBe(before);
    expect(adapterNames(lab.base)).toEqual(names);
    const n = 2 * 64 + 64 * 64 + 64 * 2;
    expect(whole.oneBit.storageRatio).toBeCloseTo((n + 3 * 32) / (32 * n), 12);
    expect(sparse.mediator.storageRatio).toBeLessThan(whole.mediator.storageRatio);
    expect(whole.mediator.layers.map((l) => l.path)).toEqual(['layers.0', 'layers.1', 'layers.2']);
    for (const o of [whole.mediator, whole.oneBit, sparse.mediator, sparse.oneBit]) {
      expect(o.perTask).toHaveLength(3);
      expect(o.ownShare).toHaveLength(3);
      for (const v of [...o.perTask, ...o.ownShare]) expect(v >= 0 && v <= 1).toBe(true);
      expect(o.average).toBeCloseTo(o.perTask.reduce((s, v) => s + v, 0) / 3, 12);
    }
    const sourceB = async () => Array.from(await (adaptedLayers(lab.base)[1]![1].adapter('task1') as LoraLayer).loraB.data());
    const sourceBefore = await sourceB();
    const transfer = await ex.transfer(30);
    expect(await sourceB()).toEqual(sourceBefore); // the sources stay frozen
    expect(tf.memory().numTensors).toBe(before);
    expect(adapterNames(lab.base)).toEqual(names);
    expect(transfer.map((r) => [r.kind, r.trainable])).toEqual([['average', 0], ['scalearn', 2 * 3], ['fuse', 3 * (64 * 64 + 64 * 64 + 2 * 2)]]);
    for (const r of transfer) expect(r.accuracy > 0 && r.accuracy <= 1).toBe(true);
    ex.dispose();
    lab.dispose();
  }, 180_000);
});

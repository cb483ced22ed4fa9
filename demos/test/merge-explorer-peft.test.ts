// adapters.html's merge explorer offers PEFT's add_weighted_adapter combination types under PEFT's
// names beside Weft's ΔW-space merges. Reference: PEFT's `cat` stacks the weighted factors, so its
// product is exactly Σ wᵢ ΔWᵢ — the same merged model as Weft's full-rank task arithmetic (equal
// per-task accuracy); every type merges and scores; a pruning type without density is explained.
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { PEFT_COMBINATION_TYPES, adapterNames } from '@weft/sharing';
import { AdaptersLab } from '../src/jobs/adapters-job.js';
import { MergeExplorer, mergeChoices } from '../src/jobs/merge-explorer-job.js';

describe("merge explorer: PEFT's combination types", () => {
  it('lists all 11 under their PEFT names; cat equals task arithmetic; each type scores every task; nothing is left behind', async () => {
    const peft = mergeChoices().filter((c) => c.family === 'peft');
    expect(peft.map((c) => c.name)).toEqual(PEFT_COMBINATION_TYPES.map((t) => `peft:${t}`));
    for (const c of peft) expect(c.paper).toContain(`combination_type="${c.name.slice(5)}"`);
    expect(mergeChoices().filter((c) => c.family === 'weft').map((c) => c.name)).toContain('ties-merging');

    const config = { dataset: 'moons', angle: 90, seed: 4, r: 4 }; // r 4 on the 64-wide layer: the svd types' rank is capped at the 2-wide layers'
    const lab = new AdaptersLab(config);
    const quiet = () => undefined;
    await lab.pretrain(40, quiet);
    const ex = new MergeExplorer(lab.base, config);
    for (let k = 0; k < 3; k++) await ex.trainTask(k, 30, quiet);
    const names = adapterNames(lab.base);
    const before = tf.memory().numTensors;
    const w = [1, 0.5, 0.8];
    const cat = await ex.merge('peft:cat', w);
    const withMerged = tf.memory().numTensors; // one merged adapter: A and B on each layer, whatever its rank
    const arithmetic = await ex.merge('task-arithmetic', w);
    for (let k = 0; k < 3; k++) expect(cat.perTask[k]).toBeCloseTo(arithmetic.perTask[k]!, 6);
    for (const c of peft) {
      const o = await ex.merge(c.name, w, c.options);
      expect(o.perTask).toHaveLength(3);
      for (const v of o.perTask) expect(v >= 0 && v <= 1, c.name).toBe(true);
      expect(tf.memory().numTensors, c.name).toBe(withMerged);
    }
    await expect(ex.merge('peft:ties', w)).rejects.toThrow('combinationType "ties" needs a density');
    expect(adapterNames(lab.base)).toEqual(names);
    expect(tf.memory().numTensors).toBe(before);
    ex.dispose();
    lab.dispose();
  }, 180_000);
});

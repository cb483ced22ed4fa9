// moe.html's lab experiments (jobs/moe-lab.ts) stop when aborted and leave no tensors behind: each
// is started, aborted at its first progress report, and must reject saying it stopped with
// tf.memory().numTensors back where it was (the views' Stop button, and every run's clean-up path).
// The full runs (their figures) are what the views show; the product-key memory's lookups are
// checked end to end in test/e2e/moe-page.test.ts.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { MOE_LAB } from '../src/jobs/moe-lab.js';

const ARGS: Record<keyof typeof MOE_LAB, unknown[]> = { mup: [], scaling: [], perft: [1], dna: ['copy', 1], pkm: [1], wemoe: [1], umoe: [1], sharedExperts: [1], hydra: [1], inference: [1] };

describe('moe.html lab experiments', () => {
  for (const name of Object.keys(MOE_LAB) as Array<keyof typeof MOE_LAB>) {
    it(`${name}: aborted at its first report, it rejects and leaves tensors flat`, async () => {
      const before = tf.memory().numTensors;
      const abort = new AbortController();
      let reports = 0;
      const run = (MOE_LAB[name] as (p: (v: unknown) => void, s: AbortSignal, ...a: unknown[]) => Promise<unknown>)(() => {
        reports++;
        abort.abort();
      }, abort.signal, ...ARGS[name]);
      await expect(run).rejects.toThrow(/stopped|aborted/);
      expect(reports).toBeGreaterThanOrEqual(1);
      expect(tf.memory().numTensors).toBe(before);
    }, 60_000);
  }
});

// sharing.html's expert-usage view without a page: the SharingJob of Megrez2 and MoEUT reports each
// MoE layer's expert loads on the probe (shares of the routed pairs, summing to 1 per layer; Megrez2:
// one row per layer, 8 experts; MoEUT: one row per σ-MoE layer object of the cycled group), after
// training steps, without leaking tensors; the other techniques report none.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { SharingJob } from '../src/jobs/sharing-job.js';
import { SHARING_SCHEMA, type SharingState } from '../src/pages/sharing-state.js';
import { parseUrlState } from '../src/url-state.js';

const state = (patch: Partial<SharingState>): SharingState => ({ ...parseUrlState(SHARING_SCHEMA, '').state, depth: 4, width: 8, steps: 4, ...patch });
const noop = async () => undefined;

describe('sharing.html expert usage (Megrez2, MoEUT)', () => {
  for (const [sharing, layers] of [['megrez2', 4], ['moeut', 2]] as const) {
    it(`${sharing}: ${layers} MoE layers × 8 experts, each layer's loads sum to 1; tensors stay flat`, async () => {
      const job = new SharingJob(state({ sharing }));
      await job.run({ fromStep: 0, steps: 2, signal: new AbortController().signal, onProgress: noop });
      await job.expertLoads();
      const before = tf.memory().numTensors;
      await job.run({ fromStep: 2, steps: 2, signal: new AbortController().signal, onProgress: noop });
      const d = (await job.expertLoads())!;
      expect(tf.memory().numTensors).toBe(before);
      expect(d.layers.length).toBe(layers);
      expect(new Set(d.layers).size).toBe(layers);
      expect(d.tokens).toBe(12 * 10);
      for (const row of d.loads) {
        expect(row.length).toBe(8);
        expect(row.every((v) => v >= 0 && v <= 1)).toBe(true);
        expect(row.reduce((a, v) => a + v, 0)).toBeCloseTo(1, 5);
      }
      job.dispose();
    });
  }

  it('a technique without experts reports none', async () => {
    const job = new SharingJob(state({ sharing: 'mobillama' }));
    expect(await job.expertLoads()).toBeNull();
    job.dispose();
  });
});

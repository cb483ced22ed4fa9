// sharing.html's per-token depth view without a page: the SharingJob of UT/ACT and of both
// Mixture-of-Recursions routings trains (aux losses included) and reports each probe token's depth.
// Expert-choice MoR's depths are known exactly from its capacities (round((Nr − r)/Nr · T) tokens
// kept at recursion r), so its rows are checked against that count; ACT's and token-choice's are
// integers in 1..Nr and the ledger counts the shared block once per mean depth. No tensor leaks.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { SharingJob } from '../src/jobs/sharing-job.js';
import { SHARING_SCHEMA, type SharingState } from '../src/pages/sharing-state.js';
import { parseUrlState } from '../src/url-state.js';

const state = (patch: Partial<SharingState>): SharingState => ({ ...parseUrlState(SHARING_SCHEMA, '').state, depth: 3, width: 8, steps: 6, ...patch });
const noop = async () => undefined;

describe('sharing.html per-token depth (ACT, MoR)', () => {
  it('MoR expert-choice: each sequence keeps round((Nr − r)/Nr · T) tokens at recursion r', async () => {
    const job = new SharingJob(state({ sharing: 'mor' }));
    const d = (await job.depths())!;
    // T = 10 (5 tokens, separator, 4 answer tokens), Nr = 3: 10, 7 and 3 tokens kept → depths 1 × 3, 2 × 4, 3 × 3 per row.
    expect([d.rows, d.cols, d.max, d.sep]).toEqual([12, 10, 3, 6]);
    for (let r = 0; r < d.rows; r++) {
      const row = d.depth.slice(r * d.cols, (r + 1) * d.cols);
      expect([1, 2, 3].map((k) => row.filter((v) => v === k).length)).toEqual([3, 4, 3]);
    }
    expect(d.tokens.slice(0, 10)).toEqual(Array.from(job.dataset.x.slice(0, 10)));
    // K/V entries per sequence: recursion-wise 10 + 7 + 3 (the tokens each recursion runs on),
    // shared 10 (the first recursion's), plain 3 × 10 — and each probe row holds exactly Σ depths.
    expect(d.kv).toEqual({ recursionWise: 20, shared: 10, plain: 30 });
    for (let r = 0; r < d.rows; r++) expect(d.depth.slice(r * d.cols, (r + 1) * d.cols).reduce((a, v) => a + v, 0)).toBe(d.kv!.recursionWise);
    job.dispose();
  });

  it('ACT and MoR token-choice: integer depths in 1..Nr after training; the ledger counts the block once per mean depth; tensors stay flat', async () => {
    for (const sharing of ['ut-act', 'mor-token-choice']) {
      const job = new SharingJob(state({ sharing }));
      const block = job.ledger().rows.filter((r) => r.path.startsWith('blocks.0.block.')).map((r) => r.size).reduce((a, b) => a + b, 0);
      await job.run({ fromStep: 0, steps: 3, signal: new AbortController().signal, onProgress: noop });
      const before = tf.memory().numTensors;
      await job.run({ fromStep: 3, steps: 3, signal: new AbortController().signal, onProgress: noop });
      const d = (await job.depths())!;
      expect(tf.memory().numTensors, sharing).toBe(before);
      expect(d.depth.every((v) => Number.isInteger(v) && v >= 1 && v <= 3), sharing).toBe(true);
      const mean = d.depth.reduce((a, v) => a + v, 0) / d.depth.length;
      const L = d.ledger;
      const effective = L.rows.filter((r) => r.path.startsWith('blocks.0.block.')).map((r) => r.size * r.uses).reduce((a, b) => a + b, 0);
      expect(effective / block, sharing).toBeCloseTo(mean, 6);
      // Token-choice caches T × mean depth; ACT has no MoR K/V.
      if (sharing === 'ut-act') expect(d.kv).toBeNull();
      else expect(d.kv!.recursionWise).toBeCloseTo(d.cols * mean, 6);
      job.dispose();
    }
  });
});

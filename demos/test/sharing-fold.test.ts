// sharing.html's FoldGPT view without a page: the SharingJob trains one parent (both curves are its)
// until the fold step, then scores its blocks by gates, folds the kept ones and prunes to the same
// block count; the report's stored parameters are the ledgers' and follow the ledger arithmetic
// (fold − pruning = one scale vector per kept layer; parent − pruning = the removed blocks), the
// fates follow the importance, and training after the cut keeps tensors flat.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { TransformerBlock, parameterLedger, type TrainProgress } from '@weft/core';
import { ScaledBlock } from '@weft/sharing';
import { SharingJob } from '../src/jobs/sharing-job.js';
import { SHARING_SCHEMA, type SharingState } from '../src/pages/sharing-state.js';
import { parseUrlState } from '../src/url-state.js';

const state = (patch: Partial<SharingState>): SharingState => ({ ...parseUrlState(SHARING_SCHEMA, '').state, depth: 6, width: 8, steps: 20, ...patch });
const seg = (fromStep: number, steps: number, seen: TrainProgress[] = []) => ({ fromStep, steps, signal: new AbortController().signal, onProgress: async (p: TrainProgress) => void seen.push(p) });

describe('sharing.html FoldGPT view', () => {
  it('folds at the first report from the fold step on; stored counts match the ledgers; tensors flat after', async () => {
    const job = new SharingJob(state({ sharing: 'foldgpt', unique: 2 }));
    expect(job.baseline).toBe(job.shared); // the parent, before the cut
    const seen: TrainProgress[] = [];
    await job.run(seg(0, 5, seen));
    expect(job.foldReport).toBeNull();
    expect(seen.at(-1)!.metrics.baseline_loss).toBeCloseTo(seen.at(-1)!.loss, 6); // one model, one curve
    const before = parameterLedger(job.shared).totals.stored;
    await job.run(seg(5, 7, seen)); // reports at 10 (the fold step, 20 / 2) and 12
    const r = job.foldReport!;
    expect(r.step).toBe(10);
    expect(r.importance).toHaveLength(6);
    expect(r.importance.every((v) => Number.isFinite(v) && v >= 0)).toBe(true);
    // 6 blocks: a third removed, 4 kept in 2 groups; pruning keeps the 2 most important.
    expect(r.folded.kept).toHaveLength(4);
    expect(r.folded.group).toEqual([0, 0, 1, 1]);
    const byImportance = r.importance.map((v, i) => [v, i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]).map(([, i]) => i);
    expect([...r.folded.kept].sort()).toEqual(byImportance.slice(0, 4).sort());
    expect([...r.pruned].sort()).toEqual(byImportance.slice(0, 2).sort());
    // The stored counts are the ledgers', and the ledger arithmetic holds.
    expect(r.stored.parent).toBe(before);
    expect(r.stored.folded).toBe(parameterLedger(job.shared).totals.stored);
    expect(r.stored.pruned).toBe(parameterLedger(job.baseline).totals.stored);
    expect(r.stored.folded - r.stored.pruned).toBe(4 * 8); // one channel scale per kept layer
    const blockStored = parameterLedger(new TransformerBlock({ dim: 8, numHeads: 4 })).totals.stored;
    expect(r.stored.parent - r.stored.pruned).toBe(4 * blockStored);
    expect(r.ledgers.shared.totals.stored).toBe(r.stored.folded);
    const blocks = (job.shared as unknown as { blocks: { items: unknown[] } }).blocks.items as ScaledBlock[];
    expect(blocks.map((b) => b.block).filter((b, i, a) => a.indexOf(b) === i)).toHaveLength(2);
    expect(r.probe.sequences).toBe(256);
    for (const v of [r.probe.parent, r.probe.folded, r.probe.pruned]) expect(v >= 0 && v <= 1).toBe(true);
    // After the cut: two models, two curves; tensors flat over further training.
    const before2 = tf.memory().numTensors;
    await job.run(seg(12, 5));
    expect(tf.memory().numTensors).toBe(before2);
    expect(job.foldReport).toBe(r); // folds once
    job.dispose();
  });

  it('disposing before the cut frees the parent once; other techniques have no fold', async () => {
    const job = new SharingJob(state({ sharing: 'foldgpt' }));
    await job.run(seg(0, 2));
    job.dispose();
    const other = new SharingJob(state({ sharing: 'mobillama' }));
    expect(other.foldReport).toBeNull();
    other.dispose();
  });
});

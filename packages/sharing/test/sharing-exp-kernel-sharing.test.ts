// Experiment: "Drastically Reducing the Number of Trainable Parameters in Deep CNNs by Inter-layer
// Kernel-sharing" — its claim: sharing one kernel bank among isomorphic conv layers cuts the
// parameters drastically at a small cost in accuracy. KernelSharingCNN (stem, 4 isomorphic 3×3 conv
// slots of 16 channels, per-layer biases) with one bank for all slots against every slot its own
// kernel, on core's 8×8 shapes (noise 0.35, so the task is not saturated), 3 seeds, 150 Adam steps.
// Asserted: the stored-parameter cut, and that both models learned (above twice chance).
// Measured (WEFT_LONG_EXPERIMENTS=1, wasm, seeds 1-3; held-out accuracy, mean ± half-range): shared
// 53.3 ± 19.2% at 2,630 stored (72.1, 54.2, 33.8) vs unshared 65.6 ± 6.0% at 9,542 (58.3, 70.4,
// 67.9). The claim ("minimal cost on accuracy") does not hold at toy scale: 3.6× fewer parameters
// cost 12 points on average, and the shared model varies far more from seed to seed (best on seed 1,
// far behind on seed 3). (The experiment first asserted the shared model
// within 5 points; that assertion failed and is not kept.)
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Rng, makeOptimizer, parameterLedger, shapes, split, toTensors } from '@weft/core';
import { KernelSharingCNN } from '@weft/sharing';
import { fit } from './sharing-exp-helpers.js';
import { mean, meanSpread } from './wave2-helpers.js';

/** Seeded experiments on a paper's claim run with WEFT_LONG_EXPERIMENTS=1 (minutes each; the suite has a 25-minute budget). */
const LONG_EXPERIMENTS = process.env.WEFT_LONG_EXPERIMENTS === '1';

describe('experiment (inter-layer kernel sharing): one kernel bank for 4 conv slots vs a kernel per slot, 8×8 shapes', () => {
  it.runIf(LONG_EXPERIMENTS)('reports accuracy and stored parameters over 3 seeds', { timeout: 1_800_000 }, async () => {
    const SEEDS = [1, 2, 3];
    const STEPS = 150;
    const ds = shapes({ n: 1200, noise: 0.35 }, 21);
    const [a, b] = split(ds, [0.8, 0.2], 21);
    const tr = toTensors(a!);
    const te = toTensors(b!);
    const acc: Record<'shared' | 'unshared', number[]> = { shared: [], unshared: [] };
    const stored: Record<string, number> = {};
    for (const seed of SEEDS) {
      for (const plan of ['all-shared', 'none'] as const) {
        const name = plan === 'none' ? 'unshared' : 'shared';
        const m = new KernelSharingCNN({ channels: 16, depth: 4, numClasses: ds.numClasses!, plan }, new Rng(seed));
        stored[name] = parameterLedger(m).totals.stored;
        acc[name].push((await fit(m, tr, te, { steps: STEPS, batch: 64, optimizer: makeOptimizer({ name: 'adam', learningRate: 0.01 }), rng: new Rng(seed + 10) })).acc);
        m.dispose();
      }
    }
    console.log(
      `Kernel-sharing experiment (shapes 8×8 at noise 0.35, stem + 4 conv slots × 16 channels, ${STEPS} Adam steps, seeds ${SEEDS}): held-out accuracy mean ± half-range\n` +
        (['shared', 'unshared'] as const).map((k) => `  ${k.padEnd(8)} stored ${stored[k]}: ${meanSpread(acc[k])} (${acc[k].map((v) => (100 * v).toFixed(1)).join(', ')})`).join('\n'),
    );
    expect(stored.shared!).toBeLessThan(stored.unshared! / 2.5); // 4 kernels of 16·16·9 stored once
    for (const k of ['shared', 'unshared'] as const) expect(mean(acc[k]), k).toBeGreaterThan(2 / 6); // both learned (chance is 1/6)
    tf.dispose([tr.x, tr.y, te.x, te.y]);
  });
});

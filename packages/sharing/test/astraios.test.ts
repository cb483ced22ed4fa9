// Astraios: Parameter-Efficient Instruction Tuning Code Large Language Models (arXiv:2401.00788):
// peftScalingStudy at toy scale. Always on: a tiny study runs with flat tensors, each method's
// trainable count equals its closed-form count (PEFT's shapes), τ-b matches hand-computed values,
// the checks on a hand-built table, config typos and aborts. The seeded experiment (3 seeds, the
// default config: copy → reverse, dims 16/32/48, depths 1/2/3) runs with WEFT_LONG_EXPERIMENTS=1.
//
// Figures (seeds 1, 2, 3; defaults: 150 tuning steps, Adam 3e-3 full / 1e-2 adapters; validation
// token accuracy mean ± half-range; the pretrained base scores 11.9 ± 0.3% on reverse):
//   size (dim/depth)  full (trainable)     lora r4            ia3                loha r4            residual b4
//   16/1              100.0 ± 0.0% (3792)  72.4 ± 27.3% (1152) 77.5 ± 10.1% (96)  80.6 ± 14.7% (2304) 11.9 ± 0.3% (256)
//   32/2              100.0 ± 0.0% (26432) 90.7 ± 14.0% (4608) 81.4 ± 13.1% (384) 95.4 ± 6.8% (9216)  13.1 ± 0.4% (1024)
//   48/3              100.0 ± 0.0% (86352) 58.9 ± 42.2% (10368) 66.8 ± 7.9% (864) 99.9 ± 0.1% (20736) 13.2 ± 0.4% (2304)
// Optimiser bytes measured = 8 bytes per trainable parameter + 8 (Adam's two float32 moments).
// (a) Full FT best at each size: holds, 9 of 9 (size, seed) — but only at its default rate 3e-3; at
//     1e-3 (the sensitivity test) it reaches 46.1 ± 14.9% / 99.0 ± 1.5% / 99.1 ± 0.9% and is best in
//     2 of 9: the claim hinges on the full-FT learning rate at toy scale.
// (b) Best accuracy gain per trainable parameter: IA3 in 9 of 9 — the paper's "LoRA offers the most
//     favourable trade-off" does not hold here (LoRA is beaten per parameter by IA3 and in accuracy by
//     LoHa, and is the least stable across seeds). The residual (o, fc2 output) adapter does not
//     learn reverse at all: it cannot change which positions attention reads.
// (c) Kendall τ-b(validation loss, accuracy) over the 15 runs: −0.869 ± 0.044 — holds (loss is a
//     reliable indicator of accuracy), though here both are measured on the same validation split.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { TinyTransformer, Rng, parameterLedger } from '@weft/core';
import { PEFT_SCALING_DEFAULTS, PEFT_SCALING_TABLE, astraiosChecks, kendallTauB, peftScalingStudy, type PeftStudyRun } from '../src/index.js';
import { meanSpread, mean } from './wave2-helpers.js';

const LONG_EXPERIMENTS = process.env.WEFT_LONG_EXPERIMENTS === '1';

const TINY = {
  sizes: [{ dim: 8, depth: 1, numHeads: 2 }, { dim: 8, depth: 2, numHeads: 2 }, { dim: 12, depth: 1, numHeads: 2 }],
  length: 3, vocabSize: 4, examples: 40, pretrainSteps: 2, tuneSteps: 2, batchSize: 8,
};

/** Closed-form trainable count per block of width d (MLP hidden 4d), from the default methods' shapes. */
function expectedTrainable(method: string, d: number, depth: number, stored: number): number {
  const perBlock: Record<string, number> = {
    lora: 4 * 4 * (d + d) + 4 * (d + 4 * d) * 2, // r = 4: q, k, v, o (d→d) and fc1 (d→4d), fc2 (4d→d): r·(in + out) each
    loha: 2 * (4 * 4 * (d + d) + 4 * (d + 4 * d) * 2), // two rank-4 factor pairs per layer
    ia3: d + d + 4 * d, // k and v outputs, fc2's input (feed-forward)
    residual: 2 * (2 * d * 4), // o and fc2: down [d, 4] + up [4, d]
  };
  return method === 'full' ? stored : perBlock[method]! * depth;
}

describe('peftScalingStudy (Astraios)', () => {
  it('a tiny study runs with flat tensors; every trainable count equals the closed form and the ledger', async () => {
    const before = tf.memory().numTensors;
    const seen: PeftStudyRun[] = [];
    const r = await peftScalingStudy(TINY, { onRun: (run) => seen.push(run) });
    expect(tf.memory().numTensors).toBe(before);
    expect(r.runs).toHaveLength(3 * PEFT_SCALING_DEFAULTS.methods.length);
    expect(seen).toEqual(r.runs);
    for (const run of r.runs) {
      const size = TINY.sizes[run.size]!;
      const m = new TinyTransformer({ vocabSize: 5, maxLen: 6, ...size }, new Rng(1));
      expect(run.baseParameters).toBe(parameterLedger(m).totals.stored);
      m.dispose();
      expect(run.trainable, `${run.method} at size ${run.size}`).toBe(expectedTrainable(run.method, size.dim, size.depth, run.baseParameters));
      expect(Number.isFinite(run.validationLoss) && run.accuracy >= 0 && run.accuracy <= 1).toBe(true);
      // Adam keeps two moments per trainable parameter (float32): at least 8 bytes each.
      expect(run.optimizerBytes).toBeGreaterThanOrEqual(8 * run.trainable);
    }
    expect(r.fullBestPerSize).toHaveLength(3);
    expect(r.gainPerParameter.perSize).toHaveLength(3);
    expect(r.lossAccuracyTau).toBeGreaterThanOrEqual(-1);
    expect(r.lossAccuracyTau).toBeLessThanOrEqual(1);
  }, 120_000);

  it("the committed table (adapters.html's view) is the default study: its sizes, methods, seeds and closed-form trainable counts", () => {
    const t = PEFT_SCALING_TABLE;
    expect(t.sizes).toEqual(PEFT_SCALING_DEFAULTS.sizes);
    expect(t.methods).toEqual(PEFT_SCALING_DEFAULTS.methods.map((m) => m.name));
    expect(t.seeds.map((s) => s.seed)).toEqual([1, 2, 3]);
    for (const { seed, runs } of t.seeds) {
      expect(runs, `seed ${seed}`).toHaveLength(t.sizes.length * t.methods.length);
      for (const run of runs) {
        const size = t.sizes[run.size]!;
        expect(run.trainable, `${run.method} at size ${run.size}`).toBe(expectedTrainable(run.method, size.dim, size.depth, run.baseParameters));
        expect(run.accuracy >= 0 && run.accuracy <= 1 && Number.isFinite(run.validationLoss)).toBe(true);
      }
    }
  });

  it('kendallTauB matches hand-computed values (exact to 1e-12), ties included', () => {
    expect(kendallTauB([1, 2, 3, 4], [1, 3, 2, 4])).toBeCloseTo(4 / 6, 12); // 5 concordant, 1 discordant
    expect(kendallTauB([1, 1, 2, 3], [1, 2, 2, 3])).toBeCloseTo(0.8, 12); // 4 concordant, one tie in each: 4 / √(5·5) (scipy: 0.8)
    expect(kendallTauB([1, 2, 3], [3, 2, 1])).toBe(-1);
    expect(() => kendallTauB([1, 2], [1])).toThrow(/a has 2 values, b has 1/);
  });

  it('astraiosChecks on a hand-built table', () => {
    const row = (size: number, method: string, trainable: number, accuracy: number, validationLoss: number): PeftStudyRun =>
      ({ size, method, trainable, accuracy, validationLoss, baseAccuracy: 0.2, baseParameters: 1000, optimizerBytes: 0 });
    const runs = [
      row(0, 'full', 1000, 0.9, 0.3), row(0, 'lora', 100, 0.8, 0.5), row(0, 'ia3', 10, 0.25, 1.5), // gains/param: lora 0.006, ia3 0.005
      row(1, 'full', 2000, 0.7, 0.6), row(1, 'lora', 200, 0.75, 0.55), row(1, 'ia3', 20, 0.4, 1.2), // ia3 0.01 > lora 0.00275
      row(2, 'full', 3000, 0.95, 0.2), row(2, 'lora', 300, 0.9, 0.25), row(2, 'ia3', 30, 0.3, 1.4), // lora 0.00233 < ia3 0.00333
    ];
    const methods = [{ name: 'full', adapter: null }, { name: 'lora', adapter: { method: 'lora', targets: ['q'] } }, { name: 'ia3', adapter: { method: 'ia3', targets: ['k'] } }];
    const c = astraiosChecks(runs, 3, methods);
    expect(c.fullBestPerSize).toEqual([true, false, true]);
    expect(c.gainPerParameter).toEqual({ perSize: ['lora', 'ia3', 'ia3'], best: 'ia3' });
    expect(c.lossAccuracyTau).toBeCloseTo(kendallTauB(runs.map((r) => r.validationLoss), runs.map((r) => r.accuracy)), 12);
    expect(c.lossAccuracyTau).toBeLessThan(-0.8);
  });

  it('refuses config typos and bad values with the nearest name; an aborted signal rejects', async () => {
    await expect(peftScalingStudy({ tuneStep: 3 } as never)).rejects.toThrow(/did you mean 'tuneSteps'/);
    await expect(peftScalingStudy({ sizes: [{ dim: 8, depht: 1, numHeads: 2 }] } as never)).rejects.toThrow(/sizes\[0\].*did you mean 'depth'/);
    await expect(peftScalingStudy({ sizes: [{ dim: 10, depth: 1, numHeads: 4 }] })).rejects.toThrow(/numHeads=4 must divide sizes\[0\]\.dim=10/);
    await expect(peftScalingStudy({ tuneTask: 'shuffle' as never })).rejects.toThrow(/tuneTask/);
    await expect(peftScalingStudy({ methods: [{ name: 'a', adapter: null }, { name: 'a', adapter: null }] })).rejects.toThrow(/methods\[1\]\.name="a".*unique/);
    await expect(peftScalingStudy({}, { onrun: () => {} } as never)).rejects.toThrow(/did you mean 'onRun'/);
    const before = tf.memory().numTensors;
    await expect(peftScalingStudy(TINY, { signal: AbortSignal.abort(new Error('stop')) })).rejects.toThrow('stop');
    expect(tf.memory().numTensors).toBe(before);
    // Aborted after the first run: the next run's training stops and the study rejects, freeing everything.
    const ctl = new AbortController();
    const done: string[] = [];
    await expect(peftScalingStudy(TINY, { signal: ctl.signal, onRun: (r) => { done.push(r.method); ctl.abort(new Error('halt')); } })).rejects.toThrow('halt');
    expect(done).toEqual(['full']);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('experiment (Astraios): full fine-tuning vs LoRA, IA3, LoHa and a residual adapter at 3 sizes, copy → reverse', () => {
  it.runIf(LONG_EXPERIMENTS)('reports the table and the three checks over 3 seeds', { timeout: 3_600_000 }, async () => {
    const SEEDS = [1, 2, 3];
    const results = [];
    for (const seed of SEEDS) {
      const r = await peftScalingStudy({ seed });
      console.log(`Astraios seed ${seed}: fullBest ${r.fullBestPerSize} gain/param ${r.gainPerParameter.perSize} τ ${r.lossAccuracyTau.toFixed(3)}`);
      results.push(r);
    }
    const methods = PEFT_SCALING_DEFAULTS.methods.map((m) => m.name);
    const lines: string[] = [];
    for (let s = 0; s < PEFT_SCALING_DEFAULTS.sizes.length; s++) {
      for (const m of methods) {
        const rows = results.map((r) => r.runs.find((x) => x.size === s && x.method === m)!);
        lines.push(`  size ${s} ${m.padEnd(8)} trainable ${String(rows[0]!.trainable).padStart(6)} acc ${meanSpread(rows.map((x) => x.accuracy))} val loss ${meanSpread(rows.map((x) => x.validationLoss), false, 3)} (base acc ${meanSpread(rows.map((x) => x.baseAccuracy))}) optimizer ${rows[0]!.optimizerBytes} B`);
      }
    }
    const taus = results.map((r) => r.lossAccuracyTau);
    console.log(
      `Astraios experiment (defaults, seeds ${SEEDS}):\n${lines.join('\n')}\n` +
        `  (a) full FT best per size: ${results.map((r) => r.fullBestPerSize.join('/')).join('; ')}\n` +
        `  (b) best gain per trainable parameter per size: ${results.map((r) => r.gainPerParameter.perSize.join('/')).join('; ')}\n` +
        `  (c) Kendall τ-b(val loss, accuracy): ${meanSpread(taus, false, 3)} (mean ${mean(taus).toFixed(3)})`,
    );
    for (const r of results) expect(r.runs).toHaveLength(PEFT_SCALING_DEFAULTS.sizes.length * methods.length);
  });

  it.runIf(LONG_EXPERIMENTS)('sensitivity: full fine-tuning at 1e-3 instead of the default 3e-3, same seeds', { timeout: 3_600_000 }, async () => {
    const SEEDS = [1, 2, 3];
    const methods = [PEFT_SCALING_DEFAULTS.methods[0]!, PEFT_SCALING_DEFAULTS.methods[3]!]; // full and loha (the strongest adapter above)
    const results = [];
    for (const seed of SEEDS) results.push(await peftScalingStudy({ seed, methods, fullLearningRate: 1e-3 }));
    const lines = [0, 1, 2].flatMap((s) => methods.map((m) => `  size ${s} ${m.name.padEnd(5)} acc ${meanSpread(results.map((r) => r.runs.find((x) => x.size === s && x.method === m.name)!.accuracy))}`));
    console.log(`Astraios sensitivity (full FT lr 1e-3, seeds ${SEEDS}):\n${lines.join('\n')}\n  full FT best per size: ${results.map((r) => r.fullBestPerSize.join('/')).join('; ')}`);
    for (const r of results) expect(r.runs).toHaveLength(6);
  });
});

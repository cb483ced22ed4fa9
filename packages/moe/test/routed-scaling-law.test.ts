// Unified Scaling Laws for Routed LMs: Ê equals the paper's saturating transform written out by hand
// (Ê(1) = E_start, Ê → E_max, one value computed on paper); the least-squares fit recovers the
// coefficients of synthetic losses generated from a known law (1e-6), with E_max given and chosen on
// its grid. The toy sweep (last test; routedScalingSweep defaults: order-2 Markov language over 24
// tokens, TrigramMoELM of width 8/16/32 (N = 632/2008/7064 dense parameters) with E = 1 (dense MLP),
// 2, 4, 8 top-1 Switch experts, 250 Adam steps, seeds 0–1; wasm) measured test cross-entropy (mean of 2 seeds):
//   d=8:  2.860 2.816 2.740 2.689   d=16: 2.523 2.428 2.314 2.198   d=32: 2.244 2.137 2.117 2.101
// Loss falls with E at every N and with N at every E (the paper's two axes). Fitted law (E_start 1,
// E_max picked on the grid): a = −0.106, b = −0.068, c = +0.0007, d = 1.738, E_max = 8 (the grid's
// edge: the gains from E flatten within the sweep), rms 0.023 in log L. The paper finds c > 0
// (routing helps less as N grows); here c is ≈ 0 — the sign agrees, the size does not say more at this scale.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { fitRoutedScalingLaw, routedScalingLoss, routedScalingSweep, saturatedExperts, type ScalingPoint } from '../src/index.js';

describe('saturatedExperts', () => {
  it('is the paper\'s 1/Ê = 1/(E − 1 + (1/E_start − 1/E_max)⁻¹) + 1/E_max', () => {
    // E_start 2, E_max 10, E 5: (1/2 − 1/10)⁻¹ = 2.5; 1/Ê = 1/6.5 + 0.1 → Ê = 6.5/1.65.
    expect(Math.abs(saturatedExperts(5, 2, 10) - 6.5 / 1.65)).toBeLessThan(1e-12);
    expect(Math.abs(saturatedExperts(1, 1.8, 300) - 1.8)).toBeLessThan(1e-12);
    expect(Math.abs(saturatedExperts(1e12, 1.8, 300) - 300)).toBeLessThan(1e-6);
    expect(saturatedExperts(8)).toBe(8); // E_start 1, no saturation: Ê = E
    expect(() => saturatedExperts(0.5)).toThrow(/e=0.5/);
    expect(() => saturatedExperts(4, 2, 2)).toThrow(/eMax=2 must be a number > eStart=2/);
  });
});

describe('fitRoutedScalingLaw', () => {
  const truth = { a: -0.082, b: -0.108, c: 0.009, d: 1.104 }; // arbitrary, small like fitted exponents
  const synth = (eStart: number, eMax: number): ScalingPoint[] =>
    [1e3, 1e4, 1e5, 1e6, 1e7].flatMap((n) =>
      [1, 2, 4, 8, 16, 64, 256].map((e) => {
        const ln = Math.log(n);
        const le = Math.log(saturatedExperts(e, eStart, eMax));
        return { n, e, loss: Math.exp(truth.a * ln + truth.b * le + truth.c * ln * le + truth.d) };
      }),
    );

  it('recovers the coefficients of losses generated from a known law (1e-6), E_max given or found on its grid', () => {
    for (const fit of [fitRoutedScalingLaw(synth(1.8, 300), { eStart: 1.8, eMax: 300 }), fitRoutedScalingLaw(synth(1, 64))]) {
      for (const k of ['a', 'b', 'c', 'd'] as const) expect(Math.abs(fit[k] - truth[k]), k).toBeLessThan(1e-6);
      expect(fit.rms).toBeLessThan(1e-9);
    }
    expect(fitRoutedScalingLaw(synth(1, 64)).eMax).toBe(64);
    const f = fitRoutedScalingLaw(synth(1, 64), { eMax: 64 });
    expect(Math.abs(routedScalingLoss(f, 1e5, 16) / synth(1, 64).find((p) => p.n === 1e5 && p.e === 16)!.loss - 1)).toBeLessThan(1e-9);
  });

  it('refuses too few points, a law the points cannot determine, bad values and typos', () => {
    const p = synth(1, Infinity);
    expect(() => fitRoutedScalingLaw(p.slice(0, 3))).toThrow(/at least 4/);
    expect(() => fitRoutedScalingLaw(p.filter((q) => q.e === 1), { eMax: Infinity })).toThrow(/do not determine the law/);
    expect(() => fitRoutedScalingLaw([...p.slice(0, 4), { n: 1, e: 2, loss: -1 }])).toThrow(/points\[4\]\.loss=-1/);
    expect(() => fitRoutedScalingLaw(p, { eMx: 4 } as never)).toThrow(/unknown option 'eMx'; did you mean 'eMax'/);
  });
});

describe('routedScalingSweep hooks', () => {
  it('reports every run (the per-seed losses of the result, in order) and stops when aborted, tensors flat', async () => {
    const tiny = { widths: [4, 8], experts: [1, 2], seeds: [0, 1], tokens: 256, steps: 2, batchSize: 16 };
    const before = tf.memory().numTensors;
    const runs: Array<{ width: number; e: number; seed: number; loss: number; done: number; total: number }> = [];
    const r = await routedScalingSweep(tiny, { onRun: (x) => void runs.push(x) });
    expect(runs.map((x) => `${x.seed}/${x.width}/${x.e}/${x.done}/${x.total}`)).toEqual(['0/4/1/1/8', '0/4/2/2/8', '0/8/1/3/8', '0/8/2/4/8', '1/4/1/5/8', '1/4/2/6/8', '1/8/1/7/8', '1/8/2/8/8']);
    for (const p of r.points) expect(runs.filter((x) => x.width === p.width && x.e === p.e).map((x) => x.loss)).toEqual(p.perSeed);
    const abort = new AbortController();
    let seen = 0;
    await expect(routedScalingSweep(tiny, { signal: abort.signal, onRun: () => void (++seen === 3 && abort.abort()) })).rejects.toThrow('routedScalingSweep: aborted after 3 of 8 runs');
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('routedScalingSweep (the paper\'s claim: loss falls with N and with E, and the law fits both axes)', () => {
  // A seeded experiment on the paper's claim: runs with WEFT_LONG_EXPERIMENTS=1 (npm test's 25-minute budget).
  it.runIf(process.env.WEFT_LONG_EXPERIMENTS === '1')('trains widths 8/16/32 × E 1/2/4/8 over 2 seeds and fits the law', async () => {
    const before = tf.memory().numTensors;
    const r = await routedScalingSweep();
    expect(tf.memory().numTensors).toBe(before);
    console.log(r.points.map((p) => `d=${p.width} N=${p.n} E=${p.e}: ${p.loss.toFixed(4)} (seeds ${p.perSeed.map((v) => v.toFixed(4)).join(', ')})`).join('\n'));
    console.log(`fit: a=${r.fit.a.toFixed(4)} b=${r.fit.b.toFixed(4)} c=${r.fit.c.toFixed(4)} d=${r.fit.d.toFixed(4)} E_max=${r.fit.eMax} rms=${r.fit.rms.toFixed(4)}`);
    expect(r.points).toHaveLength(12);
    expect(r.points.every((p) => p.perSeed.length === 2 && Number.isFinite(p.loss))).toBe(true);
    // The claim's two axes: at fixed N, more experts lower the loss; at fixed E, a larger N does.
    const at = (w: number, e: number) => r.points.find((p) => p.width === w && p.e === e)!.loss;
    for (const w of [8, 16, 32]) for (const [e1, e2] of [[1, 2], [2, 4], [4, 8]]) expect(at(w, e2), `d=${w} E ${e1}→${e2}`).toBeLessThan(at(w, e1));
    for (const e of [1, 2, 4, 8]) for (const [w1, w2] of [[8, 16], [16, 32]]) expect(at(w2, e), `E=${e} d ${w1}→${w2}`).toBeLessThan(at(w1, e));
    expect(r.fit.a).toBeLessThan(0);
    expect(r.fit.b).toBeLessThan(0);
  });
});

// Designing Network Design Spaces (RegNet), arXiv 2003.13678. Reference: the quantized linear rule
// against three published RegNetX models (their stated d, w0, wa, wm, g give the per-stage widths
// and depths published with them), RegNetX-200MF worked by hand below; the AnyNet's parameter
// formula against its ledger; the EDF and KS statistic against hand counts. Experiment (long): n
// models sampled from each toy space in the same parameter window, trained with one recipe, error
// EDFs compared over seeds 0–2 (the paper: RegNet's EDF is better than AnyNet's). Measured (n = 12,
// 100 steps): mean error RegNet 0.048 ± 0.017 vs AnyNet 0.141 ± 0.020, F(10 %) 0.86 ± 0.13 vs
// 0.31 ± 0.10, KS 0.75 ± 0.08, RegNet's EDF above in 3/3 seeds — the claim holds at toy scale. A
// caveat of the toy: AnyNet always has 3 stages (down to 1×1), while a RegNet draw may stop at 1–2
// stages and keep 4×4 or 2×2 maps, which 8×8 shapes reward.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ForwardContext, Rng, parameterLedger } from '@weft/core';
import {
  AnyNet, anynetParamCount, benchmarkData, compareEdfs, compatibleWidth, designKey, designSpaceErrors, edfAt, errorEdf, rankingBenchmark, regnetStages,
  roundHalfEven, sampleDesigns, trainDesign, fitRegNet, regnetFitError,
} from '../src/index.js';
import { LONG_EXPERIMENTS } from './long-experiments.js';

const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
const sd = (a: number[]) => Math.sqrt(a.reduce((s, v) => s + (v - mean(a)) ** 2, 0) / Math.max(1, a.length - 1));
const pm = (a: number[], d = 3) => `${mean(a).toFixed(d)} ± ${sd(a).toFixed(d)}`;

describe('RegNet: the quantized linear width rule', () => {
  it('RegNetX-200MF (d 13, w0 24, wa 36.44, wm 2.49, g 8): widths 24, 56, 152, 368, depths 1, 1, 4, 7 — worked by hand', () => {
    // u_j = 24 + 36.44 j; s_j = round(ln(u_j/24)/ln 2.49), ln 2.49 = 0.91228:
    //   j=0: 0 → 0; j=1: ln 2.5183/0.91228 = 1.012 → 1; j=2: ln 4.0367/.. = 1.530 → 2; j=5: ln 8.5917/.. = 2.357 → 2;
    //   j=6: ln 10.110/.. = 2.536 → 3; j=12: ln 19.22/.. = 3.240 → 3.
    // w = 24·2.49^s: 24, 59.76, 148.80, 370.52 → /8 rounded: 3, 7 (7.47), 19 (18.60), 46 (46.31) → 24, 56, 152, 368.
    const r = regnetStages({ depth: 13, w0: 24, wa: 36.44, wm: 2.49, bottleneck: 1, groupWidth: 8 });
    expect(r.exponents).toEqual([0, 1, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3]);
    expect(r.continuous[1]).toBeCloseTo(60.44, 12);
    expect(r.stages.map((s) => s.width)).toEqual([24, 56, 152, 368]);
    expect(r.stages.map((s) => s.depth)).toEqual([1, 1, 4, 7]);
    expect(r.stages.every((s) => s.groupWidth === 8)).toBe(true);
  });

  it('RegNetX-400MF (d 22, w0 24, wa 24.48, wm 2.54, g 16): 32, 64, 160, 384 × 1, 2, 7, 12; RegNetX-600MF (d 16, w0 48, wa 36.97, wm 2.24, g 24): 48, 96, 240, 528 × 1, 3, 5, 7', () => {
    // 400MF's group adjustment: 24/16 = 1.5 → 2 → 32; 152/16 = 9.5 → 10 → 160; 392/16 = 24.5 → 24 (half to even) → 384.
    const x4 = regnetStages({ depth: 22, w0: 24, wa: 24.48, wm: 2.54, bottleneck: 1, groupWidth: 16 });
    expect(x4.quantized.filter((w, i, a) => a.indexOf(w) === i)).toEqual([24, 64, 152, 392]);
    expect(x4.stages.map((s) => s.width)).toEqual([32, 64, 160, 384]);
    expect(x4.stages.map((s) => s.depth)).toEqual([1, 2, 7, 12]);
    const x6 = regnetStages({ depth: 16, w0: 48, wa: 36.97, wm: 2.24, bottleneck: 1, groupWidth: 24 });
    expect(x6.stages.map((s) => s.width)).toEqual([48, 96, 240, 528]);
    expect(x6.stages.map((s) => s.depth)).toEqual([1, 3, 5, 7]);
  });

  it('group compatibility: the inner width w/b becomes a multiple of g ≤ w/b; round half to even', () => {
    expect([0.5, 1.5, 2.5, 24.5, 2.4, 2.6, 3].map(roundHalfEven)).toEqual([0, 2, 2, 24, 2, 3, 3]);
    expect(compatibleWidth(48, 4, 8)).toEqual({ width: 64, groupWidth: 8 }); // inner 12, 12/8 = 1.5 → 2 groups → inner 16 → width 64
    expect(compatibleWidth(8, 4, 8)).toEqual({ width: 8, groupWidth: 2 }); // inner 2 < g: g becomes 2
    expect(compatibleWidth(40, 1, 16)).toEqual({ width: 32, groupWidth: 16 }); // 40/16 = 2.5 → 2 (half to even) → 32
  });

  it('refuses bad parameters by name', () => {
    const ok = { depth: 4, w0: 8, wa: 8, wm: 2, bottleneck: 1, groupWidth: 4 };
    expect(() => regnetStages({ ...ok, wm: 1 })).toThrow(/wm=1 must be > 1/);
    expect(() => regnetStages({ ...ok, w0: 12 })).toThrow(/w0=12 must be a multiple of quantum=8/);
    expect(() => regnetStages({ ...ok, depth: 0 })).toThrow(/depth=0/);
    expect(() => regnetStages({ ...ok, wА: 1 } as never)).toThrow(/unknown option/);
  });
});

describe('RegNet: fitting the rule to a network (e_fit)', () => {
  it('the published parameters fit their own per-block widths exactly; the grid fit comes close; an alternating network fits badly', () => {
    const x200 = { depth: 13, w0: 24, wa: 36.44, wm: 2.49, bottleneck: 1, groupWidth: 8 };
    const blocks = regnetStages(x200).quantized; // 24, 56, 152 ×4, 368 ×7
    expect(regnetFitError({ w0: 24, wa: 36.44, wm: 2.49 }, blocks)).toBe(0);
    // By hand: the rule's widths 24, 56, 152… against observed 24, 64, 152… miss by |log(56/64)| on one of 3 blocks.
    expect(regnetFitError({ w0: 24, wa: 36.44, wm: 2.49 }, [24, 64, 152])).toBeCloseTo(Math.abs(Math.log(56 / 64)) / 3, 12);
    const f = fitRegNet(blocks);
    expect(f.efit).toBeLessThan(0.05);
    expect(fitRegNet([48, 8, 48, 8]).efit).toBeGreaterThan(0.5);
    expect(() => fitRegNet([16, 0])).toThrow(/blockWidths=\[16,0\] must be a non-empty array of positive integers/);
  });
});

describe('AnyNet for 8×8 images', () => {
  it('the parameter formula equals the ledger, and the output has shape (B, classes)', () => {
    const rng = new Rng(5);
    for (const space of ['anynet', 'regnet'] as const) {
      for (const s of sampleDesigns(space, 4, rng)) {
        const net = new AnyNet(s.config, new Rng(0));
        expect(parameterLedger(net).totals.stored).toBe(anynetParamCount(s.config));
        expect(s.params).toBe(anynetParamCount(s.config));
        const y = tf.tidy(() => net.forward(tf.zeros([2, 8, 8, 1]), new ForwardContext({ training: false })));
        expect(y.shape).toEqual([2, 6]);
        y.dispose();
        net.dispose();
      }
    }
  });

  it('the group convolution (one conv, block-diagonal kernel) equals one convolution per group (within 1e-5)', () => {
    const net = new AnyNet({ stages: [{ depth: 1, width: 8, bottleneck: 1, groupWidth: 4 }] }, new Rng(1));
    const gc = net.blocks.items[0]!.b;
    const x = tf.randomNormal([2, 4, 4, 8], 0, 1, 'float32', 3);
    // Reference: each group of 4 channels convolved on its own with its [3, 3, 4, 4] kernel, then concatenated.
    const dense = tf.tidy(() => {
      const parts = tf.split(x, 2, 3);
      const ws = tf.unstack(gc.weight); // 2 × [3, 3, 4, 4]
      return tf.concat(parts.map((p, i) => tf.conv2d(p as tf.Tensor4D, ws[i] as tf.Tensor4D, 2, 'same')), 3);
    });
    const got = gc.forward(x);
    expect(got.shape).toEqual([2, 2, 2, 8]);
    const d = tf.max(tf.abs(tf.sub(got, dense))).dataSync()[0]!;
    expect(d).toBeLessThan(1e-5);
    tf.dispose([x, dense, got]);
    net.dispose();
  });

  it('samples lie in the parameter window and keep ≤ 3 stages; RegNet samples share b and g', () => {
    const rng = new Rng(2);
    const reg = sampleDesigns('regnet', 30, rng);
    const any = sampleDesigns('anynet', 30, rng);
    for (const s of [...reg, ...any]) {
      expect(s.params).toBeGreaterThanOrEqual(1000);
      expect(s.params).toBeLessThanOrEqual(8000);
      expect(s.config.stages.length).toBeLessThanOrEqual(3);
    }
    for (const s of reg) {
      expect(new Set(s.config.stages.map((x) => x.bottleneck)).size).toBe(1);
      // g is shared, capped at each stage's inner width w/b (the compatibility rule).
      expect(s.config.stages.every((x) => x.groupWidth === Math.min(s.regnet!.groupWidth, x.width / x.bottleneck))).toBe(true);
      // Widths never fall from stage to stage (the rule is monotone).
      expect(s.config.stages.every((x, i, a) => i === 0 || x.width >= a[i - 1]!.width)).toBe(true);
    }
    expect(designKey(reg[0]!.config)).toMatch(/^d[\d,]+ w[\d,]+ b\d+ g\d+$/);
    expect(() => sampleDesigns('regnet', 2, rng, { maxParams: 10 })).toThrow(/fall in params \[1000, 10\]|maxParams=10/);
  });
});

describe('error EDFs', () => {
  it('F(e) = share with error < e; steps; KS statistic by hand', () => {
    const a = [0.1, 0.2, 0.2, 0.4];
    expect(edfAt(a, 0.2)).toBe(0.25);
    expect(edfAt(a, 0.21)).toBe(0.75);
    expect(edfAt(a, 1)).toBe(1);
    expect(errorEdf(a)).toEqual([{ error: 0.1, share: 0.25 }, { error: 0.2, share: 0.75 }, { error: 0.4, share: 1 }]);
    // b = [0.3, 0.5]: at e = 0.2, F_a = 0.75 and F_b = 0 → D = 0.75, a better.
    const c = compareEdfs(a, [0.3, 0.5]);
    expect(c.ks).toBeCloseTo(0.75, 12);
    expect(c.aBetter).toBe(true);
    expect(compareEdfs([0.3, 0.5], a).aBetter).toBe(false);
    expect(() => edfAt([], 0.1)).toThrow(/errors=\[\] must be a non-empty array/);
    expect(() => compareEdfs([NaN], a)).toThrow(/a\[0\]=NaN/);
  });

  it('training one sampled model leaks no tensors and gives an error in [0, 1]', async () => {
    const data = benchmarkData(rankingBenchmark('conv8'));
    const before = tf.memory().numTensors;
    const s = sampleDesigns('regnet', 1, new Rng(0))[0]!;
    const e = await trainDesign(s.config, data, 0, { steps: 3 });
    expect(e).toBeGreaterThanOrEqual(0);
    expect(e).toBeLessThanOrEqual(1);
    expect(tf.memory().numTensors).toBe(before);
    await expect(trainDesign(s.config, data, 0, { step: 3 } as never)).rejects.toThrow(/unknown option 'step'; did you mean 'steps'/);
    tf.dispose([data.train.x, data.train.y, data.val.x, data.val.y]);
  });

  it.runIf(LONG_EXPERIMENTS)('experiment: RegNet vs AnyNet error EDFs, n = 12 models each in the same parameter window, seeds 0–2', async () => {
    const data = benchmarkData(rankingBenchmark('conv8'));
    const before = tf.memory().numTensors;
    const n = 12;
    const rows: Record<string, number[]> = { regMean: [], anyMean: [], regMin: [], anyMin: [], ks: [], regBelow: [], anyBelow: [] };
    let better = 0;
    for (const seed of [0, 1, 2]) {
      const t0 = performance.now();
      const reg = (await designSpaceErrors('regnet', n, data, seed)).map((r) => r.error);
      const any = (await designSpaceErrors('anynet', n, data, seed)).map((r) => r.error);
      const c = compareEdfs(reg, any);
      if (c.aBetter) better++;
      rows.regMean!.push(c.meanA);
      rows.anyMean!.push(c.meanB);
      rows.regMin!.push(Math.min(...reg));
      rows.anyMin!.push(Math.min(...any));
      rows.ks!.push(c.ks);
      rows.regBelow!.push(edfAt(reg, 0.1));
      rows.anyBelow!.push(edfAt(any, 0.1));
      console.log(`[regnet edf seed ${seed}] mean error RegNet ${c.meanA.toFixed(3)} vs AnyNet ${c.meanB.toFixed(3)}; KS ${c.ks.toFixed(3)} (${c.aBetter ? 'RegNet' : 'AnyNet'} above); F(10%) ${edfAt(reg, 0.1).toFixed(2)} vs ${edfAt(any, 0.1).toFixed(2)}; ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    }
    console.log(`[regnet edf] over seeds 0–2: mean error RegNet ${pm(rows.regMean!)} vs AnyNet ${pm(rows.anyMean!)}; best ${pm(rows.regMin!)} vs ${pm(rows.anyMin!)}; F(10%) ${pm(rows.regBelow!, 2)} vs ${pm(rows.anyBelow!, 2)}; KS ${pm(rows.ks!)}; RegNet's EDF above in ${better}/3 seeds`);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([data.train.x, data.train.y, data.val.x, data.val.y]);
  }, 3_600_000);
});

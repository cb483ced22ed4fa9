// μP for MoE: the rule's init stds and learning-rate multipliers equal the μP formulas written out by
// hand at widths 16–128 (base 16; 1e-12); muParametrise gives each Regressor weight its role and an
// empirical std within 10% of the rule; two MuPAdam steps on a tiny two-layer model equal Adam written
// out in plain JS with the per-parameter rates and hand-derived gradients (1e-5); tensors stay flat.
// The claim's experiment (muTransferSweep defaults: clusterTasks regressor in → MoE(4 experts, top-2,
// expert hidden = d) → out, widths 16/32/64, Adam rates 0.00125…0.08 ×2 apart, 120 steps, seeds 0–1;
// wasm). Best rate (mean test MSE over the seeds) per width: μP 0.04 / 0.02 / 0.08 (per seed 0.01/0.02/
// 0.02 and 0.04/0.02/0.08); SP 0.04 / 0.01 / 0.01 (per seed 0.01/0.02/0.005 and 0.04/0.01/0.01). SP's
// optimum drifts down 4× from d=16 to 64 and its high rates blow up (MSE at 0.08: 0.09 → 0.21 → 0.36);
// μP's stays within the toy's noise (±2× around 0.02–0.04; MSE at 0.08: 0.09 → 0.07 → 0.05). The test
// checks the direction of the claim: μP's optimum moves no further (in log₂) than SP's, and SP's moves down.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Module, Rng } from '@weft/core';
import { MoE, muParametrise, MuPAdam, muPRule, muTransferSweep, regressorMoERole, Regressor, type MuPRole } from '../src/index.js';

describe('muPRule', () => {
  it('equals the μP (Adam) formulas at widths 16, 32, 64, 128 with base width 16, and SP everywhere else', () => {
    // [role, width, fanIn, std, lr multiplier] written out: hidden σ/√fanIn & 16/width; output/router √16/width & 16/width; input σ/√fanIn & 1.
    const mup: [MuPRole, number, number, number, number][] = [
      ['hidden', 16, 16, 0.25, 1], ['hidden', 32, 32, 0.17677669529663687, 0.5], ['hidden', 64, 64, 0.125, 0.25], ['hidden', 128, 128, 0.08838834764831845, 0.125],
      ['router', 16, 16, 0.25, 1], ['router', 32, 32, 0.125, 0.5], ['router', 64, 64, 0.0625, 0.25], ['router', 128, 128, 0.03125, 0.125],
      ['output', 64, 64, 0.0625, 0.25], ['input', 64, 2, 0.7071067811865476, 1], ['input', 128, 2, 0.7071067811865476, 1], ['bias', 64, 1, 0, 1],
    ];
    for (const [role, width, fanIn, std, lr] of mup) {
      const s = muPRule(role, fanIn, { width, baseWidth: 16 });
      expect(Math.abs(s.initStd - std), `${role} w=${width}`).toBeLessThan(1e-12);
      expect(Math.abs(s.lrMultiplier - lr), `${role} w=${width}`).toBeLessThan(1e-12);
    }
    // SP: σ/√fanIn and ×1 for every weight at every width.
    for (const role of ['hidden', 'router', 'output', 'input'] as const) {
      expect(muPRule(role, 64, { parametrisation: 'sp', width: 64, baseWidth: 16 })).toEqual({ initStd: 0.125, lrMultiplier: 1 });
    }
    expect(muPRule('output', 64, { width: 64, baseWidth: 16, sigma: 2 }).initStd).toBeCloseTo(0.125, 12);
    expect(() => muPRule('outptu' as never, 4)).toThrow(/role="outptu" must be one of/);
    expect(() => muPRule('hidden', 0)).toThrow(/fanIn=0/);
    expect(() => muPRule('hidden', 4, { widht: 4 } as never)).toThrow(/unknown option 'widht'; did you mean 'width'/);
  });

  it('muParametrise gives each weight of a MoE regressor its role, fan-in and an init std within 10% of the rule', async () => {
    const width = 64;
    const model = new Regressor(2, 1, width, (r) => new MoE({ dim: width, numExperts: 4, topK: 2, hidden: 2 * width, router: 'mixtral' }, r), new Rng(0));
    const params = muParametrise(model, regressorMoERole, { width, baseWidth: 16 }, new Rng(1));
    const byPath = Object.fromEntries(params.map((p) => [p.path, p]));
    expect(byPath['inp.weight']).toMatchObject({ role: 'input', fanIn: 2, lrMultiplier: 1 });
    expect(byPath['out.weight']).toMatchObject({ role: 'output', fanIn: 64, lrMultiplier: 0.25, initStd: 0.0625 });
    expect(byPath['mid.router.gate.weight']).toMatchObject({ role: 'router', fanIn: 64, lrMultiplier: 0.25, initStd: 0.0625 });
    expect(byPath['mid.experts.w1']).toMatchObject({ role: 'hidden', fanIn: 64, lrMultiplier: 0.25, initStd: 0.125 });
    expect(byPath['mid.experts.w2']).toMatchObject({ role: 'hidden', fanIn: 128, lrMultiplier: 0.25 });
    expect(byPath['mid.experts.b1']).toMatchObject({ role: 'bias', lrMultiplier: 1, initStd: 0 });
    for (const p of params) {
      const v = await p.variable.data();
      const rms = Math.sqrt(v.reduce((s, x) => s + x * x, 0) / v.length);
      if (p.initStd === 0) expect(rms, p.path).toBe(0);
      else if (v.length >= 200) expect(Math.abs(rms / p.initStd - 1), p.path).toBeLessThan(0.1);
    }
    model.dispose();
  });
});

/** x·W1 (input role) → ·W2 (output role) + b (bias role): a tiny model whose gradients are written out by hand below. */
class Tiny extends Module {
  readonly w1: tf.Variable;
  readonly w2: tf.Variable;
  readonly b: tf.Variable;
  constructor() {
    super();
    this.w1 = this.addParameter('w1', tf.zeros([2, 3]));
    this.w2 = this.addParameter('w2', tf.zeros([3, 1]));
    this.b = this.addParameter('b', tf.zeros([1]));
  }
  forward(x: tf.Tensor): tf.Tensor {
    return tf.add(tf.matMul(tf.matMul(x, this.w1), this.w2), this.b);
  }
}

describe('MuPAdam', () => {
  it('two steps equal Adam written out with per-parameter rates (hand gradients; 1e-5); tensors stay flat', async () => {
    const model = new Tiny();
    const roles: Record<string, MuPRole> = { w1: 'input', w2: 'output', b: 'bias' };
    const params = muParametrise(model, (p) => roles[p]!, { width: 4, baseWidth: 2 }, new Rng(3)); // m = 2: w2 ×0.5, w1 and b ×1
    expect(params.map((p) => [p.path, p.lrMultiplier])).toEqual([['w1', 1], ['w2', 0.5], ['b', 1]]);
    const X = [[1, -2], [0.5, 3], [-1, 0.25], [2, 1]];
    const Y = [0.3, -1, 2, 0.5];
    const x = tf.tensor2d(X);
    const y = tf.tensor2d(Y.map((v) => [v]));
    const lr = 0.05;
    const opt = new MuPAdam(params, lr);
    // Reference: plain JS copies of the weights, gradients of L = mean (x W1 W2 + b − y)² by hand.
    let W1 = [...(await model.w1.data())];
    let W2 = [...(await model.w2.data())];
    let B = [...(await model.b.data())];
    const state = [W1, W2, B].map((w) => ({ m: w.map(() => 0), v: w.map(() => 0) }));
    const eps = tf.backend().epsilon();
    for (let t = 1; t <= 2; t++) {
      const n = X.length;
      const gW1 = [0, 0, 0, 0, 0, 0];
      const gW2 = [0, 0, 0];
      let gB = 0;
      for (let i = 0; i < n; i++) {
        const h = [0, 1, 2].map((j) => X[i]![0]! * W1[j]! + X[i]![1]! * W1[3 + j]!); // W1 row-major [2, 3]
        const r = h.reduce((s, hj, j) => s + hj * W2[j]!, B[0]!) - Y[i]!;
        const dp = (2 * r) / n;
        gB += dp;
        for (let j = 0; j < 3; j++) {
          gW2[j]! += h[j]! * dp;
          gW1[j]! += X[i]![0]! * dp * W2[j]!;
          gW1[3 + j]! += X[i]![1]! * dp * W2[j]!;
        }
      }
      const adam = (w: number[], g: number[], s: { m: number[]; v: number[] }, rate: number) =>
        w.map((wi, i) => {
          s.m[i] = 0.9 * s.m[i]! + 0.1 * g[i]!;
          s.v[i] = 0.999 * s.v[i]! + 0.001 * g[i]! ** 2;
          const mh = s.m[i]! / (1 - 0.9 ** t);
          const vh = s.v[i]! / (1 - 0.999 ** t);
          return wi - (rate * mh) / (Math.sqrt(vh) + eps);
        });
      [W1, W2, B] = [adam(W1, gW1, state[0]!, lr * 1), adam(W2, gW2, state[1]!, lr * 0.5), adam(B, [gB], state[2]!, lr * 1)];
      const before = tf.memory().numTensors;
      const loss = opt.minimize(() => tf.mean(tf.square(tf.sub(model.forward(x), y))));
      loss.dispose();
      if (t === 2) expect(tf.memory().numTensors).toBe(before);
      for (const [got, want] of [[model.w1, W1], [model.w2, W2], [model.b, B]] as const) {
        const g = await got.data();
        want.forEach((w, i) => expect(Math.abs(g[i]! - w), `${got.name} step ${t}`).toBeLessThan(1e-5));
      }
    }
    expect(() => new MuPAdam(params, 0)).toThrow(/learningRate=0/);
    expect(() => new MuPAdam([], 0.1)).toThrow(/params must be a non-empty list/);
    opt.dispose();
    tf.dispose([x, y]);
    model.dispose();
  });
});

describe('muTransferSweep hooks', () => {
  it('reports every run (μP then SP; the mean over seeds is the result) and stops when aborted, tensors flat', async () => {
    const tiny = { widths: [4, 8], learningRates: [0.01, 0.04], seeds: [0, 1], steps: 2, batchSize: 16, data: { n: 64, clusters: 2, dim: 2, target: 'nonlinear' as const, outputs: 1 } };
    const before = tf.memory().numTensors;
    const runs: Array<{ parametrisation: string; width: number; learningRate: number; seed: number; loss: number; done: number; total: number }> = [];
    const r = await muTransferSweep(tiny, { onRun: (x) => void runs.push(x) });
    expect(runs).toHaveLength(16);
    expect(runs.map((x) => x.done)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    expect(runs.every((x) => x.total === 16)).toBe(true);
    expect(runs.slice(0, 8).every((x) => x.parametrisation === 'mup') && runs.slice(8).every((x) => x.parametrisation === 'sp')).toBe(true);
    for (const p of ['mup', 'sp'] as const) {
      r.widths.forEach((w, wi) => r.learningRates.forEach((lr, li) => {
        const mine = runs.filter((x) => x.parametrisation === p && x.width === w && x.learningRate === lr).map((x) => x.loss);
        expect(mine).toHaveLength(2);
        expect(Math.abs((mine[0]! + mine[1]!) / 2 - r[p].loss[wi]![li]!)).toBeLessThan(1e-12);
      }));
    }
    const abort = new AbortController();
    let seen = 0;
    await expect(muTransferSweep(tiny, { signal: abort.signal, onRun: () => void (++seen === 5 && abort.abort()) })).rejects.toThrow('muTransferSweep: aborted after 5 of 16 runs');
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('muTransferSweep (the paper\'s claim: the best learning rate stays put across widths under μP, drifts under SP)', () => {
  // A seeded experiment on the paper's claim (minutes on 2 cores): runs with WEFT_LONG_EXPERIMENTS=1.
  it.runIf(process.env.WEFT_LONG_EXPERIMENTS === '1')('sweeps 7 rates at widths 16/32/64 over 2 seeds for both parametrisations', async () => {
    const before = tf.memory().numTensors;
    const r = await muTransferSweep();
    expect(tf.memory().numTensors).toBe(before);
    const fmt = (c: typeof r.mup) => c.loss.map((row, w) => `  d=${r.widths[w]}: ${row.map((v) => v.toFixed(4)).join(' ')}  argmin ${c.argmin[w]} (per seed ${c.argminPerSeed.map((s) => s[w]).join(', ')})`).join('\n');
    console.log(`μP test MSE [width × lr ${r.learningRates.join(', ')}]\n${fmt(r.mup)}\nSP\n${fmt(r.sp)}`);
    expect(r.mup.loss.flat().every((v) => v > 0)).toBe(true);
    // At the base width μP is SP: the same runs.
    r.mup.loss[0]!.forEach((v, i) => expect(Math.abs(v - r.sp.loss[0]![i]!)).toBeLessThan(1e-6));
    const drift = (c: typeof r.mup) => Math.abs(Math.log2(c.argmin.at(-1)! / c.argmin[0]!));
    expect(drift(r.mup)).toBeLessThanOrEqual(drift(r.sp));
    expect(r.sp.argmin.at(-1)!).toBeLessThan(r.sp.argmin[0]!);
  });
});

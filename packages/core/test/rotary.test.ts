// Rotary embedding (rotate-half) and attend()'s position mask against plain-JS references: the
// inverse frequencies of rope_type 'default', 'linear', 'llama3', 'dynamic', 'yarn' and 'longrope'
// and their attention factors against transformers 5's formulas (modeling_rope_utils) written out in
// float64 (tolerance 1e-6 relative: the table is float32; attention factors 1e-12), the per-call
// switching of dynamic_rope_update (RopeFrequencies), applyRotary against the
// per-pair rotation it stands for (1e-5), and the sliding-window mask entry by entry.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { RopeFrequencies, applyRotary, attend, positionMask, ropeInverseFrequencies, ropeParameters, rotaryTables, MASKED_SCORE } from '@weft/core';

describe('rotary embedding', () => {
  it('default and linear frequencies are θ^(−2i/D) (÷ factor)', () => {
    const d = ropeInverseFrequencies({ dim: 8, theta: 10000 });
    const l = ropeInverseFrequencies({ dim: 8, theta: 10000, scaling: 'linear', factor: 4 });
    for (let i = 0; i < 4; i++) {
      expect(d[i]).toBeCloseTo(10000 ** (-(2 * i) / 8), 7);
      expect(l[i]).toBeCloseTo(10000 ** (-(2 * i) / 8) / 4, 7);
    }
  });

  it('llama3 keeps high frequencies, divides low ones by factor and blends the middle band', () => {
    const c = { dim: 64, theta: 500000, scaling: 'llama3' as const, factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 64 };
    const got = ropeInverseFrequencies(c);
    const bands = new Set<string>();
    for (let i = 0; i < 32; i++) {
      const f = 500000 ** (-(2 * i) / 64);
      const wl = (2 * Math.PI) / f;
      let want: number;
      if (wl < 64 / 4) (want = f), bands.add('high');
      else if (wl > 64 / 1) (want = f / 8), bands.add('low');
      else {
        const s = (64 / wl - 1) / (4 - 1);
        want = (1 - s) * (f / 8) + s * f;
        bands.add('mid');
      }
      expect(Math.abs(got[i]! - want) / want).toBeLessThan(1e-6);
    }
    expect([...bands].sort()).toEqual(['high', 'low', 'mid']);
  });

  const rel = (got: ArrayLike<number>, want: number[]) => Math.max(...want.map((w, i) => Math.abs(got[i]! - w) / Math.abs(w)));

  it('dynamic NTK: base θ·(s·L/L₀ − (s−1))^(D/(D−2)) for L beyond max_position_embeddings, θ up to it', () => {
    const c = { dim: 16, theta: 10000, scaling: 'dynamic' as const, factor: 4, maxPositions: 32 };
    const ref = (L: number) => {
      const len = Math.max(L, 32);
      const base = 10000 * ((4 * len) / 32 - 3) ** (16 / 14);
      return Array.from({ length: 8 }, (_, i) => 1 / base ** ((2 * i) / 16));
    };
    for (const L of [undefined, 5, 32, 33, 100]) {
      const p = ropeParameters(c, L);
      expect(rel(p.invFreq, ref(L ?? 32))).toBeLessThan(1e-6);
      expect(p.attentionScaling).toBe(1);
    }
    expect(rel(ropeInverseFrequencies(c), Array.from({ length: 8 }, (_, i) => 1 / 10000 ** ((2 * i) / 16)))).toBeLessThan(1e-6);
    // dynamic_rope_update: grow past the longest length seen, keep it for shorter ones above 32, reset below 32.
    const f = new RopeFrequencies(c);
    expect(rel(f.at(40).invFreq, ref(40))).toBeLessThan(1e-6);
    expect(rel(f.at(100).invFreq, ref(100))).toBeLessThan(1e-6);
    expect(rel(f.at(50).invFreq, ref(100))).toBeLessThan(1e-6); // cached: transformers keeps the grown base
    expect(rel(f.at(31).invFreq, ref(32))).toBeLessThan(1e-6); // reset to the originals
    expect(rel(f.at(50).invFreq, ref(50))).toBeLessThan(1e-6);
  });

  // YaRN written out from _compute_yarn_parameters: correction range from beta_fast/beta_slow over the
  // pre-training length, a clamped linear ramp over the D/2 frequencies, attention factor 0.1·ln(s)+1
  // (or DeepSeek's mscale ratio).
  function yarnRef(D: number, base: number, s: number, L0: number, o: { betaFast?: number; betaSlow?: number; truncate?: boolean; mscale?: number; mscaleAllDim?: number } = {}) {
    const corr = (rot: number) => (D * Math.log(L0 / (rot * 2 * Math.PI))) / (2 * Math.log(base));
    let lo = corr(o.betaFast ?? 32);
    let hi = corr(o.betaSlow ?? 1);
    if (o.truncate ?? true) (lo = Math.floor(lo)), (hi = Math.ceil(hi));
    lo = Math.max(lo, 0);
    hi = Math.min(hi, D - 1);
    if (lo === hi) hi += 0.001;
    const inv = Array.from({ length: D / 2 }, (_, i) => {
      const pf = base ** ((2 * i) / D);
      const ramp = Math.min(1, Math.max(0, (i - lo) / (hi - lo)));
      const extra = 1 - ramp;
      return (1 / (s * pf)) * (1 - extra) + (1 / pf) * extra;
    });
    const ms = (x: number, m: number) => (x <= 1 ? 1 : 0.1 * m * Math.log(x) + 1);
    const att = o.mscale && o.mscaleAllDim ? ms(s, o.mscale) / ms(s, o.mscaleAllDim) : ms(s, 1);
    return { inv, att, lo, hi };
  }

  it('yarn: extrapolated high frequencies, interpolated low ones, a ramp between; attention factor from the factor', () => {
    const cases: Array<[string, Parameters<typeof ropeParameters>[0], ReturnType<typeof yarnRef>]> = [
      ['truncated', { dim: 64, theta: 10000, scaling: 'yarn', factor: 4, originalMaxPositions: 2048 }, yarnRef(64, 10000, 4, 2048)],
      ['not truncated, own betas', { dim: 64, theta: 10000, scaling: 'yarn', factor: 8, originalMaxPositions: 4096, betaFast: 16, betaSlow: 2, truncate: false }, yarnRef(64, 10000, 8, 4096, { betaFast: 16, betaSlow: 2, truncate: false })],
      ['DeepSeek mscale', { dim: 32, theta: 50000, scaling: 'yarn', factor: 40, originalMaxPositions: 4096, mscale: 0.707, mscaleAllDim: 0.707 }, yarnRef(32, 50000, 40, 4096, { mscale: 0.707, mscaleAllDim: 0.707 })],
      ['mscale ≠ mscaleAllDim', { dim: 32, theta: 50000, scaling: 'yarn', factor: 40, originalMaxPositions: 4096, mscale: 1, mscaleAllDim: 0.5 }, yarnRef(32, 50000, 40, 4096, { mscale: 1, mscaleAllDim: 0.5 })],
      ['factor from maxPositions / originalMaxPositions', { dim: 16, theta: 10000, scaling: 'yarn', maxPositions: 256, originalMaxPositions: 64 }, yarnRef(16, 10000, 4, 64)],
      ['originalMaxPositions defaults to maxPositions', { dim: 16, theta: 10000, scaling: 'yarn', factor: 2, maxPositions: 64 }, yarnRef(16, 10000, 2, 64)],
    ];
    let ramped = 0;
    for (const [, c, want] of cases) {
      const got = ropeParameters(c);
      expect(rel(got.invFreq, want.inv)).toBeLessThan(1e-6);
      expect(Math.abs(got.attentionScaling - want.att)).toBeLessThan(1e-12);
      if (want.hi - want.lo > 1) ramped++;
    }
    expect(ramped).toBeGreaterThan(2); // the ramp covers several frequencies, not a step
    expect(ropeParameters({ dim: 16, scaling: 'yarn', factor: 4, originalMaxPositions: 64, attentionFactor: 0.5 }).attentionScaling).toBe(0.5);
    // 0.1·ln 4 + 1
    expect(ropeParameters({ dim: 16, scaling: 'yarn', factor: 4, originalMaxPositions: 64 }).attentionScaling).toBeCloseTo(1.1386294361, 9);
  });

  it('longrope: short factors up to original_max_position_embeddings, long ones beyond; attention factor √(1 + ln s / ln L₀)', () => {
    const short = [1, 1.1, 1.3, 2];
    const long = [1.5, 3, 7, 16];
    const c = { dim: 8, theta: 10000, scaling: 'longrope' as const, maxPositions: 512, originalMaxPositions: 64, shortFactor: short, longFactor: long };
    const ref = (ext: number[]) => ext.map((e, i) => 1 / (e * 10000 ** ((2 * i) / 8)));
    const att = Math.sqrt(1 + Math.log(512 / 64) / Math.log(64));
    for (const [L, ext] of [[undefined, short], [64, short], [65, long], [500, long]] as const) {
      const p = ropeParameters(c, L);
      expect(rel(p.invFreq, ref([...ext]))).toBeLessThan(1e-6);
      expect(Math.abs(p.attentionScaling - att)).toBeLessThan(1e-12);
    }
    const f = new RopeFrequencies(c);
    expect(rel(f.at(64).invFreq, ref(short))).toBeLessThan(1e-6);
    expect(rel(f.at(65).invFreq, ref(long))).toBeLessThan(1e-6);
    expect(rel(f.at(3).invFreq, ref(short))).toBeLessThan(1e-6);
    expect(ropeParameters({ ...c, factor: 2 }).attentionScaling).toBeCloseTo(Math.sqrt(1 + Math.log(2) / Math.log(64)), 12);
    expect(ropeParameters({ ...c, maxPositions: 64 }).attentionScaling).toBe(1);
  });

  it('refuses a field the scaling does not read, missing required fields and bad factor lists', () => {
    expect(() => ropeParameters({ dim: 8, scaling: 'linear', factor: 2, betaFast: 4 })).toThrow(/betaFast is set but scaling="linear" does not use it/);
    expect(() => ropeParameters({ dim: 8, scaling: 'dynamic', factor: 2 })).toThrow(/needs maxPositions/);
    expect(() => ropeParameters({ dim: 8, scaling: 'yarn', factor: 2 })).toThrow(/needs originalMaxPositions or maxPositions/);
    expect(() => ropeParameters({ dim: 8, scaling: 'longrope', originalMaxPositions: 4, factor: 2, shortFactor: [1, 1, 1], longFactor: [1, 1, 1, 1] })).toThrow(/shortFactor must be 4 positive numbers/);
    expect(() => ropeParameters({ dim: 8, scaling: 'yarn', factor: 2, maxPositions: 8, attentionFactor: -1 })).toThrow(/attentionFactor/);
  });

  it('applyRotary rotates each pair (i, i + D/2) by position · invFreq[i]', async () => {
    const inv = ropeInverseFrequencies({ dim: 4, theta: 100 });
    const x = [0.3, -1.2, 0.7, 2.0, 1.1, 0.4, -0.5, 0.9]; // (T=2, D=4)
    const { cos, sin } = rotaryTables(inv, 3, 2);
    const y = await applyRotary(tf.tensor2d(x, [2, 4]), cos, sin).data();
    for (let t = 0; t < 2; t++) {
      for (let i = 0; i < 2; i++) {
        const a = (3 + t) * inv[i]!;
        const [x1, x2] = [x[t * 4 + i]!, x[t * 4 + i + 2]!];
        expect(y[t * 4 + i]).toBeCloseTo(x1 * Math.cos(a) - x2 * Math.sin(a), 5);
        expect(y[t * 4 + i + 2]).toBeCloseTo(x2 * Math.cos(a) + x1 * Math.sin(a), 5);
      }
    }
  });
});

describe('attend position mask', () => {
  it('query at offset+i sees key j iff j ≤ offset+i and offset+i−j < window', async () => {
    const m = await positionMask(2, 6, 4, 3).data();
    for (let i = 0; i < 2; i++) for (let j = 0; j < 6; j++) {
      const p = 4 + i;
      expect(m[i * 6 + j]).toBe(j <= p && p - j < 3 ? 0 : MASKED_SCORE);
    }
  });

  it('a cached query step equals the last row of the full computation', async () => {
    const r = (n: number, s: number) => tf.tensor(Array.from({ length: n }, (_, i) => Math.sin(i * 1.7 + s)));
    const q = tf.reshape(r(1 * 4 * 5 * 2, 0), [1, 4, 5, 2]);
    const k = tf.reshape(r(1 * 2 * 5 * 2, 1), [1, 2, 5, 2]);
    const v = tf.reshape(r(1 * 2 * 5 * 3, 2), [1, 2, 5, 3]);
    const full = await tf.slice(attend(q, k, v, { slidingWindow: 3 }), [0, 0, 4, 0], [1, 4, 1, 3]).data();
    const last = await attend(tf.slice(q, [0, 0, 4, 0], [1, 4, 1, 2]), k, v, { slidingWindow: 3 }).data();
    for (let i = 0; i < full.length; i++) expect(last[i]).toBeCloseTo(full[i]!, 6);
  });
});

// Rotary embedding (rotate-half) and attend()'s position mask against plain-JS references: the
// inverse frequencies of rope_type 'default', 'linear' and 'llama3' against transformers' formulas
// written out in float64 (tolerance 1e-6 relative: the table is float32), applyRotary against the
// per-pair rotation it stands for (1e-5), and the sliding-window mask entry by entry.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { applyRotary, attend, positionMask, ropeInverseFrequencies, rotaryTables, MASKED_SCORE } from '@weft/core';

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

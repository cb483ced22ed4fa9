// The adaptive, clipped α-divergence of AlphaNet (arXiv 2102.07954) against its formula computed
// in float64: the value (max of D_α− and D_α+ per example), the unclipped gradient against finite
// differences of that formula, and the clipped gradient against −min((p/q)^α, β)/α pushed through
// the softmax by hand. Tolerances: 1e-5 on values, 2e-3 relative on gradients (float32 against float64).
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Rng } from '@weft/core';
import { alphaDivergence, klDistillation } from '../src/index.js';

const softmax = (z: number[]) => {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};
/** D_α(p‖q) in float64 (α = 1: KL(p‖q)). */
const dAlpha = (p: number[], q: number[], a: number) =>
  a === 1 ? p.reduce((s, pi, i) => s + pi * Math.log(pi / q[i]!), 0) : q.reduce((s, qi, i) => s + qi * ((p[i]! / qi) ** a - 1), 0) / (a * (a - 1));
const adaptive = (zs: number[][], zt: number[][], aMin: number, aMax: number) =>
  zs.reduce((s, z, b) => s + Math.max(dAlpha(softmax(zt[b]!), softmax(z), aMin), dAlpha(softmax(zt[b]!), softmax(z), aMax)), 0) / zs.length;

describe('alpha-divergence', () => {
  const rng = new Rng(9);
  const [B, C] = [4, 5];
  const zs = Array.from({ length: B }, () => Array.from(rng.normalArray(C, 0, 1.5)));
  const zt = Array.from({ length: B }, () => Array.from(rng.normalArray(C, 0, 1.5)));

  it('value: the batch mean of max(D_α−, D_α+), for α+ = 1 (KL) and α+ = 0.5', () => {
    for (const aMax of [1, 0.5]) {
      const v = tf.tidy(() => alphaDivergence(tf.tensor2d(zs), tf.tensor2d(zt), { alphaMin: -1, alphaMax: aMax }).arraySync() as number);
      expect(Math.abs(v - adaptive(zs, zt, -1, aMax))).toBeLessThanOrEqual(1e-5);
    }
    const kl = tf.tidy(() => klDistillation(tf.tensor2d(zs), tf.tensor2d(zt)).arraySync() as number);
    expect(Math.abs(kl - zs.reduce((s, z, b) => s + dAlpha(softmax(zt[b]!), softmax(z), 1), 0) / B)).toBeLessThanOrEqual(1e-5);
  });

  it('unclipped gradient = central finite differences of the formula; the teacher gets none', () => {
    const [gs, gt] = tf.tidy(() => {
      const g = tf.grads((s: tf.Tensor, t: tf.Tensor) => alphaDivergence(s, t, { alphaMin: -1, alphaMax: 1, clip: Infinity }));
      return g([tf.tensor2d(zs), tf.tensor2d(zt)]).map((t) => t.arraySync() as number[][]);
    });
    const h = 1e-5;
    for (let b = 0; b < B; b++) for (let c = 0; c < C; c++) {
      const plus = zs.map((r) => [...r]);
      const minus = zs.map((r) => [...r]);
      plus[b]![c]! += h;
      minus[b]![c]! -= h;
      const fd = (adaptive(plus, zt, -1, 1) - adaptive(minus, zt, -1, 1)) / (2 * h);
      expect(Math.abs(gs![b]![c]! - fd)).toBeLessThanOrEqual(2e-3 * Math.max(1, Math.abs(fd)));
      expect(gt![b]![c]).toBe(0);
    }
  });

  it('clipped gradient: the importance weight min((p/q)^α, β) with the α of the larger divergence, through the softmax', () => {
    const beta = 0.8;
    const g = tf.tidy(() => tf.grad((s: tf.Tensor) => alphaDivergence(s, tf.tensor2d(zt), { alphaMin: -1, alphaMax: 1, clip: beta }))(tf.tensor2d(zs)).arraySync() as number[][]);
    for (let b = 0; b < B; b++) {
      const p = softmax(zt[b]!);
      const q = softmax(zs[b]!);
      const a = dAlpha(p, q, 1) >= dAlpha(p, q, -1) ? 1 : -1;
      const w = q.map((qi, i) => -Math.min((p[i]! / qi) ** a, beta) / a); // ∂D/∂q_i, clipped (constant dropped)
      const wq = w.reduce((s, wi, i) => s + wi * q[i]!, 0);
      for (let c = 0; c < C; c++) expect(Math.abs(g[b]![c]! - (q[c]! * (w[c]! - wq)) / B)).toBeLessThanOrEqual(2e-3 * Math.max(1e-3, Math.abs(g[b]![c]!)) + 1e-7);
    }
  });

  it('argument errors name the option', () => {
    const z = tf.zeros([2, 3]);
    expect(() => alphaDivergence(z, z, { alphaMin: 0.5 })).toThrow(/alphaMin/);
    expect(() => alphaDivergence(z, z, { clip: 0 })).toThrow(/clip=0 must be > 0/);
    expect(() => alphaDivergence(z, tf.zeros([2, 4]))).toThrow(/\[2,3\] and teacher logits \[2,4\]/);
    z.dispose();
  });
});

describe('alpha-divergence, a confident teacher', () => {
  it('stays finite when a teacher probability underflows to 0 in float32 (it made D_α− infinite and AlphaNet\'s conv8 run stop)', async () => {
    const v = tf.tidy(() => alphaDivergence(tf.tensor2d([[0, 0, 0]]), tf.tensor2d([[200, 0, -200]])));
    expect(Number.isFinite((await v.data())[0]!)).toBe(true);
    v.dispose();
  });
});

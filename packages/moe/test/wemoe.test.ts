// WEMoE against a reference: per token, θ(h) = θ₀ + Σ_t r_t(h)·τ_t built explicitly in plain JS
// from the base and fine-tuned MLPs' weights, then GELU(h·W₁ + b₁)·W₂ + b₂ (1e-4: float32 sums of
// ~16 products and erf); at the start (router weight 0, bias λ) it equals the task-arithmetic MLP
// θ₀ + λ·Σ τ_t; only the router trains.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ForwardContext, MLP, Rng } from '@weft/core';
import { WEMoE } from '../src/index.js';

const erf = (x: number) => {
  // Abramowitz–Stegun 7.1.26 is too coarse for 1e-4; integrate instead (Simpson, 2000 steps).
  const n = 2000;
  const h = x / n;
  let s = 0;
  for (let i = 0; i <= n; i++) s += (i === 0 || i === n ? 1 : i % 2 ? 4 : 2) * Math.exp(-((i * h) ** 2));
  return ((2 / Math.sqrt(Math.PI)) * h * s) / 3;
};
const gelu = (x: number) => 0.5 * x * (1 + erf(x / Math.SQRT2));

describe('WEMoE', () => {
  it('equals per-token merged weights θ₀ + Σ r_t(h)·τ_t; starts as task arithmetic; only the router trains', async () => {
    const [d, hid, T] = [4, 6, 3];
    const base = new MLP({ dim: d, hidden: hid }, new Rng(1));
    const tasks = [2, 3, 4].map((s) => new MLP({ dim: d, hidden: hid }, new Rng(s)));
    const m = new WEMoE(base, tasks, 0.3, new Rng(5));
    const x = tf.tensor2d(new Rng(6).normalArray(5 * d), [5, d]);
    const arr = async (t: tf.Tensor) => Array.from(await t.data());
    const B = { w1: await arr(base.fc1!.weight), b1: await arr(base.fc1!.bias!), w2: await arr(base.fc2!.weight), b2: await arr(base.fc2!.bias!) };
    const Ts = await Promise.all(tasks.map(async (t) => ({ w1: await arr(t.fc1!.weight), b1: await arr(t.fc1!.bias!), w2: await arr(t.fc2!.weight), b2: await arr(t.fc2!.bias!) })));
    const reference = (xs: number[][], r: number[][]) =>
      xs.map((h, n) => {
        const W = (k: keyof typeof B) => B[k].map((v, i) => v + Ts.reduce((s, t, j) => s + r[n]![j]! * (t[k][i]! - v), 0));
        const [w1, b1, w2, b2] = [W('w1'), W('b1'), W('w2'), W('b2')];
        const a = b1.map((bv, j) => gelu(h.reduce((s, hv, i) => s + hv * w1[i * hid + j]!, bv)));
        return b2.map((bv, j) => a.reduce((s, av, i) => s + av * w2[i * d + j]!, bv));
      });
    const xs = (await x.array()) as number[][];
    // at the start: r = λ for every task (task arithmetic)
    const y0 = (await m.forward(x, new ForwardContext()).array()) as number[][];
    const want0 = reference(xs, xs.map(() => new Array<number>(T).fill(0.3)));
    y0.forEach((row, n) => row.forEach((v, j) => expect(Math.abs(v - want0[n]![j]!)).toBeLessThan(1e-4)));
    // a trained-looking router: per-token weights
    m.router.weight.assign(tf.tensor2d(new Rng(7).normalArray(d * T), [d, T]));
    const r = (await m.router.forward(x).array()) as number[][];
    const y = (await m.forward(x, new ForwardContext()).array()) as number[][];
    const want = reference(xs, r);
    y.forEach((row, n) => row.forEach((v, j) => expect(Math.abs(v - want[n]![j]!)).toBeLessThan(1e-4)));
    expect(m.namedParameters().filter(([, v]) => v.trainable).map(([p]) => p).sort()).toEqual(['router.bias', 'router.weight']);
    expect(() => new WEMoE(base, [new MLP({ dim: d, hidden: 5 })])).toThrow(/tasks\[0\] has fc1 \[4,5\]/);
    expect(() => new WEMoE(base, [])).toThrow(/tasks must be a non-empty list/);
    x.dispose();
    m.dispose();
  });
});

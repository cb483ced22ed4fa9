// DiT-Air (arXiv:2503.10618) at toy scale: the energy distance against hand-computed values, the
// denoiser's sharing and adaLN-Zero start against a direct computation, DDPM sampling with an oracle
// denoiser of a point mass landing exactly on it (1e-4), and a seeded experiment on the paper's claim
// (layer-wise sharing cuts the denoiser's size with little loss of sample quality) on two moons.
// Measured (WEFT_LONG_EXPERIMENTS=1, seeds 1-3, width 32, 4 layers, 500 steps; D² mean ± half-range):
// shared 0.030 ± 0.027 at 23,362 stored vs unshared 0.020 ± 0.016 at 48,418 vs one layer 0.020 ±
// 0.018; Gaussian noise scores 0.090. Every model learns the moons (asserted: below noise), the
// shared one at 48% of the stored parameters; but one layer does as well as four, so this toy task
// cannot show what depth (shared or not) buys, and the claim is neither confirmed nor refuted here.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Module, Rng, makeOptimizer, moons, parameterLedger, train } from '@weft/core';
import { DdpmSchedule, DiTDenoiser, ddpmLoss, ddpmSample, energyDistance } from '@weft/sharing';
import { mean, meanSpread } from './wave2-helpers.js';

/** Seeded experiments on a paper's claim run with WEFT_LONG_EXPERIMENTS=1 (minutes each; the suite has a 25-minute budget). */
const LONG_EXPERIMENTS = process.env.WEFT_LONG_EXPERIMENTS === '1';

describe('energyDistance', () => {
  it('hand-computed values: D²({0}, {1}) = 2, D²({0, 2}, {1}) = 1; 0 for identical sets; symmetric', () => {
    expect(energyDistance([0], [1], 1)).toBeCloseTo(2, 12);
    expect(energyDistance([0, 2], [1], 1)).toBeCloseTo(1, 12); // 2·1 − (0 + 2 + 2 + 0)/4 − 0
    const a = [0, 0, 1, 2, -1, 0.5];
    const b = [3, 1, 0, 0];
    expect(energyDistance(a, a)).toBeCloseTo(0, 12);
    expect(energyDistance(a, b)).toBeCloseTo(energyDistance(b, a), 12);
    expect(energyDistance(a, b)).toBeGreaterThan(0);
    expect(() => energyDistance([0, 1, 2], [0, 1])).toThrow(/a has 3 values; expected a positive multiple of dim=2/);
  });
});

describe('DiTDenoiser', () => {
  it('all-shared: one MLP in every layer (stored once), each layer its own adaLN; at init (adaLN-Zero) every layer is the identity', async () => {
    const shared = new DiTDenoiser({ dim: 8, depth: 3, timesteps: 10 }, new Rng(1));
    const dense = new DiTDenoiser({ dim: 8, depth: 3, timesteps: 10, plan: 'none' }, new Rng(1));
    expect(new Set(shared.layers.items.map((l) => l.mlp)).size).toBe(1);
    expect(new Set(dense.layers.items.map((l) => l.mlp)).size).toBe(3);
    const mlp = 8 * 32 + 32 + 32 * 8 + 8;
    expect(parameterLedger(dense).totals.stored - parameterLedger(shared).totals.stored).toBe(2 * mlp);
    const x = tf.tensor2d([[0.5, -1], [2, 0.3]]);
    const y = shared.call({ x, t: tf.tensor1d([3, 7], 'int32') });
    const direct = shared.output.call(shared.finalNorm.call(shared.input.call(x)));
    expect((await tf.abs(tf.sub(y, direct)).max().data())[0]).toBeLessThan(1e-6);
    shared.dispose();
    dense.dispose();
    expect(() => new DiTDenoiser({ dpth: 2 } as never)).toThrow(/did you mean 'depth'/);
  });

  it('DDPM: ᾱ is the running product of 1 − β; sampling with the exact ε of a point mass μ lands on μ (1e-4)', async () => {
    const s = new DdpmSchedule(20);
    let p = 1;
    s.beta.forEach((b, t) => expect(s.alphaBar[t]).toBeCloseTo((p *= 1 - b), 6));
    const mu = [1.5, -0.5];
    /** ε̂(x, t) = (x − √ᾱ_t·μ)/√(1 − ᾱ_t): the true noise of the data distribution δ_μ. */
    class Oracle extends Module<{ x: tf.Tensor; t: tf.Tensor }, tf.Tensor> {
      forward({ x, t }: { x: tf.Tensor; t: tf.Tensor }): tf.Tensor {
        const ab = tf.reshape(tf.gather(tf.tensor1d(s.alphaBar), t), [-1, 1]);
        return tf.div(tf.sub(x, tf.mul(tf.sqrt(ab), tf.tensor2d([mu]))), tf.sqrt(tf.sub(1, ab)));
      }
    }
    const out = await ddpmSample(new Oracle(), s, 50, 2, new Rng(2));
    for (let i = 0; i < 50; i++) {
      expect(Math.abs(out[2 * i]! - mu[0]!)).toBeLessThan(1e-4);
      expect(Math.abs(out[2 * i + 1]! - mu[1]!)).toBeLessThan(1e-4);
    }
  });
});

describe('experiment (DiT-Air): shared vs unshared denoiser blocks on two moons, energy distance of samples to data', () => {
  it.runIf(LONG_EXPERIMENTS)('reports D² over 3 seeds', { timeout: 3_000_000 }, async () => {
    const SEEDS = [1, 2, 3];
    const STEPS = 500;
    const data = moons({ n: 2000, noise: 0.05 }, 4);
    const x = tf.tensor2d(data.x as Float32Array, [2000, 2]);
    const ref = (data.x as Float32Array).slice(0, 800); // 400 data points for D²
    const schedule = new DdpmSchedule(50);
    const variants = {
      shared: (r: Rng) => new DiTDenoiser({ dim: 32, depth: 4, plan: 'all-shared' }, r),
      unshared: (r: Rng) => new DiTDenoiser({ dim: 32, depth: 4, plan: 'none' }, r),
      shallow: (r: Rng) => new DiTDenoiser({ dim: 32, depth: 1, plan: 'none' }, r),
    };
    const d2: Record<string, number[]> = {};
    const stored: Record<string, number> = {};
    for (const seed of SEEDS) {
      for (const [name, make] of Object.entries(variants)) {
        const m = make(new Rng(seed));
        stored[name] = parameterLedger(m).totals.stored;
        const rng = new Rng(seed + 30);
        const opt = makeOptimizer({ name: 'adam', learningRate: 2e-3 });
        await train({
          model: m, optimizer: opt, steps: STEPS, reportEvery: STEPS,
          batch: () => ({ x: tf.gather(x, tf.tensor1d(Int32Array.from({ length: 256 }, () => rng.int(2000)), 'int32')), y: tf.zeros([1]) }),
          step: (b) => ({ loss: opt.minimize(() => ddpmLoss(m, b.x, schedule, rng), true, m.trainableParameters())! }),
        });
        opt.dispose();
        const samples = await ddpmSample(m, schedule, 400, 2, new Rng(seed + 60));
        (d2[name] ??= []).push(energyDistance(samples, ref));
        console.log(`DiT-Air experiment: seed ${seed} ${name} D² ${d2[name]!.at(-1)!.toFixed(4)}`);
        m.dispose();
      }
    }
    const noise = energyDistance(new Rng(9).normalArray(800), ref);
    console.log(
      `DiT-Air experiment (two moons, DDPM T=50, width 32, depth 4 (shallow: 1), ${STEPS} Adam steps, seeds ${SEEDS}): energy distance D² of 400 samples to 400 data points, mean ± half-range (Gaussian noise scores ${noise.toFixed(3)})\n` +
        Object.keys(d2).map((k) => `  ${k.padEnd(8)} stored ${stored[k]}: ${meanSpread(d2[k]!, false, 4)}`).join('\n'),
    );
    expect(stored.shared!).toBeLessThan(stored.unshared! / 2);
    for (const k of Object.keys(d2)) expect(mean(d2[k]!), k).toBeLessThan(noise); // each learned the data
    tf.dispose(x);
  });
});

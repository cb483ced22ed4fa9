// Chain-of-Experts: one iteration is the plain MoE with the same weights; two equal the composition
// written out from the iteration layers (x₁ = x + MoE₀(x), x₂ = x₁ + MoE₁(x₁), output x₂ − x; 1e-6);
// the experts are stored once and each iteration has its own router; the ledger counts C·k/E of
// the experts active. The claim's experiment (seeds 0–2): at equal compute (2 iterations × top-1 vs
// one pass of top-2, 8 experts), CoE reaches a lower test MSE on clusterTasks; top-1 once is shown
// for scale; every router gives gates = probabilities (a renormalised top-1 gate is always 1 and
// the router would get no gradient). Measured (wasm, 400 steps): CoE 2×top-1 0.117 ± 0.026, MoE
// top-2 0.127 ± 0.028, MoE top-1 0.156 ± 0.014; CoE lower on each seed (paper: 1.12 vs 1.20 val loss).
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { clusterTasks, ForwardContext, makeOptimizer, mse, parameterLedger, Rng, split, toTensors, train } from '@weft/core';
import { ChainOfExperts, MixtralRouter, MoE, Regressor } from '../src/index.js';

/** Seeded experiments on a paper's claim run with WEFT_LONG_EXPERIMENTS=1 (minutes each; the suite has a 25-minute budget). */
const LONG_EXPERIMENTS = process.env.WEFT_LONG_EXPERIMENTS === '1';

const base = { dim: 4, numExperts: 4, topK: 2, hidden: 6, router: 'mixtral' } as const;

describe('ChainOfExperts', () => {
  it('one iteration = the MoE; two = the written-out residual chain; experts stored once, a router per iteration', async () => {
    const x = tf.tensor3d(new Rng(1).normalArray(2 * 5 * 4), [2, 5, 4]);
    const one = new ChainOfExperts({ ...base, iterations: 1 }, new Rng(2));
    const plain = new MoE(base, new Rng(9), { experts: one.steps[0]!.experts }); // the same experts and router weights
    (plain.router as MixtralRouter).gate.weight.assign((one.steps[0]!.router as MixtralRouter).gate.weight);
    const d1 = tf.tidy(() => tf.max(tf.abs(tf.sub(one.forward(x, new ForwardContext()), plain.forward(x, new ForwardContext())))));
    expect((await d1.data())[0]).toBeLessThan(1e-6);
    const coe = new ChainOfExperts({ ...base, iterations: 2 }, new Rng(3));
    const [s0, s1] = coe.steps;
    expect(s0!.experts).toBe(s1!.experts);
    expect(s0!.router).not.toBe(s1!.router);
    const d2 = tf.tidy(() => {
      const ctx = new ForwardContext();
      const x1 = tf.add(x, s0!.forward(x, ctx));
      const x2 = tf.add(x1, s1!.forward(x1, ctx));
      return tf.max(tf.abs(tf.sub(coe.forward(x, new ForwardContext()), tf.sub(x2, x))));
    });
    expect((await d2.data())[0]).toBeLessThan(1e-6);
    const t = parameterLedger(coe).totals;
    const experts = s0!.experts.parameters().reduce((n, v) => n + v.size, 0);
    const routers = 2 * 4 * 4; // one mixtral gate [4, 4] per iteration
    expect(t.stored).toBe(experts + routers);
    expect(t.active).toBeCloseTo(routers + experts * Math.min(1, (2 * 2) / 4), 6); // C·k/E = 1 here
    const ctx = new ForwardContext({ training: true });
    tf.tidy(() => void coe.forward(x, ctx));
    expect(ctx.auxLosses.map((a) => a.name).sort()).toEqual(['moe.iter1.load_balance', 'moe.iter1.z_loss', 'moe.load_balance', 'moe.z_loss']);
    expect(() => new ChainOfExperts({ ...base, iterations: 0 })).toThrow(/iterations/);
    expect(() => new ChainOfExperts({ ...base, iteration: 2 } as never)).toThrow(/unknown option 'iteration'; did you mean 'iterations'/);
    tf.dispose([x, d1, d2]);
    for (const m of [one, coe]) m.dispose();
    (plain.router as MixtralRouter).dispose();
  });
});

/** Test MSE of a clusterTasks regressor whose middle is `mid`, trained 400 Adam steps (batches of 256). */
async function fit(mid: (r: Rng) => ChainOfExperts | MoE, seed: number): Promise<number> {
  const ds = clusterTasks({ n: 4096, clusters: 8, dim: 2, target: 'nonlinear', outputs: 1 }, seed);
  const [trainSet, testSet] = split(ds, [0.75, 0.25], seed + 1);
  const tr = toTensors(trainSet!);
  const te = toTensors(testSet!);
  const model = new Regressor(2, 1, 16, mid, new Rng(seed + 2));
  const opt = makeOptimizer({ name: 'adam', learningRate: 0.01 });
  const draw = new Rng(seed + 4);
  const n = tr.x.shape[0]!;
  const batch = () => tf.tidy(() => {
    const idx = tf.tensor1d(Int32Array.from({ length: 256 }, () => draw.int(n)), 'int32');
    return { x: tf.gather(tr.x, idx), y: tf.gather(tr.y, idx) };
  });
  await train({ model, steps: 400, optimizer: opt, batch, loss: (o, b) => mse(o, b.y), reportEvery: 400, seed });
  opt.dispose();
  model.eval();
  const m = tf.tidy(() => mse(model.forward(te.x, new ForwardContext()), te.y));
  const v = (await m.data())[0]!;
  tf.dispose([m, tr.x, tr.y, te.x, te.y, ...Object.values(tr.extra), ...Object.values(te.extra)]);
  model.dispose();
  return v;
}

it.runIf(LONG_EXPERIMENTS)('claim: 2 iterations × top-1 beat one pass of top-2 at equal compute (8 experts, clusterTasks, seeds 0–2)', async () => {
  const moe = { dim: 16, numExperts: 8, hidden: 8, router: 'mixtral', routerConfig: { normalize: false }, loadBalance: 'switch', loadBalanceWeight: 0.01 } as const; // gates = probabilities (top-1 renormalised would be 1: no router gradient)
  const runs = { 'CoE 2×top-1': [] as number[], 'MoE top-2': [] as number[], 'MoE top-1': [] as number[] };
  for (const seed of [0, 1, 2]) {
    runs['CoE 2×top-1'].push(await fit((r) => new ChainOfExperts({ ...moe, topK: 1, iterations: 2 }, r), seed));
    runs['MoE top-2'].push(await fit((r) => new MoE({ ...moe, topK: 2 }, r), seed));
    runs['MoE top-1'].push(await fit((r) => new MoE({ ...moe, topK: 1 }, r), seed));
    console.log(`[chain-of-experts] seed ${seed}: ${Object.entries(runs).map(([k, v]) => `${k} ${v[seed]!.toFixed(4)}`).join(', ')}`);
  }
  const stat = (xs: number[]) => {
    const m = xs.reduce((a, b) => a + b, 0) / xs.length;
    return `${m.toFixed(4)} ± ${Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length).toFixed(4)}`;
  };
  console.log(`[chain-of-experts] test MSE ${Object.entries(runs).map(([k, v]) => `${k} ${stat(v)}`).join(', ')}`);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  expect(mean(runs['CoE 2×top-1'])).toBeLessThan(mean(runs['MoE top-2']));
}, 600_000);

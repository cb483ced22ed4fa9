// Grove MoE against a dense reference: every expert and every adjugate on every token, combined
// with weights computed here in plain JS from the read-back routing (expert weight = its gate;
// adjugate j's = λ·Σ gates of the token's chosen experts in group j), 1e-5; the adjugate count per
// token (1 when both choices share a group, 2 otherwise); the ledger. The claim's experiment
// (seeds 0–2, clusterTasks): the adjugates add capacity at a small, varying compute cost — test MSE
// of Grove (8 experts in 4 groups, top-2, adjugates of hidden 4) vs the plain MoE, with the mean
// adjugates run per token. Figures printed. Measured (wasm, 400 steps): Grove 0.127 ± 0.031 vs MoE
// 0.130 ± 0.036 (Grove lower on 2 of 3 seeds), 1.89 ± 0.08 adjugates per token of at most 2: at this
// toy scale the extra capacity is a tie, not the paper's gain (which comes from upcycling a 30B
// model); the test asserts only what holds by construction, the adjugate count between 1 and 2.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { clusterTasks, ForwardContext, makeOptimizer, mse, parameterLedger, Rng, split, toTensors, train } from '@weft/core';
import { GroveMoE, MoE, Regressor } from '../src/index.js';

/** Seeded experiments on a paper's claim run with WEFT_LONG_EXPERIMENTS=1 (minutes each; the suite has a 25-minute budget). */
const LONG_EXPERIMENTS = process.env.WEFT_LONG_EXPERIMENTS === '1';

describe('GroveMoE', () => {
  it('equals the dense reference, counts adjugates per token, reports to the ledger', async () => {
    const [n, d, e, g, lambda] = [12, 4, 6, 3, 0.3];
    const m = new GroveMoE({ dim: d, numExperts: e, topK: 2, hidden: 5, router: 'mixtral', groups: g, adjugateHidden: 3, lambda }, new Rng(1));
    const x = tf.tensor2d(new Rng(2).normalArray(n * d), [n, d]);
    const ctx = new ForwardContext({ collectStats: true });
    const y = (await m.forward(x, ctx).array()) as number[][];
    const { routing } = m.moe.plan(x, new ForwardContext());
    const [expert, token, gate] = [await routing.expert.data(), await routing.token.data(), await routing.gate.data()];
    const tile = (k: number) => tf.tile(tf.reshape(x, [1, n, d]), [k, 1, 1]) as tf.Tensor3D; // (N, d) -> (k, N, d)
    const all = (await m.moe.experts.apply(tile(e), null).array()) as number[][][]; // (E, N, d)
    const adj = (await m.adjugate.apply(tile(g), null).array()) as number[][][]; // (G, N, d)
    const want = Array.from({ length: n }, () => new Array<number>(d).fill(0));
    const groupsOf = Array.from({ length: n }, () => new Map<number, number>());
    for (let p = 0; p < expert.length; p++) {
      const [t, ex, gt] = [token[p]!, expert[p]!, gate[p]!];
      all[ex]![t]!.forEach((v, c) => (want[t]![c]! += gt * v));
      const grp = Math.floor(ex / (e / g));
      groupsOf[t]!.set(grp, (groupsOf[t]!.get(grp) ?? 0) + gt);
    }
    groupsOf.forEach((m2, t) => m2.forEach((s, grp) => adj[grp]![t]!.forEach((v, c) => (want[t]![c]! += lambda * s * v))));
    y.forEach((row, t) => row.forEach((v, c) => expect(Math.abs(v - want[t]![c]!)).toBeLessThan(1e-5)));
    const perToken = Array.from(await (ctx.stats.get('moe.adjugates') as tf.Tensor).data());
    expect(perToken).toEqual(groupsOf.map((m2) => m2.size));
    ctx.disposeStats();
    const t = parameterLedger(m).totals;
    const adjParams = m.adjugate.parameters().reduce((s, v) => s + v.size, 0);
    const expParams = m.moe.experts.parameters().reduce((s, v) => s + v.size, 0);
    expect(t.active).toBeCloseTo(d * e + (2 / e) * expParams + (2 / g) * adjParams, 5);
    expect(() => new GroveMoE({ dim: 4, numExperts: 6, groups: 4 })).toThrow(/numExperts=6 must be divisible by groups=4/);
    expect(() => new GroveMoE({ dim: 4, router: 'expert-choice' })).toThrow(/needs a token-choice router/);
    expect(() => new GroveMoE({ dim: 4, lamda: 1 } as never)).toThrow(/unknown option 'lamda'; did you mean 'lambda'/);
    x.dispose();
    m.dispose();
  });
});

/** Test MSE and mean adjugates per token (Grove) of a clusterTasks regressor, 400 Adam steps. */
async function fit(mid: (r: Rng) => GroveMoE | MoE, seed: number): Promise<{ mse: number; adjugates: number }> {
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
  const ctx = new ForwardContext({ collectStats: true });
  const m = tf.tidy(() => mse(model.forward(te.x, ctx), te.y));
  const adj = ctx.stats.get('moe.adjugates') as tf.Tensor | undefined;
  const adjugates = adj ? (await tf.mean(adj).data())[0]! : 0;
  const v = (await m.data())[0]!;
  ctx.disposeStats();
  tf.dispose([m, tr.x, tr.y, te.x, te.y, ...Object.values(tr.extra), ...Object.values(te.extra)]);
  model.dispose();
  return { mse: v, adjugates };
}

it.runIf(LONG_EXPERIMENTS)('claim: adjugate experts add capacity at a small varying cost (Grove vs plain MoE, seeds 0–2)', async () => {
  const moe = { dim: 16, numExperts: 8, topK: 2, hidden: 8, router: 'mixtral', loadBalance: 'switch', loadBalanceWeight: 0.01 } as const;
  const grove: number[] = [];
  const plain: number[] = [];
  const adj: number[] = [];
  for (const seed of [0, 1, 2]) {
    const gr = await fit((r) => new GroveMoE({ ...moe, groups: 4, adjugateHidden: 4 }, r), seed);
    const pl = await fit((r) => new MoE(moe, r), seed);
    grove.push(gr.mse);
    plain.push(pl.mse);
    adj.push(gr.adjugates);
    console.log(`[grove] seed ${seed}: Grove MSE ${gr.mse.toFixed(4)} (adjugates/token ${gr.adjugates.toFixed(3)}) vs MoE ${pl.mse.toFixed(4)}`);
  }
  const stat = (xs: number[]) => {
    const m = xs.reduce((a, b) => a + b, 0) / xs.length;
    return `${m.toFixed(4)} ± ${Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length).toFixed(4)}`;
  };
  console.log(`[grove] test MSE Grove ${stat(grove)} vs MoE ${stat(plain)}; adjugates per token ${stat(adj)} (of at most 2)`);
  adj.forEach((a) => expect(a).toBeGreaterThanOrEqual(1));
  adj.forEach((a) => expect(a).toBeLessThanOrEqual(2));
}, 600_000);

// MoEUT (arXiv:2405.16039): SwitchHead attention against a per-head dense reference written here
// (every expert on every token, masked by the top-k sigmoid gates; 1e-5, outputs and gradients),
// the grouped recurrence (G layers reused by identity over depth; ledger stored vs effective), and
// a seeded experiment on the paper's claim: at equal stored parameters MoEUT beats a dense
// Universal Transformer (all-shared) on a sequence task. The σ-MoE is @weft/moe's (its own test:
// packages/moe/test/sigma-moe.test.ts). At toy scale the claim does not hold: on sort (length 8,
// 15.4k stored each, seeds 1-3) MoEUT reached 71.5 ± 2.9% after 100 steps vs the UT's 81.3 ± 1.0%
// (84.0 ± 1.6% vs 89.6 ± 0.5% after 150 steps, measured before SwitchHead had its entropy term), with 44% of the UT's active parameters per token.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ForwardContext, Rng, parameterLedger, sortTask, split, toTensors, type TinyTransformer } from '@weft/core';
import { sigmaMoE } from '@weft/moe';
import { MoEUTLayer, SwitchHeadAttention, moeut, sharedTransformer } from '@weft/sharing';
import { fitSequence, mean, meanSpread } from './wave2-helpers.js';

/** Seeded experiments on a paper's claim run with WEFT_LONG_EXPERIMENTS=1 (minutes each; the suite has a 25-minute budget). */
const LONG_EXPERIMENTS = process.env.WEFT_LONG_EXPERIMENTS === '1';

const maxAbs = async (a: tf.Tensor, b: tf.Tensor) => Math.max(...(await tf.abs(tf.sub(a, b)).data()));

/** SwitchHead, head by head and expert by expert, from the layer's weights (B, T, d) -> (B, T, d). */
function reference(l: SwitchHeadAttention, x: tf.Tensor3D): tf.Tensor {
  const { dim: d, numHeads: H, headDim: dh, numExperts: E, topK: K } = l.cfg;
  const [B, T] = x.shape;
  const flat = tf.reshape(x, [B * T, d]);
  const n = l.norm!.forward(flat, new ForwardContext());
  const cols = (w: tf.Tensor, from: number, size: number) => tf.slice(w, [0, from], [-1, size]);
  const gates = (w: tf.Tensor, h: number) => {
    const s = tf.sigmoid(tf.matMul(n, cols(w, h * E, E))); // (N, E)
    return tf.mul(s, tf.sum(tf.oneHot(tf.topk(s, K).indices, E), 1)); // masked to the top-k
  };
  const causal = tf.linalg.bandPart(tf.ones([T, T]), -1, 0); // lower triangle
  let y: tf.Tensor = tf.zeros([B * T, d]);
  for (let h = 0; h < H; h++) {
    const gv = gates(l.selV.weight, h);
    let v: tf.Tensor = tf.zeros([B * T, dh]);
    for (let e = 0; e < E; e++) v = tf.add(v, tf.mul(tf.slice(gv, [0, e], [-1, 1]), tf.matMul(flat, tf.gather(l.wv, h * E + e))));
    const q = tf.reshape(tf.matMul(n, cols(l.q.weight, h * dh, dh)), [B, T, dh]);
    const k = tf.reshape(tf.matMul(n, cols(l.k.weight, h * dh, dh)), [B, T, dh]);
    const logits = tf.div(tf.matMul(q, k, false, true), Math.sqrt(dh)); // (B, T, T)
    const att = tf.softmax(tf.where(tf.cast(causal, 'bool'), logits, tf.fill(logits.shape, -1e9)));
    const a = tf.reshape(tf.matMul(att, tf.reshape(v, [B, T, dh])), [B * T, dh]);
    const go = gates(l.selO.weight, h);
    for (let e = 0; e < E; e++) y = tf.add(y, tf.mul(tf.slice(go, [0, e], [-1, 1]), tf.matMul(a, tf.gather(l.wo, h * E + e))));
  }
  return tf.reshape(y, [B, T, d]);
}

describe('SwitchHead attention', () => {
  it('equals the per-head dense reference, outputs and gradients (1e-5); sparse and dense dispatch agree', async () => {
    const cfg = { dim: 8, numHeads: 2, headDim: 3, numExperts: 4, topK: 2 };
    const l = new SwitchHeadAttention(cfg, new Rng(1));
    const dense = new SwitchHeadAttention({ ...cfg, dispatch: 'dense' }, new Rng(1));
    const x = tf.tensor3d(new Rng(2).normalArray(2 * 5 * 8), [2, 5, 8]);
    const w = tf.tensor3d(new Rng(3).normalArray(2 * 5 * 8), [2, 5, 8]);
    expect(await maxAbs(l.call(x), reference(l, x))).toBeLessThan(1e-5);
    expect(await maxAbs(dense.call(x), reference(dense, x))).toBeLessThan(1e-5);
    const vars = l.parameters();
    const gS = tf.variableGrads(() => tf.sum(tf.mul(l.call(x), w)) as tf.Scalar, vars).grads;
    const gR = tf.variableGrads(() => tf.sum(tf.mul(reference(l, x), w)) as tf.Scalar, vars).grads;
    for (const v of vars) expect(await maxAbs(gS[v.name]!, gR[v.name]!), v.name).toBeLessThan(1e-5);
    expect(parameterLedger(l).totals.active).toBeLessThan(parameterLedger(l).totals.stored); // k/E of the experts per token
    l.dispose();
    dense.dispose();
  });

  it('training: expert dropout (sparse and dense still agree) and the selections\' entropy terms Σ p̄·log p̄ (1e-6)', async () => {
    const cfg = { dim: 8, numHeads: 2, numExperts: 4, topK: 2, expertDropout: 0.5, entropyWeight: 0.002 };
    const l = new SwitchHeadAttention(cfg, new Rng(4));
    const dense = new SwitchHeadAttention({ ...cfg, dispatch: 'dense' }, new Rng(4));
    const x = tf.tensor3d(new Rng(5).normalArray(2 * 6 * 8), [2, 6, 8]);
    const ctx = new ForwardContext({ training: true, seed: 3 });
    const yTrain = l.forward(x, ctx);
    expect(await maxAbs(yTrain, dense.forward(x, new ForwardContext({ training: true, seed: 3 })))).toBeLessThan(1e-5);
    expect(await maxAbs(yTrain, l.forward(x, new ForwardContext({ training: false })))).toBeGreaterThan(1e-3); // dropout changed the choice
    expect(ctx.auxLosses.map((a) => a.name)).toEqual(['switch-head.value.entropy', 'switch-head.output.entropy']);
    const n = l.norm!.forward(tf.reshape(x, [12, 8]), new ForwardContext());
    for (const [i, sel] of [l.selV, l.selO].entries()) {
      const p = await tf.mean(tf.softmax(tf.reshape(tf.matMul(n, sel.weight), [12, 2, 4])), 0).array() as number[][]; // p̄ (H, E)
      const want = p.reduce((a, row) => a + row.reduce((b, q) => b + q * Math.log(q), 0), 0) / 2;
      expect(Math.abs((await ctx.auxLosses[i]!.value.data())[0]! - want)).toBeLessThan(1e-6);
      expect(ctx.auxLosses[i]!.weight).toBe(0.002);
    }
    l.dispose();
    dense.dispose();
  });

  it('refuses bad options', () => {
    expect(() => new SwitchHeadAttention({ dim: 8, expertDropout: 1 })).toThrow(/expertDropout/);
    expect(() => new SwitchHeadAttention({ dim: 8, numExpert: 4 } as never)).toThrow(/numExperts/);
    expect(() => new SwitchHeadAttention({ dim: 8, topK: 5, numExperts: 4 })).toThrow(/topK/);
    expect(() => new SwitchHeadAttention({ dim: 9, numHeads: 2 })).toThrow(/numHeads=2 must divide dim=9/);
  });
});

describe('MoEUT: grouped recurrence', () => {
  it('G layers fill the L slots in a cycle by identity; the ledger stores each once and counts every use', () => {
    const m = moeut({ vocabSize: 7, maxLen: 6, dim: 8, depth: 6, groupSize: 2, attention: { numHeads: 2 } }, sigmaMoE({ numExperts: 4, hidden: 8 }), new Rng(1));
    const b = m.blocks.items as MoEUTLayer[];
    expect(b).toHaveLength(6);
    expect(new Set(b).size).toBe(2);
    expect(b[0]).toBe(b[2]);
    expect(b[0]).toBe(b[4]);
    expect(b[1]).toBe(b[3]);
    expect(b[0]).not.toBe(b[1]);
    const layer = b[0]!.parameters().reduce((s, v) => s + v.size, 0) + b[1]!.parameters().reduce((s, v) => s + v.size, 0);
    const t = parameterLedger(m).totals;
    expect(t.effective - t.stored).toBe(2 * layer); // each of the two layers used three times
    expect(t.active).toBeLessThan(t.stored);
    const y = m.call(tf.tensor2d([[0, 1, 2, 3, 4, 5]], [1, 6], 'int32'));
    expect(y.shape).toEqual([1, 6, 7]);
    m.dispose();
    expect(() => moeut({ vocabSize: 7, maxLen: 6, depth: 6, groupSize: 4 }, sigmaMoE())).toThrow(/groupSize=4 must divide depth=6/);
    expect(() => moeut({ vocabSize: 7, maxLen: 6, groupSiz: 2 } as never, sigmaMoE())).toThrow(/groupSize/);
  });

  it('training keeps the tensor count flat', async () => {
    const m = moeut({ vocabSize: 7, maxLen: 6, dim: 8, depth: 4, attention: { numHeads: 2 } }, sigmaMoE({ numExperts: 4, hidden: 8, expertDropout: 0.1 }), new Rng(2));
    const data = { x: tf.tensor2d([[0, 1, 2, 3, 4, 5], [5, 4, 3, 2, 1, 0]], [2, 6], 'int32'), y: tf.tensor2d([[1, 2, 3, 4, 5, 6], [4, 3, 2, 1, 0, 6]], [2, 6], 'int32') };
    await fitSequence(m, data, data, { steps: 2, seed: 1, batch: 2 });
    const before = tf.memory().numTensors;
    await fitSequence(m, data, data, { steps: 3, seed: 2, batch: 2 });
    expect(tf.memory().numTensors).toBe(before);
    m.dispose();
  });
});

describe('experiment (MoEUT): vs a dense Universal Transformer at equal stored parameters, sort of 8 tokens', () => {
  it.runIf(LONG_EXPERIMENTS)('reports accuracy over 3 seeds', { timeout: 900_000 }, async () => {
    const SEEDS = [1, 2, 3];
    const STEPS = 100;
    const ds = sortTask({ n: 1600, length: 8, vocabSize: 12 }, 7);
    const [a, b] = split(ds, [0.8, 0.2], 7);
    const tr = toTensors(a!);
    const te = toTensors(b!);
    const base = { vocabSize: ds.vocabSize!, maxLen: 16, dim: 16, depth: 4 };
    const stored = (m: TinyTransformer<any>) => parameterLedger(m).totals.stored;
    const make = {
      moeut: (s: number) => moeut({ ...base, groupSize: 2, attention: { numHeads: 2, numExperts: 4, topK: 2 } }, sigmaMoE({ numExperts: 8, topK: 2, hidden: 16 }), new Rng(s)),
      ut: (s: number, h: number) => sharedTransformer({ ...base, numHeads: 2, plan: 'all-shared', mlpHidden: h }, new Rng(s)),
    };
    // The UT's FFN width that matches MoEUT's stored parameters (stored is affine in the width).
    const target = stored(make.moeut(0));
    const p1 = stored(make.ut(0, 1));
    const p2 = stored(make.ut(0, 2));
    const h = Math.round((target - p1) / (p2 - p1)) + 1;
    const acc: Record<string, number[]> = { moeut: [], ut: [] };
    const params: Record<string, number> = {};
    const active: Record<string, number> = {};
    for (const seed of SEEDS) {
      for (const name of ['moeut', 'ut'] as const) {
        const m = name === 'moeut' ? make.moeut(seed) : make.ut(seed, h);
        params[name] = stored(m);
        active[name] = parameterLedger(m).totals.active;
        acc[name]!.push((await fitSequence(m, tr, te, { steps: STEPS, seed })).acc);
        m.dispose();
      }
    }
    console.log(
      `MoEUT experiment (sort, length 8, vocab 12; ${STEPS} Adam steps; seeds ${SEEDS}): token accuracy mean ± half-range\n` +
        Object.keys(acc).map((k) => `  ${k.padEnd(6)} stored ${params[k]}, active/token ${Math.round(active[k]!)}: ${meanSpread(acc[k]!)}`).join('\n'),
    );
    expect(Math.abs(params.ut! - params.moeut!) / params.moeut!).toBeLessThan(0.01);
    expect(mean(acc.moeut!)).toBeGreaterThan(0.2); // it learned (chance is 1/12)
    tf.dispose([tr.x, tr.y, te.x, te.y]);
  });
});

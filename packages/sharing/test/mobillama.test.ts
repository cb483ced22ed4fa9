// MobiLlama (arXiv:2402.16840): one FFN shared by every block, attention per block, built by
// sharedTransformer's `ffnPlan`. Checked against the dense model holding copies of the shared FFN
// (outputs equal; the shared FFN's gradient is the sum of the copies' gradients), the ledger, and
// a seeded experiment on the paper's claim: at equal stored parameters the shared-FFN model beats a
// dense one (here: dense with the same depth and a narrower FFN, and dense with fewer full blocks).
// Measured (WEFT_LONG_EXPERIMENTS=1, seeds 1-3, 200 steps; commit 8b0fba6): shared FFN 89.7 ± 0.9% vs
// the same depth with a narrow FFN at equal stored 87.9 ± 2.6% vs 3 full blocks (8% more stored)
// 93.8 ± 1.2%: it beats the equal-size narrow model, not the shallower one. Re-run: 89.7 ± 0.9% vs
// 88.0 ± 2.6% vs 93.8 ± 1.2% (62 s, gated). Asserted: the budgets, that it learned, and its mean
// accuracy above the narrow-FFN model's (the claim at equal stored parameters).
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { MLP, Rng, TinyTransformer, TransformerBlock, parameterLedger, sortTask, split, toTensors } from '@weft/core';
import { sharedTransformer } from '@weft/sharing';
import { fitSequence, mean, meanSpread } from './wave2-helpers.js';

/** Seeded experiments on a paper's claim run with WEFT_LONG_EXPERIMENTS=1 (minutes each; the suite has a 25-minute budget). */
const LONG_EXPERIMENTS = process.env.WEFT_LONG_EXPERIMENTS === '1';

const CFG = { vocabSize: 7, maxLen: 6, dim: 8, depth: 4, numHeads: 2, mlpHidden: 16 };
const ids = () => tf.tensor2d([[0, 1, 2, 3, 4, 5], [6, 5, 4, 3, 2, 1]], [2, 6], 'int32');

/** Copy every path of `from` into the same path of `to` (a shared variable into each of its copies). */
function copyByPath(from: TinyTransformer, to: TinyTransformer): void {
  const target = new Map(to.namedParameters());
  for (const [path, v] of from.namedParameters()) target.get(path)!.assign(v);
}

describe('MobiLlama: one FFN shared by every block (ffnPlan)', () => {
  it('every block has its own attention and the same FFN; the ledger stores the FFN once and counts it per block', () => {
    const m = sharedTransformer({ ...CFG, ffnPlan: 'all-shared' }, new Rng(1));
    const dense = new TinyTransformer(CFG, new Rng(1));
    const blocks = m.blocks.items as TransformerBlock[];
    expect(new Set(blocks).size).toBe(4);
    expect(new Set(blocks.map((b) => b.attn)).size).toBe(4);
    expect(new Set(blocks.map((b) => b.ffn)).size).toBe(1);
    const ffn = blocks[0]!.ffn.parameters().reduce((s, v) => s + v.size, 0);
    expect(ffn).toBe(8 * 16 + 16 + 16 * 8 + 8);
    const ls = parameterLedger(m).totals;
    const ld = parameterLedger(dense).totals;
    expect(ls.stored).toBe(ld.stored - 3 * ffn);
    expect(ls.effective).toBe(ld.stored);
    m.dispose();
    dense.dispose();
  });

  it('equals the dense model holding copies of the shared FFN; its gradient is the sum of the copies\' (tolerance 1e-5)', async () => {
    const m = sharedTransformer({ ...CFG, ffnPlan: 'all-shared' }, new Rng(2));
    const dense = new TinyTransformer(CFG, new Rng(3));
    copyByPath(m, dense);
    const x = ids();
    const yS = m.call(x);
    const yD = dense.call(x);
    expect(Math.max(...(await tf.abs(tf.sub(yS, yD)).data()))).toBeLessThan(1e-5);
    const lossOf = (model: TinyTransformer) => () => tf.sum(tf.square(model.call(x))) as tf.Scalar;
    const shared = (m.blocks.items[0] as TransformerBlock).ffn as MLP;
    const gS = tf.variableGrads(lossOf(m), [shared.fc1!.weight]).grads;
    const copies = (dense.blocks.items as TransformerBlock[]).map((b) => (b.ffn as MLP).fc1!.weight);
    const gD = tf.variableGrads(lossOf(dense), copies).grads;
    const sum = tf.addN(copies.map((v) => gD[v.name]!));
    const diff = Math.max(...(await tf.abs(tf.sub(gS[shared.fc1!.weight.name]!, sum)).data()));
    expect(diff).toBeLessThan(1e-5);
    m.dispose();
    dense.dispose();
  });

  it('partial FFN plans; refuses a block plan that already shares, and ffn with ffnPlan', () => {
    const m = sharedTransformer({ ...CFG, ffnPlan: { name: 'groups', groups: 2 } }, new Rng(4));
    const f = (m.blocks.items as TransformerBlock[]).map((b) => b.ffn);
    expect(f[0]).toBe(f[1]);
    expect(f[2]).toBe(f[3]);
    expect(f[1]).not.toBe(f[2]);
    m.dispose();
    expect(() => sharedTransformer({ ...CFG, plan: 'all-shared', ffnPlan: 'all-shared' })).toThrow(/plan="all-shared" with ffnPlan="all-shared"; a sub-module plan needs the block plan 'none'/);
    expect(() => sharedTransformer({ ...CFG, ffnPlan: 'all-shard' })).toThrow(/did you mean 'all-shared'/);
  });
});

describe('experiment (MobiLlama): shared FFN vs dense at equal stored parameters, sort of 10 tokens', () => {
  it.runIf(LONG_EXPERIMENTS)('reports accuracy over 3 seeds', { timeout: 900_000 }, async () => {
    const SEEDS = [1, 2, 3];
    const STEPS = 200;
    const ds = sortTask({ n: 2400, length: 10, vocabSize: 16 }, 7);
    const [a, b] = split(ds, [0.8, 0.2], 7);
    const tr = toTensors(a!);
    const te = toTensors(b!);
    // A 6-block model whose single FFN is 4× wide (MobiLlama), the same depth with the FFN width that
    // matches its stored parameters, and the dense model with the fewest full blocks at that budget or more.
    const base = { vocabSize: ds.vocabSize!, maxLen: 20, dim: 16, depth: 6, numHeads: 2, mlpHidden: 64 };
    // FFN parameters (2d+1)·h + d; the narrow dense FFN holds a sixth of the shared one's.
    const d = base.dim;
    const narrowH = Math.round(((2 * d + 1) * base.mlpHidden + d - 6 * d) / (6 * (2 * d + 1)));
    const stored = (m: TinyTransformer) => parameterLedger(m).totals.stored;
    const make = {
      mobillama: (s: number) => sharedTransformer({ ...base, ffnPlan: 'all-shared' }, new Rng(s)),
      narrowFfn: (s: number) => new TinyTransformer({ ...base, mlpHidden: narrowH }, new Rng(s)),
      shallow: (s: number) => new TinyTransformer({ ...base, depth: 3 }, new Rng(s)),
    };
    const acc: Record<string, number[]> = { mobillama: [], narrowFfn: [], shallow: [] };
    const params: Record<string, number> = {};
    for (const seed of SEEDS) {
      for (const [name, f] of Object.entries(make)) {
        const m = f(seed);
        params[name] = stored(m);
        acc[name]!.push((await fitSequence(m, tr, te, { steps: STEPS, seed })).acc);
        m.dispose();
      }
    }
    console.log(
      `MobiLlama experiment (sort, length 10, vocab 16; ${STEPS} Adam steps; seeds ${SEEDS}): token accuracy mean ± half-range\n` +
        Object.keys(acc).map((k) => `  ${k.padEnd(10)} stored ${params[k]}: ${meanSpread(acc[k]!)}`).join('\n'),
    );
    // Budgets as designed: the narrow-FFN dense model within 1% of MobiLlama's, the shallow one above it.
    expect(Math.abs(params.narrowFfn! - params.mobillama!) / params.mobillama!).toBeLessThan(0.01);
    expect(params.shallow!).toBeGreaterThan(params.mobillama!);
    expect(mean(acc.mobillama!)).toBeGreaterThan(0.3); // it learned (chance is 1/16)
    expect(mean(acc.mobillama!)).toBeGreaterThan(mean(acc.narrowFfn!)); // the claim, against the dense model of equal stored parameters
    tf.dispose([tr.x, tr.y, te.x, te.y]);
  });
});

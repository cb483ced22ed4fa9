// Universal Transformer recurrence: fixed depth equals the block applied N times; ACT halting at
// its two extremes equals hand-computed outputs; ponder cost and depth stats; gradients against
// finite differences; the ledger counts the block once per application.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ForwardContext, Rng, TinyTransformer, TransformerBlock, parameterLedger } from '@weft/core';
import { formatGradCheck, gradCheck } from '@weft/core/testing';
import { RecurrentBlock } from '@weft/sharing';

const maxDiff = async (a: tf.Tensor, b: tf.Tensor) => {
  const d = tf.max(tf.abs(tf.sub(a, b)));
  const v = (await d.data())[0]!;
  d.dispose();
  return v;
};

function setHaltBias(r: RecurrentBlock, b: number) {
  const t = tf.fill([1], b);
  r.halt!.bias!.assign(t);
  t.dispose();
  const z = tf.zerosLike(r.halt!.weight);
  r.halt!.weight.assign(z);
  z.dispose();
}

describe('RecurrentBlock (Universal Transformer)', () => {
  const dim = 8;
  const x = () => tf.tensor3d(new Rng(1).normalArray(2 * 3 * dim), [2, 3, dim]);

  it('fixed depth applies the shared block maxSteps times (with the step embedding)', async () => {
    const rng = new Rng(2);
    const block = new TransformerBlock({ dim, numHeads: 2 }, rng);
    const r = new RecurrentBlock(block, { dim, halting: 'fixed', maxSteps: 3 }, rng);
    const input = x();
    const [y, ref] = tf.tidy(() => {
      let h = input;
      for (let s = 0; s < 3; s++) h = block.call(tf.add(h, tf.reshape(tf.slice(r.steps!, [s, 0], [1, dim]), [1, 1, dim])));
      return [r.call(input), h];
    });
    expect(await maxDiff(y, ref)).toBeLessThan(1e-6);
    const t = parameterLedger(r).totals;
    const b = block.parameters().reduce((s, v) => s + v.size, 0);
    expect(t.effective).toBe(3 * b + 3 * dim); // block counted per step, step table once
    tf.dispose([input, y, ref]);
    r.dispose();
  });

  it('ACT: p ≈ 1 halts every token after one step; p ≈ 0 runs all steps and keeps the last state', async () => {
    const rng = new Rng(3);
    const block = new TransformerBlock({ dim, numHeads: 2 }, rng);
    const r = new RecurrentBlock(block, { dim, maxSteps: 4, stepEmbedding: false }, rng);
    const input = x();
    for (const [bias, depth] of [[20, 1], [-20, 4]] as const) {
      setHaltBias(r, bias);
      const ctx = new ForwardContext({ collectStats: true });
      const [y, ref, ponder] = tf.tidy(() => {
        let h = input;
        for (let s = 0; s < depth; s++) h = block.call(h);
        const out = r.forward(input, ctx);
        return [out, h, ctx.auxLosses.find((a) => a.name === 'ut.ponder')!.value];
      });
      // p = 1 − 2e-9 rounds to 1 in float32, so the one-step output is exact; p = 2e-9 leaves 3 tiny weights on earlier states.
      expect(await maxDiff(y, ref)).toBeLessThan(1e-6);
      const stats = await ctx.readStats();
      expect(stats['ut.avg_depth']).toBeCloseTo(depth, 5);
      expect(stats['ut.token_depth']).toEqual(Array(2 * 3).fill(depth)); // every token of the (2, 3) batch
      // ρ = N + R with R = 1 − (Σ p before the halting step): 1 + 1 after one step; 4 + (1 − 3·2e-9) ≈ 5 after four.
      expect((await ponder.data())[0]).toBeCloseTo(depth + 1, 5);
      ctx.disposeStats();
      tf.dispose([y, ref, ponder]);
    }
    tf.dispose(input);
    r.dispose();
  });

  it('ACT with a mid halting probability matches a per-token reference of Graves\' weights', async () => {
    // Zero halting weight, bias b: every token has p = σ(b) at every step, so the ACT weights are known
    // in closed form: p each step while Σp ≤ 1 − ε, then the remainder. With p = 0.3, ε = 0.01:
    // steps 1–3 add 0.3 each (0.9), step 4 would reach 1.2 > 0.99 → halts with R = 0.1.
    const rng = new Rng(4);
    const block = new TransformerBlock({ dim, numHeads: 2 }, rng);
    const r = new RecurrentBlock(block, { dim, maxSteps: 6, stepEmbedding: false }, rng);
    setHaltBias(r, Math.log(0.3 / 0.7));
    const input = x();
    const ctx = new ForwardContext({ collectStats: true });
    const [y, ref, ponder] = tf.tidy(() => {
      const states: tf.Tensor[] = [];
      let h = input;
      for (let s = 0; s < 4; s++) states.push((h = block.call(h)));
      const w = [0.3, 0.3, 0.3, 0.1];
      const out = r.forward(input, ctx);
      return [out, tf.addN(states.map((s, i) => tf.mul(s, w[i]!))), ctx.auxLosses[0]!.value];
    });
    expect(await maxDiff(y, ref)).toBeLessThan(1e-5);
    const stats = await ctx.readStats();
    expect(stats['ut.avg_depth']).toBeCloseTo(4, 5);
    expect((await ponder.data())[0]).toBeCloseTo(4.1, 5); // N + R = 4 + 0.1
    r.observeDepth(stats['ut.avg_depth'] as number);
    expect(r.usesOf('block')).toBeCloseTo(4, 5);
    ctx.disposeStats();
    tf.dispose([y, ref, input, ponder]);
    r.dispose();
  });

  it('ACT gradients (task + ponder) match finite differences', async () => {
    const rng = new Rng(5);
    const block = new TransformerBlock({ dim: 4, numHeads: 1, mlpHidden: 8 }, rng);
    const r = new RecurrentBlock(block, { dim: 4, maxSteps: 3, ponderWeight: 0.5, haltBias: -0.5 }, rng);
    const input = tf.tensor3d(new Rng(6).normalArray(1 * 3 * 4), [1, 3, 4]);
    const f = () => {
      const ctx = new ForwardContext();
      const y = r.forward(input, ctx);
      return tf.add(tf.sum(tf.mul(y, tf.range(0, y.size).reshape(y.shape))), ctx.totalAuxLoss()) as tf.Scalar;
    };
    const res = await gradCheck(f, r.namedParameters(), { maxEntries: 4, eps: 3e-3, rtol: 5e-2, atol: 5e-3 });
    expect(res.ok, formatGradCheck(res)).toBe(true);
    input.dispose();
    r.dispose();
  });

  it('fills a TinyTransformer slot and reports depth; bad settings are named', () => {
    const rng = new Rng(7);
    const r = new RecurrentBlock(new TransformerBlock({ dim, numHeads: 2 }, rng), { dim, maxSteps: 4 }, rng);
    const m = new TinyTransformer({ vocabSize: 5, maxLen: 4, dim }, rng, { blocks: [r] });
    const t = parameterLedger(m).totals;
    expect(t.effective).toBeGreaterThan(t.stored);
    m.dispose();
    const b = new TransformerBlock({ dim, numHeads: 2 });
    expect(() => new RecurrentBlock(b, { dim, maxSteps: 0 })).toThrow(/maxSteps=0/);
    expect(() => new RecurrentBlock(b, { dim, halting: 'sometimes' as never })).toThrow(/halting="sometimes"/);
    expect(() => new RecurrentBlock(b, { dim, threshold: 1.5 })).toThrow(/threshold=1.5/);
  });
});

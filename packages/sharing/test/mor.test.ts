// Mixture-of-Recursions: expert-choice keeps exactly the top-k_r tokens per recursion (hierarchical),
// equals a dense masked reference, reports depth and compute saved; token-choice depths, balance
// loss; gradients reach the routers; the ledger counts the block per average application.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ForwardContext, Rng, TinyTransformer, TransformerBlock, parameterLedger } from '@weft/core';
import { MixtureOfRecursions } from '@weft/sharing';

const dim = 8;
const input = (B: number, T: number, seed = 1) => tf.tensor3d(new Rng(seed).normalArray(B * T * dim), [B, T, dim]);

describe('MixtureOfRecursions', () => {
  it('expert-choice: top-k per recursion, nested selections, equal to a dense masked reference', async () => {
    const rng = new Rng(2);
    const block = new TransformerBlock({ dim, numHeads: 2, causal: true }, rng);
    const mor = new MixtureOfRecursions(block, { dim, maxRecursions: 3, capacity: [1, 0.5, 0.25] }, rng);
    const x = input(2, 8);
    const ctx = new ForwardContext({ collectStats: true });
    const y = tf.tidy(() => mor.forward(x, ctx));
    const stats = await ctx.readStats();
    expect(stats['mor.avg_depth']).toBeCloseTo(1 + 0.5 + 0.25, 6);
    expect(stats['mor.compute_saved']).toBeCloseTo(1 - 1.75 / 3, 6);
    expect(stats['mor.attention_saved']).toBeCloseTo(1 - (64 + 16 + 4) / (3 * 64), 6);
    expect(stats['mor.depth_histogram']).toEqual([0, 2 * 4, 2 * 2, 2 * 2]);
    expect(mor.usesOf('block')).toBeCloseTo(1.75, 9);

    // Reference in JavaScript selection + dense tensors: recompute the routers' picks per sequence,
    // run the block on the picked tokens only (in position order), apply h += g·(f(h) − h).
    let h = x.clone();
    let cand = [[...Array(8).keys()], [...Array(8).keys()]];
    const depthRef: number[] = Array(2 * 8).fill(0);
    for (const [r, k] of [[0, 8], [1, 4], [2, 2]] as const) {
      const logits = tf.tidy(() => tf.reshape(mor.routers.at(r).call(h), [2, 8]));
      const l = await logits.array() as number[][];
      logits.dispose();
      const picks = cand.map((c, b) => [...c].sort((i, j) => l[b]![j]! - l[b]![i]!).slice(0, k).sort((i, j) => i - j));
      const next = tf.tidy(() => {
        const rows: tf.Tensor[] = [];
        for (let b = 0; b < 2; b++) {
          const hb = tf.reshape(tf.slice(h, [b, 0, 0], [1, 8, dim]), [8, dim]);
          const idx = tf.tensor1d(picks[b]!, 'int32');
          const sel = tf.expandDims(tf.gather(hb, idx), 0); // (1, k, D)
          const g = tf.reshape(tf.sigmoid(tf.gather(tf.tensor1d(l[b]!), idx)), [1, k, 1]);
          const delta = tf.reshape(tf.mul(g, tf.sub(block.call(sel), sel)), [k, dim]);
          rows.push(tf.add(hb, tf.unsortedSegmentSum(delta, idx, 8)));
        }
        return tf.stack(rows);
      });
      h.dispose();
      h = next;
      cand = picks;
      picks.forEach((c, b) => c.forEach((i) => depthRef[b * 8 + i]!++));
    }
    expect(stats['mor.token_depth']).toEqual(depthRef); // recursions of each token: how many selections hold it
    const d = tf.max(tf.abs(tf.sub(y, h)));
    expect((await d.data())[0]).toBeLessThan(1e-5);
    ctx.disposeStats();
    tf.dispose([x, y, h, d]);
    mor.dispose();
  });

  it('gradients reach the block and every router; the BCE aux loss is recorded', () => {
    const rng = new Rng(3);
    const mor = new MixtureOfRecursions(new TransformerBlock({ dim, numHeads: 2 }, rng), { dim, maxRecursions: 2 }, rng);
    const x = input(2, 6, 4);
    const vars = mor.trainableParameters();
    const { value, grads } = tf.variableGrads(() => {
      const ctx = new ForwardContext();
      const y = mor.forward(x, ctx);
      expect(ctx.auxLosses.map((a) => a.name)).toEqual(['mor.router_bce', 'mor.router_bce']);
      return tf.add(tf.mean(tf.square(y)), ctx.totalAuxLoss()) as tf.Scalar;
    }, vars);
    const missing = mor.namedParameters().filter(([, v]) => !grads[v.name]).map(([p]) => p);
    expect(missing).toEqual([]);
    tf.dispose([value, x, ...Object.values(grads)]);
    mor.dispose();
  });

  it('token-choice: each token runs its routed depth; balance loss is Nr·Σ f·P; depth stats', async () => {
    const rng = new Rng(5);
    const block = new TransformerBlock({ dim, numHeads: 2 }, rng);
    const mor = new MixtureOfRecursions(block, { dim, maxRecursions: 3, routing: 'token-choice' }, rng);
    const x = input(2, 5, 6);
    const ctx = new ForwardContext({ collectStats: true });
    const [y, bal, logits] = tf.tidy(() => {
      const y = mor.forward(x, ctx);
      return [y, ctx.auxLosses[0]!.value, mor.routers.at(0).call(x)];
    });
    const stats = await ctx.readStats();
    const l = (await logits.array()) as number[][][];
    const depth = l.flat().map((row) => row.indexOf(Math.max(...row)) + 1);
    const avg = depth.reduce((a, b) => a + b, 0) / depth.length;
    expect(stats['mor.avg_depth']).toBeCloseTo(avg, 6);
    expect(stats['mor.token_depth']).toEqual(depth);
    expect(stats['mor.compute_saved']).toBeCloseTo(1 - avg / 3, 6);
    const probs = l.flat().map((row) => {
      const e = row.map((v) => Math.exp(v - Math.max(...row)));
      const s = e.reduce((a, b) => a + b, 0);
      return e.map((v) => v / s);
    });
    let balance = 0;
    for (let i = 0; i < 3; i++) {
      const f = depth.filter((d) => d === i + 1).length / depth.length;
      const P = probs.reduce((a, p) => a + p[i]!, 0) / probs.length;
      balance += 3 * f * P;
    }
    expect((await bal.data())[0]).toBeCloseTo(balance, 5);
    mor.observeDepth(stats['mor.avg_depth'] as number);
    expect(mor.usesOf('block')).toBeCloseTo(avg, 6);
    ctx.disposeStats();
    tf.dispose([x, y, bal, logits]);
    mor.dispose();
  });

  it('inside a TinyTransformer: ledger counts the block Σ capacity times; bad configs are named', () => {
    const rng = new Rng(7);
    const block = new TransformerBlock({ dim, numHeads: 2 }, rng);
    const mor = new MixtureOfRecursions(block, { dim, maxRecursions: 3 }, rng);
    const m = new TinyTransformer({ vocabSize: 6, maxLen: 6, dim }, rng, { blocks: [mor] });
    const b = block.parameters().reduce((s, v) => s + v.size, 0);
    const t = parameterLedger(m).totals;
    expect(t.effective - t.stored).toBeCloseTo(b * (2 - 1), 6); // Σ capacity = 1 + 2/3 + 1/3 = 2
    m.dispose();
    const blk = new TransformerBlock({ dim, numHeads: 2 });
    expect(() => new MixtureOfRecursions(blk, { dim, maxRecursions: 0 })).toThrow(/maxRecursions=0/);
    expect(() => new MixtureOfRecursions(blk, { dim, maxRecursions: 2, capacity: [0.5, 1] })).toThrow(/capacity\[1\]=1 must be ≤ capacity\[0\]=0.5/);
    expect(() => new MixtureOfRecursions(blk, { dim, routing: 'random' as never })).toThrow(/routing="random"/);
  });
});

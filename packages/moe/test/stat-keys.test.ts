// Several MoE layers in one model keep their own statistics and aux losses: under the trainer each
// is keyed by its module path (blocks.0.ffn, blocks.1.ffn), an explicit `name` wins, and without a
// model in the context the default names are numbered (moe, moe#2) instead of overwriting.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ForwardContext, IGNORE_INDEX, Rng, TinyTransformer, makeOptimizer, softmaxCrossEntropy, train } from '@weft/core';
import { MoE, UMoEBlock } from '@weft/moe';

const model = (names?: [string, string]) => {
  let i = 0;
  return new TinyTransformer(
    { vocabSize: 6, maxLen: 4, dim: 8, depth: 2, numHeads: 2, ffn: (dim, rng) => new MoE({ dim, numExperts: 4, topK: 2, hidden: 8, ...(names ? { name: names[i++]! } : {}) }, rng) },
    new Rng(1),
  );
};
const tokens = () => tf.tensor2d([[1, 2, 3, 4], [4, 3, 2, 1]], [2, 4], 'int32');

describe('MoE statistics and aux losses of several layers', () => {
  it('under the trainer: keyed by each layer\'s path in the model', async () => {
    const m = model();
    const opt = makeOptimizer({ name: 'adam', learningRate: 0.01 });
    const run = await train({
      model: m, steps: 2, optimizer: opt, reportEvery: 2,
      batch: () => ({ x: tokens(), y: tokens() }),
      loss: (logits, b) => softmaxCrossEntropy(logits, b.y, { ignoreIndex: IGNORE_INDEX }),
    });
    const keys = Object.keys(run.history.at(-1)!.stats);
    expect(keys.filter((k) => k.endsWith('.load')).sort()).toEqual(['blocks.0.ffn.load', 'blocks.1.ffn.load']);
    const load0 = run.history.at(-1)!.stats['blocks.0.ffn.load'] as number[];
    expect(load0.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    opt.dispose();
    m.dispose();
  });

  it('UMoE blocks: each block\'s attention MoE and FFN MoE have their own keys (the attention\'s default name once made every block share one)', () => {
    const rng = new Rng(2);
    const blocks = [0, 1].map(() => new UMoEBlock({ dim: 8, numExperts: 4, hidden: 8, attention: { topK: 2, headDim: 4 }, ffn: { topK: 2 } }, rng));
    const m = new TinyTransformer({ vocabSize: 6, dim: 8, maxLen: 4, numHeads: 2 }, rng, { blocks });
    const ctx = new ForwardContext({ training: true, collectStats: true, root: m });
    tf.tidy(() => void m.forward(tokens(), ctx));
    expect([...ctx.stats.keys()].filter((k) => k.endsWith('.load')).sort()).toEqual(['blocks.0.attn.load', 'blocks.0.ffn.load', 'blocks.1.attn.load', 'blocks.1.ffn.load']);
    expect(ctx.auxLosses.map((a) => a.name).filter((n) => n.endsWith('load_balance')).sort()).toEqual(['blocks.0.attn.load_balance', 'blocks.0.ffn.load_balance', 'blocks.1.attn.load_balance', 'blocks.1.ffn.load_balance']);
    ctx.disposeStats();
    m.dispose();
  });

  it('an explicit name wins; without a model in the context, default names are numbered', () => {
    const named = model(['first', 'second']);
    const ctx = new ForwardContext({ training: true, collectStats: true, root: named });
    tf.tidy(() => void named.forward(tokens(), ctx));
    expect([...ctx.stats.keys()].filter((k) => k.endsWith('.load')).sort()).toEqual(['first.load', 'second.load']);
    expect(ctx.auxLosses.map((a) => a.name).filter((n) => n.endsWith('load_balance')).sort()).toEqual(['first.load_balance', 'second.load_balance']);
    ctx.disposeStats();
    named.dispose();

    const plain = model();
    const bare = new ForwardContext({ training: true, collectStats: true });
    tf.tidy(() => void plain.forward(tokens(), bare));
    expect([...bare.stats.keys()].filter((k) => k.endsWith('.load')).sort()).toEqual(['moe#2.load', 'moe.load']);
    bare.disposeStats();
    plain.dispose();
  });
});

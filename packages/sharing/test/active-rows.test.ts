// Really skipping halted / unselected tokens: ACT ('gathered' halted tokens) and token-choice
// Mixture-of-Recursions ('gathered' inactive tokens) run the shared block on the active rows only
// and must equal the masked dense computation — outputs, aux losses and every gradient within 1e-5
// (float32; the two differ only in summation order) — while the block processes fewer rows.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ForwardContext, Module, Rng, TransformerBlock, type SequenceInput } from '@weft/core';
import { describeBackends } from '@weft/core/testing';
import { MixtureOfRecursions, RecurrentBlock } from '@weft/sharing';

/** A TransformerBlock that counts the token rows (batch × time) it is run on. */
class Counting extends Module<SequenceInput, tf.Tensor> {
  rows = 0;
  readonly inner: TransformerBlock;
  constructor(dim: number, rng: Rng, causal = true) {
    super();
    this.inner = this.addModule('inner', new TransformerBlock({ dim, numHeads: 2, causal }, rng));
  }
  forward(input: SequenceInput, ctx?: ForwardContext): tf.Tensor {
    const x = input instanceof tf.Tensor ? input : input.x;
    this.rows += x.shape[0]! * x.shape[1]!;
    return this.inner.forward(input, ctx);
  }
}

const dim = 8, B = 3, T = 7;
const input = () => tf.tensor3d(new Rng(11).normalArray(B * T * dim), [B, T, dim]);
// The last sequence has two padding tokens.
const mask = () => tf.tensor2d([[1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 0, 0]], [B, T]);
const probe = () => tf.tensor3d(new Rng(12).normalArray(B * T * dim), [B, T, dim]);

async function maxDiff(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b)))).data().then((d) => d[0]!);
}

/** Output, loss (probe·output + weighted aux losses), gradients of the parameters and the input, stats. */
async function run(model: Module<SequenceInput, tf.Tensor>, withMask: boolean) {
  const x = tf.variable(input()), m = withMask ? mask() : null, pr = probe();
  const ctx = new ForwardContext({ collectStats: true, training: true });
  let out: tf.Tensor | null = null;
  const vars = [x, ...model.parameters()];
  const f = () => {
    const y = model.forward({ x, attentionMask: m }, ctx);
    out = tf.keep(y.clone());
    const aux = ctx.auxLosses.reduce((s, a) => tf.add(s, tf.mul(a.value, a.weight)), tf.scalar(0));
    return tf.add(tf.sum(tf.mul(y, pr)), aux) as tf.Scalar;
  };
  const { value, grads } = tf.variableGrads(f, vars);
  const stats = await ctx.readStats();
  return { out: out!, loss: (await value.data())[0]!, grads: vars.map((v) => grads[v.name]!), stats };
}

function act(haltedTokens: 'masked' | 'gathered' | 'compute', haltBias = 0.5, causal = true) {
  const rng = new Rng(3);
  const block = new Counting(dim, rng, causal);
  const r = new RecurrentBlock(block, { dim, maxSteps: 4, haltBias, haltedTokens }, rng);
  return { r, block };
}

function mor(inactiveTokens: 'masked' | 'gathered', causal = true) {
  const rng = new Rng(4);
  const block = new Counting(dim, rng, causal);
  const m = new MixtureOfRecursions(block, { dim, maxRecursions: 3, routing: 'token-choice', inactiveTokens }, rng);
  // A larger router weight spreads the chosen depths over 1..3.
  for (const v of m.routers.at(0).parameters()) v.assign(tf.mul(v, 8));
  return { m, block };
}

async function expectSame(a: Awaited<ReturnType<typeof run>>, b: Awaited<ReturnType<typeof run>>) {
  expect(await maxDiff(a.out, b.out)).toBeLessThan(1e-5);
  expect(Math.abs(a.loss - b.loss)).toBeLessThan(1e-5 * Math.max(1, Math.abs(a.loss)));
  expect(a.grads.length).toBe(b.grads.length);
  for (let i = 0; i < a.grads.length; i++) expect(await maxDiff(a.grads[i]!, b.grads[i]!)).toBeLessThan(1e-5);
}

// Non-causal blocks too: there a halted token left in as a key, or an unmasked padding row of the
// gathered batch, would change the running tokens' outputs.
const CASES = [[true, false], [true, true], [false, true]] as const; // [causal, padding]
const label = (causal: boolean, withMask: boolean) => `${causal ? 'causal' : 'bidirectional'}${withMask ? ', with padding' : ''}`;

describeBackends('ACT skipping halted tokens (RecurrentBlock haltedTokens: gathered)', () => {
  for (const [causal, withMask] of CASES) {
    it(`equals the masked dense computation: output, ponder loss, gradients (${label(causal, withMask)})`, async () => {
      const dense = act('masked', 0.5, causal), skip = act('gathered', 0.5, causal);
      // The halting unit's weights spread the per-token depths (not every token halts at the same step).
      for (const r of [dense.r, skip.r]) r.halt!.weight.assign(tf.tensor(new Rng(5).normalArray(dim).map((v) => 1.5 * v), r.halt!.weight.shape));
      const a = await run(dense.r, withMask), b = await run(skip.r, withMask);
      await expectSame(a, b);
      expect(a.stats['ut.avg_depth']).toBeCloseTo(b.stats['ut.avg_depth'] as number, 6);
      // Compute falls: the dense form ran every row every step; the gathered one fewer, and it says so.
      expect(dense.block.rows).toBe(4 * B * T);
      expect(b.stats['ut.block_rows']).toBe(skip.block.rows);
      expect(skip.block.rows).toBeLessThan(dense.block.rows);
      const depth = b.stats['ut.avg_depth'] as number;
      expect(depth).toBeGreaterThan(1.2); // not a degenerate all-halt-at-once case
      expect(depth).toBeLessThan(3.8);
    });
  }

  it('with no token halting before the last step, masked and gathered equal the plain (compute) recurrence', async () => {
    const plain = act('compute', -20), skip = act('gathered', -20);
    const a = await run(plain.r, false), b = await run(skip.r, false);
    await expectSame(a, b);
    expect(skip.block.rows).toBe(4 * B * T);
  });

  it('refuses an unknown haltedTokens value, naming it', () => {
    const rng = new Rng(1);
    expect(() => new RecurrentBlock(new TransformerBlock({ dim, numHeads: 2 }, rng), { dim, haltedTokens: 'skip' as never })).toThrow(/haltedTokens="skip" must be 'compute', 'masked' or 'gathered'/);
  });

  it('keeps the tensor count flat over training steps', async () => {
    const { r } = act('gathered');
    const opt = tf.train.adam(1e-2);
    const step = () => tf.tidy(() => {
      const ctx = new ForwardContext({ training: true });
      opt.minimize(() => {
        const y = r.forward({ x: input(), attentionMask: mask() }, ctx);
        return tf.add(tf.mean(tf.square(y)), ctx.auxLosses[0]!.value) as tf.Scalar;
      }, false, r.parameters());
    });
    step();
    const n = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) step();
    expect(tf.memory().numTensors).toBe(n);
    opt.dispose();
  });
}, { only: ['wasm', 'cpu'] });

describeBackends('Mixture-of-Recursions token-choice skipping inactive tokens (inactiveTokens: gathered)', () => {
  for (const [causal, withMask] of CASES) {
    it(`equals the masked computation: output, balance loss, gradients (${label(causal, withMask)})`, async () => {
      const dense = mor('masked', causal), skip = mor('gathered', causal);
      const a = await run(dense.m, withMask), b = await run(skip.m, withMask);
      await expectSame(a, b);
      const hist = b.stats['mor.depth_histogram'] as number[];
      expect(hist.filter((c, d) => d > 0 && c > 0).length).toBeGreaterThan(1); // depths really differ
      expect(dense.block.rows).toBe(3 * B * T);
      expect(b.stats['mor.block_rows']).toBe(skip.block.rows);
      expect(skip.block.rows).toBeLessThan(dense.block.rows);
    });
  }
}, { only: ['wasm', 'cpu'] });

// A plain TransformerBlock gets the active tokens of several sequences packed into one row (attention
// kept within each sequence by a block-diagonal mask): the same result, fewer rows than padding each
// sequence to the busiest one (the Counting wrapper above is not a TransformerBlock, so it is padded).
describeBackends('gathered rows packed for a TransformerBlock (ACT and token-choice MoR)', () => {
  for (const [causal, withMask] of CASES) {
    it(`ACT: packed equals masked — output, ponder loss, gradients; fewer rows than padded (${label(causal, withMask)})`, async () => {
      const make = (haltedTokens: 'masked' | 'gathered', wrap: boolean) => {
        const rng = new Rng(3);
        const inner = new TransformerBlock({ dim, numHeads: 2, causal }, rng);
        const block = wrap ? new Counting(dim, new Rng(3), causal) : inner;
        if (wrap) for (const [i, v] of (block as Counting).inner.parameters().entries()) v.assign(inner.parameters()[i]!);
        const r = new RecurrentBlock(block, { dim, maxSteps: 4, haltBias: 0.5, haltedTokens }, rng);
        r.halt!.weight.assign(tf.tensor(new Rng(5).normalArray(dim).map((v) => 1.5 * v), r.halt!.weight.shape));
        return r;
      };
      const a = await run(make('masked', false), withMask), b = await run(make('gathered', false), withMask), c = await run(make('gathered', true), withMask);
      await expectSame(a, b);
      expect(b.stats['ut.avg_depth']).toBeCloseTo(c.stats['ut.avg_depth'] as number, 6);
      expect(b.stats['ut.block_rows']).toBeLessThan(c.stats['ut.block_rows'] as number); // packed < padded per sequence
    });
  }

  it('MoR token-choice: packed equals masked, gradients included', async () => {
    const make = (inactiveTokens: 'masked' | 'gathered') => {
      const rng = new Rng(4);
      const m = new MixtureOfRecursions(new TransformerBlock({ dim, numHeads: 2, causal: true }, rng), { dim, maxRecursions: 3, routing: 'token-choice', inactiveTokens }, rng);
      for (const v of m.routers.at(0).parameters()) v.assign(tf.mul(v, 8));
      return m;
    };
    const a = await run(make('masked'), true), b = await run(make('gathered'), true);
    await expectSame(a, b);
    expect(b.stats['mor.block_rows']).toBeLessThan(a.stats['mor.block_rows'] as number);
  });
}, { only: ['wasm', 'cpu'] });

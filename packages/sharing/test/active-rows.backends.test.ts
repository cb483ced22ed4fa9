// The gathered modes (ACT haltedTokens: 'gathered', token-choice MoR inactiveTokens: 'gathered') run
// on every backend and equal their masked dense form there: loss within 1e-4, and the gradients too
// where the backend really gathers (wasm and cpu: fewer rows). webgpu cannot read the mask back
// synchronously inside a taped forward and runs the masked form, so its forward is checked.
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { ForwardContext, Rng, TransformerBlock, type Module, type SequenceInput } from '@weft/core';
import { describeBackends } from '@weft/core/testing';
import { MixtureOfRecursions, RecurrentBlock, canGatherRows } from '@weft/sharing';

const dim = 8, B = 2, T = 5;

/** Loss (probe·output + weighted aux losses) and, where the backend gathers, the gradients too (on webgpu both modes run the same masked code: its forward suffices, and SwiftShader's shader compiles are slow). */
async function run(model: Module<SequenceInput, tf.Tensor>) {
  const x = tf.variable(tf.tensor3d(new Rng(11).normalArray(B * T * dim), [B, T, dim]));
  const mask = tf.tensor2d([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]]);
  const probe = tf.tensor3d(new Rng(12).normalArray(B * T * dim), [B, T, dim]);
  const ctx = new ForwardContext({ collectStats: true, training: true });
  const vars = [x, ...model.parameters()];
  const f = () => {
    const y = model.forward({ x, attentionMask: mask }, ctx);
    const aux = ctx.auxLosses.reduce((s, a) => tf.add(s, tf.mul(a.value, a.weight)), tf.scalar(0));
    return tf.add(tf.sum(tf.mul(y, probe)), aux) as tf.Scalar;
  };
  const { value, grads } = canGatherRows() ? tf.variableGrads(f, vars) : { value: tf.tidy(f), grads: {} as tf.NamedTensorMap };
  const out = { loss: (await value.data())[0]!, grads: canGatherRows() ? await Promise.all(vars.map((v) => grads[v.name]!.data())) : [], stats: await ctx.readStats() };
  tf.dispose([x, mask, probe, value, ...Object.values(grads)]);
  return out;
}

function expectClose(a: Awaited<ReturnType<typeof run>>, b: Awaited<ReturnType<typeof run>>) {
  expect(Math.abs(a.loss - b.loss)).toBeLessThan(1e-4 * Math.max(1, Math.abs(a.loss)));
  a.grads.forEach((g, i) => g.forEach((v, j) => expect(Math.abs(v - b.grads[i]![j]!)).toBeLessThan(1e-4)));
}

describeBackends('gathered ACT and MoR', (backend) => {
  // One test, few steps: webgpu on SwiftShader compiles a shader per kernel shape (slow).
  it('ACT and token-choice MoR: gathered equals masked; rows fall where the backend can gather', async () => {
    const act = (haltedTokens: 'masked' | 'gathered') => {
      const rng = new Rng(3);
      const r = new RecurrentBlock(new TransformerBlock({ dim, numHeads: 2 }, rng), { dim, maxSteps: 3, haltBias: 0.5, haltedTokens }, rng);
      r.halt!.weight.assign(tf.tensor(new Rng(5).normalArray(dim).map((v) => 1.5 * v), r.halt!.weight.shape));
      return r;
    };
    const a = await run(act('masked')), b = await run(act('gathered'));
    expectClose(a, b);
    expect(canGatherRows()).toBe(backend !== 'webgpu');
    if (canGatherRows()) expect(b.stats['ut.block_rows']).toBeLessThan(a.stats['ut.block_rows'] as number);
    else expect(b.stats['ut.block_rows']).toBe(a.stats['ut.block_rows']);
    const mor = (inactiveTokens: 'masked' | 'gathered') => {
      const rng = new Rng(4);
      const m = new MixtureOfRecursions(new TransformerBlock({ dim, numHeads: 2 }, rng), { dim, maxRecursions: 2, routing: 'token-choice', inactiveTokens }, rng);
      for (const v of m.routers.at(0).parameters()) v.assign(tf.mul(v, 8));
      return m;
    };
    const c = await run(mor('masked')), d = await run(mor('gathered'));
    expectClose(c, d);
    expect((d.stats['mor.depth_histogram'] as number[])[2]).toBeGreaterThan(0); // some tokens take the second recursion
  });
});

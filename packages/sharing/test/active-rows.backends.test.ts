// The gathered modes (ACT haltedTokens: 'gathered', token-choice MoR inactiveTokens: 'gathered') run
// on every backend and equal their masked dense form there: loss within 1e-4, and the gradients too
// where the backend really gathers (wasm and cpu: fewer rows). webgpu cannot read the mask back
// synchronously inside a taped forward and runs the masked form, so its forward is checked.
// Expert-choice MoR gathers its fixed top-k_r on the device on every backend, webgpu included: its
// loss and gradients equal a dense masked reference written here (the block run on every row with the
// unselected tokens out of attention, the update applied to the selected ones) within 1e-4, and the
// block runs B·Σk_r rows instead of B·T·Nr (16 of 20 here; a small case: SwiftShader compiles a shader per kernel shape).
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { ForwardContext, Module, Rng, TransformerBlock, type SequenceInput } from '@weft/core';
import { describeBackends } from '@weft/core/testing';
import { MixtureOfRecursions, RecurrentBlock, canGatherRows, noGrad } from '@weft/sharing';

const dim = 8, B = 2, T = 5;

/** Loss (probe·output + weighted aux losses) and, where the backend gathers, the gradients too (on webgpu both modes run the same masked code: its forward suffices, and SwiftShader's shader compiles are slow). */
async function run(model: Module<SequenceInput, tf.Tensor>, withGrads = canGatherRows()) {
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
  const { value, grads } = withGrads ? tf.variableGrads(f, vars) : { value: tf.tidy(f), grads: {} as tf.NamedTensorMap };
  const out = { loss: (await value.data())[0]!, grads: withGrads ? await Promise.all(vars.map((v) => grads[v.name]!.data())) : [], stats: await ctx.readStats() };
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

/**
 * Expert-choice MoR written densely (the reference): at recursion r the router's top-k_r of the
 * candidates (the same rule: non-candidates scored −1e9), the block run on every row with only the
 * selected tokens as keys, h ← h + sel·σ(logit)·(f(h) − h); the BCE aux loss on the selection. Same
 * parameters as `mor` (it reads its routers and block).
 */
class DenseExpertChoice extends Module<SequenceInput, tf.Tensor> {
  constructor(readonly mor: MixtureOfRecursions) {
    super();
    this.addModule('mor', mor);
  }
  forward(input: SequenceInput, ctx: ForwardContext): tf.Tensor {
    const { x, attentionMask } = input as { x: tf.Tensor; attentionMask: tf.Tensor };
    const [B, T] = x.shape as [number, number, number];
    const kept = this.mor.keptPerStep(T);
    let h = x;
    let cand: tf.Tensor = attentionMask;
    kept.forEach((k, r) => {
      const logits = tf.reshape(this.mor.routers.at(r).forward(h, ctx), [B, T]); // (B, T, 1) -> (B, T)
      const sel = k === T ? attentionMask : noGrad([logits, cand], (l, c) => tf.sum(tf.oneHot(tf.topk(tf.where(tf.greater(c, 0), l, tf.fill([B, T], -1e9)), k).indices as tf.Tensor1D, T, 1, 0, 'float32'), 1)); // (B, k, T) -> (B, T)
      const y = this.mor.block.forward({ x: h, attentionMask: tf.mul(sel, attentionMask) }, ctx);
      h = tf.add(h, tf.mul(tf.expandDims(tf.mul(sel, tf.sigmoid(logits)), -1), tf.sub(y, h))); // (B, T) -> (B, T, 1)
      ctx.addAuxLoss('mor.router_bce', tf.losses.sigmoidCrossEntropy(sel, logits, attentionMask) as tf.Scalar, this.mor.settings.auxWeight / kept.length);
      cand = sel;
    });
    return h;
  }
}

describeBackends('expert-choice MoR gathers on the device', () => {
  it('equals the dense masked reference (loss and gradients); the block runs B·Σk_r rows', async () => {
    const mor = new MixtureOfRecursions(new TransformerBlock({ dim, numHeads: 2, causal: true }, new Rng(6)), { dim, maxRecursions: 2 }, new Rng(7));
    const kept = mor.keptPerStep(T);
    expect(kept).toEqual([5, 3]); // (Nr − r)/Nr of T = 5, rounded; at k = T = 5 the padded sequence's 2 padding tokens are picked too (and must not move)
    const g = await run(mor, true);
    const ref = await run(new DenseExpertChoice(mor), true);
    expectClose(g, ref);
    expect(g.stats['mor.block_rows']).toBe(B * (5 + 3)); // 16 rows, against B·T·Nr = 20 for the dense form
    mor.dispose();
  });
});

// The MoE layer's aux losses on every backend (wasm, cpu; webgpu in Node and in Chromium; webgl): with
// a softmax router the layer takes its balance loss from counted choices and its z-loss from the
// router's probabilities, each with its gradient written out (losses.ts). Here the layer's weighted
// aux total and its gradient for the router's weights equal the op-by-op forms — the one-hot
// loadBalancingLoss on the router's probs and choices, and mean(logSumExp(logits)²) — through
// autodiff (1e-5), for the 'switch', 'gshard' and 'mixtral' balance forms; nothing leaks.
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { ForwardContext, Rng } from '@weft/core';
import { describeBackends } from '@weft/core/testing';
import { loadBalancingLoss, MoE } from '../src/index.js';

const TOL = 1e-5;

describeBackends('MoE aux losses', () => {
  for (const loadBalance of ['switch', 'gshard', 'mixtral'] as const) {
    it(`${loadBalance}: the aux total and its router gradient equal the op-by-op losses (1e-5)`, async () => {
      const m = new MoE({ dim: 6, numExperts: 8, topK: 2, hidden: 8, router: 'mixtral', loadBalance, loadBalanceWeight: 0.5, zLossWeight: 0.25 }, new Rng(4));
      const x = tf.tensor2d(new Rng(5).normalArray(16 * 6), [16, 6]);
      const vars = m.router.trainableParameters();
      const before = tf.memory().numTensors;
      const [ours, ref] = tf.tidy(() => {
        const layer = tf.variableGrads(() => {
          const ctx = new ForwardContext({ training: true, seed: 1 });
          m.forward(x, ctx);
          return ctx.totalAuxLoss();
        }, vars);
        const opByOp = tf.variableGrads(() => {
          const r = m.router.forward(x, new ForwardContext({ training: true, seed: 1 }));
          const indices = loadBalance === 'mixtral' ? r.choices! : tf.slice(r.choices!, [0, 0], [-1, 1]);
          const balance = loadBalancingLoss(loadBalance, { probs: r.probs, indices });
          const z = tf.mean(tf.square(tf.logSumExp(r.logits!, 1)));
          return tf.add(tf.mul(balance, 0.5), tf.mul(z, 0.25)) as tf.Scalar;
        }, vars);
        return [layer, opByOp];
      });
      expect(Math.abs((await ours.value.data())[0]! - (await ref.value.data())[0]!)).toBeLessThan(TOL);
      for (const v of vars) {
        const d = tf.tidy(() => tf.max(tf.abs(tf.sub(ours.grads[v.name]!, ref.grads[v.name]!))));
        expect((await d.data())[0]!, v.name).toBeLessThan(TOL);
        d.dispose();
      }
      tf.dispose([ours.value, ref.value, ...Object.values(ours.grads), ...Object.values(ref.grads)]);
      expect(tf.memory().numTensors).toBe(before);
      x.dispose();
      m.dispose();
    });
  }
});

// Aux losses against the published formulas and transformers' test values
// (tests/models/switch_transformers/test_modeling_switch_transformers.py): load_balancing_loss_func
// on its 5×2 example = 0.8741045, router_z_loss_func on its (2, 6, 4) logits = 13.786719, and the
// SwitchTransformersTop1Router test (aux 1.000308, z 0.4789799) — all to 1e-5 as transformers checks (places=5).
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ForwardContext, Rng } from '@weft/core';
import {
  gshardLoadBalancingLoss, loadBalancingLoss, mixtralLoadBalancingLoss, routerEntropy, routerZLoss, SwitchRouter, switchLoadBalancingLoss,
} from '../src/index.js';

const v = async (t: tf.Tensor) => {
  const x = (await t.data())[0]!;
  t.dispose();
  return x;
};

const HF_PROBS = [
  [0.35490513, 0.60419905],
  [0.4275843, 0.23061597],
  [0.32985854, 0.43953657],
  [0.25099766, 0.27730572],
  [0.7678207, 0.71474564],
];
const HF_LOGITS = [
  [
    [-4.2124424, 3.891939, -3.6481273, 1.8849981],
    [0.32625437, 2.918651, 0.84758997, -4.556842],
    [-3.32062, 4.6977115, -0.15439987, 0.44086337],
    [3.4467149, 4.3436565, -4.7224274, -4.264637],
    [-2.224406, -2.5318158, -1.3832569, 1.1891162],
    [-2.320062, -0.44705987, 4.289819, -0.00662684],
  ],
  [
    [0.99470854, -0.6992364, 0.25503993, 4.2952085],
    [3.5937333, -3.2408535, -4.298278, 4.426601],
    [0.7669008, 2.6588762, 2.4505413, 4.6051874],
    [0.23330331, -3.0845237, 0.6262374, -2.9865491],
    [0.7595146, -2.1099675, -4.155346, -2.8326452],
    [2.3771453, 1.004138, -3.1781673, 0.7581556],
  ],
];

describe('aux losses', () => {
  it("Switch load balance = transformers' 0.8741045 on its 5×2 example", async () => {
    const probs = tf.tensor2d(HF_PROBS);
    const idx = tf.tensor2d([[0], [1], [1], [0], [0]], [5, 1], 'int32');
    expect(Math.abs((await v(switchLoadBalancingLoss(probs, idx))) - 0.8741045)).toBeLessThan(1e-5);
    // Hand formula: E · Σ_e f_e P_e.
    const f = [3 / 5, 2 / 5];
    const P = [0, 1].map((e) => HF_PROBS.reduce((s, r) => s + r[e]!, 0) / 5);
    expect(Math.abs(2 * (f[0]! * P[0]! + f[1]! * P[1]!) - 0.8741045)).toBeLessThan(1e-6);
    // GShard's paper form is the same with mean_e instead of E·Σ_e (÷ E²).
    expect(Math.abs((await v(gshardLoadBalancingLoss(probs, tf.tensor1d([0, 1, 1, 0, 0], 'int32')))) - 0.8741045 / 4)).toBeLessThan(1e-6);
    tf.dispose([probs, idx]);
  });

  it("router z-loss = transformers' 13.786719 on its (2, 6, 4) logits", async () => {
    const logits = tf.tensor3d(HF_LOGITS);
    expect(Math.abs((await v(routerZLoss(logits))) - 13.786719)).toBeLessThan(1e-5);
    logits.dispose();
  });

  it("the Switch router on transformers' router test: aux 1.000308, z 0.4789799", async () => {
    const router = new SwitchRouter({ jitter: 0 }, { dim: 4, numExperts: 2, topK: 1, capacityFactor: null }, new Rng(0));
    // transformers stores the classifier [out, in] and the test transposes; ours is [in, out]: the listed matrix as is.
    router.classifier.weight.assign(tf.tensor2d([[0.02008116, 0.00620062], [-0.00811031, -0.00031623], [-0.03542127, 0.02703803], [0.02335377, -0.02971946]]));
    const x = tf.tensor2d([
      [0.6433916, 0.18188512, 0.02240455, 0.563781], [0.5526401, 0.0958724, 0.34253013, 0.03644359], [0.08744538, 0.7909105, 0.35205448, 0.53364205],
      [0.02900076, 0.4168595, 0.5802449, 0.91486526], [0.27414513, 0.14991808, 0.9383501, 0.5209162], [0.51207185, 0.90618336, 0.7309413, 0.95533276],
    ]);
    const [aux, z] = tf.tidy(() => {
      const r = router.forward(x, new ForwardContext());
      return [loadBalancingLoss('switch', r.probs, r.choices!), routerZLoss(r.logits!)];
    });
    expect(Math.abs((await v(aux!)) - 1.000308)).toBeLessThan(1e-5);
    expect(Math.abs((await v(z!)) - 0.4789799)).toBeLessThan(1e-5);
    x.dispose();
    router.dispose();
  });

  it('Mixtral form counts every one of the k choices: E · Σ_e (Σ_slot f) · P_e', async () => {
    const probs = [[0.5, 0.3, 0.2], [0.1, 0.6, 0.3], [0.2, 0.2, 0.6], [0.7, 0.2, 0.1]];
    const idx = [[0, 1], [1, 2], [2, 0], [0, 1]];
    const counts = [0, 0, 0];
    for (const row of idx) for (const e of row) counts[e]! += 1;
    const P = [0, 1, 2].map((e) => probs.reduce((s, r) => s + r[e]!, 0) / 4);
    const want = 3 * counts.reduce((s, c, e) => s + (c / 4) * P[e]!, 0);
    const got = await v(mixtralLoadBalancingLoss(tf.tensor2d(probs), tf.tensor2d(idx, [4, 2], 'int32')));
    expect(Math.abs(got - want)).toBeLessThan(1e-6);
    // With distinct choices per token it equals the Switch form over the same choices (a token counts once per expert).
    const sw = await v(switchLoadBalancingLoss(tf.tensor2d(probs), tf.tensor2d(idx, [4, 2], 'int32')));
    expect(Math.abs(sw - want)).toBeLessThan(1e-6);
  });

  it('entropy: uniform over E is log E, one-hot is 0', async () => {
    expect(Math.abs((await v(routerEntropy(tf.fill([3, 8], 1 / 8)))) - Math.log(8))).toBeLessThan(1e-6);
    expect(await v(routerEntropy(tf.oneHot(tf.tensor1d([1, 2], 'int32'), 4)))).toBeCloseTo(0, 6);
  });
});

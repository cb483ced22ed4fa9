// Aux losses against the published formulas and transformers' test values
// (tests/models/switch_transformers/test_modeling_switch_transformers.py): load_balancing_loss_func
// on its 5×2 example = 0.8741045, router_z_loss_func on its (2, 6, 4) logits = 13.786719, and the
// SwitchTransformersTop1Router test (aux 1.000308, z 0.4789799) — all to 1e-5 as transformers checks
// (places=5); from logits, as transformers' functions take them, against a plain-JS transcription of
// transformers' Mixtral `load_balancing_loss_func` (softmax, top-k, attention mask over layers).
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ForwardContext, Rng } from '@weft/core';
import { gradCheck } from '@weft/core/testing';
import {
  choiceBalancingLoss, gshardLoadBalancingLoss, loadBalancingLoss, mixtralLoadBalancingLoss, routerEntropy, routerZLoss, SwitchRouter, switchLoadBalancingLoss,
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
    expect(Math.abs((await v(switchLoadBalancingLoss({ probs, indices: idx }))) - 0.8741045)).toBeLessThan(1e-5);
    // Hand formula: E · Σ_e f_e P_e.
    const f = [3 / 5, 2 / 5];
    const P = [0, 1].map((e) => HF_PROBS.reduce((s, r) => s + r[e]!, 0) / 5);
    expect(Math.abs(2 * (f[0]! * P[0]! + f[1]! * P[1]!) - 0.8741045)).toBeLessThan(1e-6);
    // GShard's paper form is the same with mean_e instead of E·Σ_e (÷ E²).
    expect(Math.abs((await v(gshardLoadBalancingLoss({ probs, indices: tf.tensor1d([0, 1, 1, 0, 0], 'int32') }))) - 0.8741045 / 4)).toBeLessThan(1e-6);
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
    const [aux, auxFromLogits, z] = tf.tidy(() => {
      const r = router.forward(x, new ForwardContext());
      return [loadBalancingLoss('switch', { probs: r.probs, indices: r.choices! }), loadBalancingLoss('switch', r.logits!), routerZLoss(r.logits!)];
    });
    expect(Math.abs((await v(aux!)) - 1.000308)).toBeLessThan(1e-5);
    expect(Math.abs((await v(auxFromLogits!)) - 1.000308)).toBeLessThan(1e-5); // softmax and argmax inside
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
    const got = await v(mixtralLoadBalancingLoss({ probs: tf.tensor2d(probs), indices: tf.tensor2d(idx, [4, 2], 'int32') }));
    expect(Math.abs(got - want)).toBeLessThan(1e-6);
    // With distinct choices per token it equals the Switch form over the same choices (a token counts once per expert).
    const sw = await v(switchLoadBalancingLoss({ probs: tf.tensor2d(probs), indices: tf.tensor2d(idx, [4, 2], 'int32') }));
    expect(Math.abs(sw - want)).toBeLessThan(1e-6);
  });

  it("Mixtral from logits = transformers' load_balancing_loss_func (softmax, top-k, layers concatenated, padding masked)", async () => {
    // Two layers' router logits for a batch of B = 2 sequences of T = 6 tokens, E = 4 (transformers' tuple of (B·T, E)).
    const layer1 = HF_LOGITS.flat();
    const layer2 = layer1.map((row, i) => row.map((l, e) => 0.5 * l - 0.3 * ((i + e) % 3)));
    const mask = [[1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1]];
    for (const topK of [1, 2, 3]) {
      for (const withMask of [false, true]) {
        const want = hfMixtralLoss([layer1, layer2], 4, topK, withMask ? mask : null);
        const got = await v(tf.tidy(() => mixtralLoadBalancingLoss([tf.tensor2d(layer1), tf.tensor2d(layer2)], withMask ? { topK, attentionMask: tf.tensor2d(mask) } : { topK })));
        expect(Math.abs(got - want), `topK ${topK}, mask ${withMask}`).toBeLessThan(1e-5);
      }
    }
    // Masking a token is leaving it out: the loss over the 10 real tokens of each layer, unmasked.
    const kept = (rows: number[][]) => rows.filter((_, i) => mask[Math.floor(i / 6)]![i % 6] === 1);
    const masked = await v(tf.tidy(() => mixtralLoadBalancingLoss([tf.tensor2d(layer1), tf.tensor2d(layer2)], { attentionMask: tf.tensor2d(mask) })));
    const dropped = await v(tf.tidy(() => mixtralLoadBalancingLoss([tf.tensor2d(kept(layer1)), tf.tensor2d(kept(layer2))])));
    expect(Math.abs(masked - dropped)).toBeLessThan(1e-6);
    // The default k is transformers' top_k = 2; from logits = from their softmax and top-k as probs and indices.
    const fromChoices = await v(tf.tidy(() => {
      const p = tf.softmax(tf.tensor2d(layer1));
      return mixtralLoadBalancingLoss({ probs: p, indices: tf.topk(p, 2).indices });
    }));
    expect(Math.abs((await v(tf.tidy(() => mixtralLoadBalancingLoss(tf.tensor2d(layer1))))) - fromChoices)).toBeLessThan(1e-6);
  });

  it("Switch from (B, T, E) logits: one group per sequence, as transformers' Switch function (mean over groups of f·P)", async () => {
    const want = HF_LOGITS.map((seq) => {
      const p = seq.map(softmaxRow);
      const f = [0, 1, 2, 3].map((e) => p.filter((row) => argmax(row) === e).length / p.length);
      const P = [0, 1, 2, 3].map((e) => p.reduce((s, row) => s + row[e]!, 0) / p.length);
      return 16 * (f.reduce((s, fe, e) => s + fe * P[e]!, 0) / 4);
    });
    const got = await v(tf.tidy(() => switchLoadBalancingLoss(tf.tensor3d(HF_LOGITS))));
    expect(Math.abs(got - (want[0]! + want[1]!) / 2)).toBeLessThan(1e-5);
    // Padding leaves the padded tokens out of their group's means; GShard's form the same over E².
    const mask = tf.tensor2d([[1, 1, 1, 0, 0, 0], [1, 1, 1, 1, 1, 1]]);
    const short = HF_LOGITS.map((seq, b) => (b === 0 ? seq.slice(0, 3) : seq));
    const group = (seq: number[][]) => {
      const p = seq.map(softmaxRow);
      const f = [0, 1, 2, 3].map((e) => p.filter((row) => argmax(row) === e).length / p.length);
      const P = [0, 1, 2, 3].map((e) => p.reduce((s, row) => s + row[e]!, 0) / p.length);
      return f.reduce((s, fe, e) => s + fe * P[e]!, 0) / 4;
    };
    const wantMasked = (group(short[0]!) + group(short[1]!)) / 2;
    const [sw, gs] = await Promise.all([
      v(tf.tidy(() => switchLoadBalancingLoss(tf.tensor3d(HF_LOGITS), { attentionMask: mask }))),
      v(tf.tidy(() => gshardLoadBalancingLoss(tf.tensor3d(HF_LOGITS), { attentionMask: mask }))),
    ]);
    expect(Math.abs(sw - 16 * wantMasked)).toBeLessThan(1e-5);
    expect(Math.abs(gs - wantMasked)).toBeLessThan(1e-6);
    mask.dispose();
  });

  it('z-loss with an attention mask averages over the real tokens only; a list of layers concatenates', async () => {
    const mask = tf.tensor2d([[1, 1, 0, 0, 0, 0], [1, 1, 1, 1, 1, 0]]);
    const rows = HF_LOGITS.flat();
    const keptRows = rows.filter((_, i) => (i < 6 ? i < 2 : i - 6 < 5));
    const want = keptRows.reduce((s, row) => s + logSumExp(row) ** 2, 0) / keptRows.length;
    expect(Math.abs((await v(tf.tidy(() => routerZLoss(tf.tensor3d(HF_LOGITS), { attentionMask: mask })))) - want)).toBeLessThan(1e-4);
    const two = await v(tf.tidy(() => routerZLoss([tf.tensor2d(rows), tf.tensor2d(rows)], { attentionMask: mask })));
    expect(Math.abs(two - want)).toBeLessThan(1e-4);
    mask.dispose();
  });

  it("z-loss gradient (written out, ∂/∂l = 2·w·lse·softmax(l)/Σw) equals autodiff of the op-by-op mean of logSumExp², with and without a mask and with the softmax given (1e-6), and finite differences", async () => {
    const l = tf.variable(tf.tensor3d(HF_LOGITS));
    const mask = tf.tensor2d([[1, 1, 0, 0, 0, 0], [1, 1, 1, 1, 1, 0]]);
    const w = tf.reshape(mask, [2, 6, 1]);
    const composed = (m: boolean) => () => {
      const z = tf.square(tf.logSumExp(l, 2, true)); // (2, 6, 1)
      return (m ? tf.div(tf.sum(tf.mul(z, w)), tf.sum(w)) : tf.mean(z)) as tf.Scalar;
    };
    for (const m of [false, true]) {
      const ours = tf.variableGrads(() => routerZLoss(l, m ? { attentionMask: mask } : {}), [l]);
      const ref = tf.variableGrads(composed(m), [l]);
      expect(Math.abs((await ours.value.data())[0]! - (await ref.value.data())[0]!)).toBeLessThan(1e-4);
      const d = await v(tf.max(tf.abs(tf.sub(ours.grads[l.name]!, ref.grads[l.name]!))));
      expect(d, `mask ${m}`).toBeLessThan(1e-6);
      tf.dispose([ours.value, ref.value, ...Object.values(ours.grads), ...Object.values(ref.grads)]);
      const r = await gradCheck(() => routerZLoss(l, m ? { attentionMask: mask } : {}), { l }, { maxEntries: 12 });
      expect(r.ok, JSON.stringify(r.failures)).toBe(true);
      // The router's own softmax given as `probs`: the same value and gradient.
      const given = tf.variableGrads(() => routerZLoss(l, { ...(m ? { attentionMask: mask } : {}), probs: tf.softmax(l) }), [l]);
      const again = tf.variableGrads(composed(m), [l]);
      expect(Math.abs((await given.value.data())[0]! - (await again.value.data())[0]!)).toBeLessThan(1e-4);
      expect(await v(tf.max(tf.abs(tf.sub(given.grads[l.name]!, again.grads[l.name]!))))).toBeLessThan(1e-6);
      tf.dispose([given.value, again.value, ...Object.values(given.grads), ...Object.values(again.grads)]);
    }
    expect(() => routerZLoss(l, { probs: tf.zeros([2, 6]) })).toThrow('routerZLoss: probs has shape [2,6]; expected one tensor shaped as the logits [2,6,4]');
    const before = tf.memory().numTensors;
    tf.dispose(tf.tidy(() => tf.grads((x: tf.Tensor) => routerZLoss(x))([l])));
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([l, mask, w]);
  });

  it('choiceBalancingLoss (choices counted, gradient written out) equals loadBalancingLoss on probs and choices, values and gradients (1e-6), and finite differences', async () => {
    const rng = new Rng(21);
    for (const [n, e, k] of [[9, 5, 1], [12, 6, 2], [7, 4, 3]] as const) {
      const probs = tf.variable(tf.softmax(tf.tensor2d(rng.normalArray(n * e), [n, e])) as tf.Tensor2D);
      const choices = tf.topk(tf.tensor2d(rng.normalArray(n * e), [n, e]), k).indices as tf.Tensor2D; // distinct experts per row, as routers choose
      for (const form of ['switch', 'gshard', 'mixtral'] as const) {
        const ours = tf.variableGrads(() => choiceBalancingLoss(form, probs, choices), [probs]);
        const ref = tf.variableGrads(() => loadBalancingLoss(form, { probs, indices: choices }), [probs]);
        const what = `${form} N=${n} E=${e} k=${k}`;
        expect(Math.abs((await ours.value.data())[0]! - (await ref.value.data())[0]!), what).toBeLessThan(1e-6);
        expect(await v(tf.max(tf.abs(tf.sub(ours.grads[probs.name]!, ref.grads[probs.name]!)))), what).toBeLessThan(1e-6);
        tf.dispose([ours.value, ref.value, ...Object.values(ours.grads), ...Object.values(ref.grads)]);
        const r = await gradCheck(() => choiceBalancingLoss(form, probs, choices), { probs }, { maxEntries: 8 });
        expect(r.ok, `${what} ${JSON.stringify(r.failures)}`).toBe(true);
      }
      const before = tf.memory().numTensors;
      tf.dispose(tf.tidy(() => tf.grads((p: tf.Tensor) => choiceBalancingLoss('mixtral', p as tf.Tensor2D, choices))([probs])));
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([probs, choices]);
    }
    const p = tf.ones([3, 4]) as tf.Tensor2D;
    expect(() => choiceBalancingLoss('sequence' as never, p, tf.zeros([3, 1], 'int32') as tf.Tensor2D)).toThrow('choiceBalancingLoss: form="sequence" must be one of "switch", "gshard", "mixtral"');
    expect(() => choiceBalancingLoss('switch', p, tf.zeros([3, 1]) as tf.Tensor2D)).toThrow('choiceBalancingLoss: choices must be an int32 (N, k) tensor, k ≥ 1, for the N=3 rows of probs; got float32 [3,1]');
    expect(() => choiceBalancingLoss('switch', p, tf.zeros([2, 1], 'int32') as tf.Tensor2D)).toThrow('for the N=3 rows of probs; got int32 [2,1]');
    p.dispose();
  });

  it('clear errors: k from indices, mask sizes, options', () => {
    const p = tf.tensor2d(HF_PROBS);
    const i = tf.tensor2d([[0], [1], [1], [0], [0]], [5, 1], 'int32');
    expect(() => mixtralLoadBalancingLoss({ probs: p, indices: i }, { topK: 2 })).toThrow('mixtralLoadBalancingLoss: topK=2 is given with probs and indices; the indices give k (leave topK unset)');
    expect(() => mixtralLoadBalancingLoss(p, { topK: 3 })).toThrow('mixtralLoadBalancingLoss: topK=3 must be ≤ the number of experts 2');
    expect(() => switchLoadBalancingLoss(p, { attentionMask: tf.ones([3]) })).toThrow('attentionMask has shape [3] (3 tokens); the 5 routed rows must be a whole number of copies of it (one per layer)');
    expect(() => loadBalancingLoss('gshard', p, { topK: 2 })).toThrow("loadBalancingLoss: topK=2 applies to the 'mixtral' form; 'gshard' counts the first choice");
    expect(() => loadBalancingLoss('nope' as never, p)).toThrow('loadBalancingLoss: form="nope" must be one of "switch", "gshard", "mixtral"');
    tf.dispose([p, i]);
  });

  it('entropy: uniform over E is log E, one-hot is 0', async () => {
    expect(Math.abs((await v(routerEntropy(tf.fill([3, 8], 1 / 8)))) - Math.log(8))).toBeLessThan(1e-6);
    expect(await v(routerEntropy(tf.oneHot(tf.tensor1d([1, 2], 'int32'), 4)))).toBeCloseTo(0, 6);
  });
});

function softmaxRow(row: number[]): number[] {
  const m = Math.max(...row);
  const ex = row.map((l) => Math.exp(l - m));
  const z = ex.reduce((a, b) => a + b, 0);
  return ex.map((e) => e / z);
}

function logSumExp(row: number[]): number {
  const m = Math.max(...row);
  return m + Math.log(row.reduce((s, l) => s + Math.exp(l - m), 0));
}

const argmax = (row: number[]) => row.indexOf(Math.max(...row));

/** Indices of the k largest entries, largest first. */
const topk = (row: number[], k: number) => row.map((x, i) => [x, i] as const).sort((a, b) => b[0] - a[0]).slice(0, k).map(([, i]) => i);

/**
 * transformers' Mixtral `load_balancing_loss_func(gate_logits, num_experts, top_k, attention_mask)`
 * in plain JS: concatenate the layers' (B·T, E) logits, softmax, top-k, one-hot (N, k, E); without a
 * mask tokens_per_expert = mean over N (k, E) and router_prob = mean over N (E); with a (B, T) mask
 * repeated per layer, both are sums over the real tokens divided by their count; the loss is
 * E · Σ tokens_per_expert · router_prob.
 */
function hfMixtralLoss(layers: number[][][], e: number, k: number, mask: number[][] | null): number {
  const rows = layers.flat();
  const flatMask = mask ? mask.flat() : null;
  const w = rows.map((_, i) => (flatMask ? flatMask[i % flatMask.length]! : 1));
  const wSum = w.reduce((a, b) => a + b, 0);
  const tpe = Array.from({ length: k }, () => new Array<number>(e).fill(0));
  const prob = new Array<number>(e).fill(0);
  rows.forEach((row, n) => {
    const p = softmaxRow(row);
    topk(p, k).forEach((ex, slot) => (tpe[slot]![ex]! += w[n]!));
    p.forEach((pe, ex) => (prob[ex]! += w[n]! * pe));
  });
  let loss = 0;
  for (let slot = 0; slot < k; slot++) for (let ex = 0; ex < e; ex++) loss += (tpe[slot]![ex]! / wSum) * (prob[ex]! / wSum);
  return loss * e;
}

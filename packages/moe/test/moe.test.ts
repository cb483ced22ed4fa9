// The MoE layer as a user meets it: ledger counts (router + shared + k/E of the experts active),
// gradients against finite differences, as the ffn of core's TransformerBlock / TinyTransformer
// (trains, no tensor growth), aux losses and stats through the forward context, MoV/MoLoRA
// (frozen base, only expert parameters train, B = 0 starts as the base FFN), and clear errors for
// bad configs and inputs (NaN router logits stop the trainer).
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  ForwardContext, MLP, NonFiniteLossError, Rng, TinyTransformer, TransformerBlock, makeOptimizer, parameterLedger, reverseTask,
  softmaxCrossEntropy, train,
} from '@weft/core';
import { describeBackends, gradCheck, leakCheck } from '@weft/core/testing';
import { MoE, RouterGRU, StackedExperts, loadBalancingLoss, makeRouter, routerZLoss } from '../src/index.js';

const floats = (rng: Rng, shape: number[]) => tf.tensor(rng.normalArray(shape.reduce((a, b) => a * b, 1)), shape);

describe('ledger', () => {
  it('active = router + shared + k/E of the routed experts; stored counts everything', () => {
    const m = new MoE({ dim: 8, numExperts: 8, topK: 2, hidden: 16, sharedExperts: 1, sharedHidden: 12 }, new Rng(1));
    const t = parameterLedger(m).totals;
    const router = 2 * 8 * 8; // gate + noise [8, 8]
    const experts = 8 * (8 * 16 + 16 + 16 * 8 + 8);
    const shared = 8 * 12 + 12 + 12 * 8 + 8;
    expect(t.stored).toBe(router + experts + shared);
    expect(t.active).toBeCloseTo(router + shared + (2 / 8) * experts, 6);
    expect(t.trainable).toBe(t.stored);
    m.dispose();
  });
  it('MoV / MoLoRA: the frozen base is active for every token, stored once, not trainable', () => {
    for (const expert of ['ia3', 'lora'] as const) {
      const m = new MoE({ dim: 8, numExperts: 4, topK: 1, hidden: 16, expert, router: 'mixtral', loraRank: 2 }, new Rng(1));
      const t = parameterLedger(m).totals;
      const base = 8 * 16 + 16 + 16 * 8 + 8;
      const perExpert = expert === 'ia3' ? 16 : 8 * 2 + 2 * 16 + 16 * 2 + 2 * 8;
      const router = 8 * 4;
      expect(t.stored).toBe(base + 4 * perExpert + router);
      expect(t.trainable).toBe(4 * perExpert + router);
      expect(t.active).toBeCloseTo(base + router + perExpert, 6);
      expect(m.experts.perExpertParameters()).toBe(perExpert);
      m.dispose();
    }
  });
  it('expert-choice: active share is c·k/E (from its registry entry), reported by the layer for its experts', () => {
    const m = new MoE({ dim: 4, numExperts: 8, topK: 2, hidden: 4, router: 'expert-choice', capacityFactor: 1.5 }, new Rng(1));
    expect(m.expertShare).toBeCloseTo(3 / 8, 9);
    expect(m.activeShareOf('experts')).toBeCloseTo(3 / 8, 9);
    const t = parameterLedger(m).totals;
    const experts = m.experts.parameters().reduce((s, v) => s + v.size, 0);
    expect(t.active).toBeCloseTo(t.stored - experts + (3 / 8) * experts, 6);
    m.dispose();
  });
});

describeBackends('MoE layer', () => {
  it('gradients of the sparse layer match finite differences (mixtral, capacity; topk dropless)', async () => {
    for (const cfg of [
      { router: 'mixtral', capacityFactor: 1 },
      { router: 'topk', sharedExperts: 1 },
    ]) {
      const m = new MoE({ dim: 4, numExperts: 4, topK: 2, hidden: 6, ...cfg }, new Rng(3));
      const x = floats(new Rng(4), [5, 4]);
      const probe = floats(new Rng(5), [5, 4]);
      const r = await gradCheck(() => tf.sum(tf.mul(m.forward(x, new ForwardContext()), probe)) as tf.Scalar, m.namedParameters().filter(([p]) => !p.startsWith('router.noise')), { maxEntries: 6 }); // the noise projection acts in training only
      expect(r.ok, JSON.stringify(r.failures.slice(0, 3)) + JSON.stringify(r.missing)).toBe(true);
      tf.dispose([x, probe]);
      m.dispose();
    }
  });

  it('plugs into TransformerBlock as its ffn; aux losses and stats reach the context', async () => {
    const rng = new Rng(1);
    const block = new TransformerBlock({ dim: 8, numHeads: 2, ffn: (dim, r) => new MoE({ dim, numExperts: 4, topK: 2, hidden: 16, zLossWeight: 1e-3 }, r) }, rng);
    const x = floats(rng, [2, 5, 8]);
    const ctx = new ForwardContext({ training: true, collectStats: true });
    const y = tf.tidy(() => block.forward(x, ctx));
    expect(y.shape).toEqual([2, 5, 8]);
    expect(ctx.auxLosses.map((a) => a.name).sort()).toEqual(['moe.load_balance', 'moe.z_loss']);
    const stats = await ctx.readStats();
    ctx.disposeStats();
    const load = stats['moe.load'] as number[];
    expect(load.length).toBe(4);
    expect(load.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(stats['moe.dropped']).toBe(0);
    expect((stats['moe.weights'] as number[]).length).toBe(10 * 4);
    expect(stats['moe.entropy'] as number).toBeGreaterThan(0);
    y.dispose();
    x.dispose();
    block.dispose();
  });

  it("a softmax router's aux losses (its probs and first choices reused) equal the published ones from its logits", async () => {
    for (const [router, loadBalance] of [['mixtral', 'switch'], ['mixtral', 'gshard'], ['topk', 'switch']] as const) {
      const m = new MoE({ dim: 6, numExperts: 5, topK: 2, hidden: 8, router, loadBalance }, new Rng(7));
      const x = floats(new Rng(8), [9, 6]);
      const ctx = new ForwardContext({ training: true, seed: 3 });
      tf.engine().startScope();
      const { routing } = m.run(x, ctx);
      expect(routing.softmaxOfLogits).toBe(true);
      const got = Object.fromEntries(await Promise.all(ctx.auxLosses.map(async (a) => [a.name, (await a.value.data())[0]!] as const)));
      const want = [loadBalancingLoss(loadBalance, routing.logits!), routerZLoss(routing.logits!)];
      expect(Math.abs(got['moe.load_balance']! - (await want[0]!.data())[0]!), `${router} ${loadBalance}`).toBeLessThan(1e-5);
      expect(Math.abs(got['moe.z_loss']! - (await want[1]!.data())[0]!), `${router} z-loss`).toBeLessThan(1e-5);
      tf.engine().endScope();
      x.dispose();
      m.dispose();
    }
  });

  it('NaN router logits stop the trainer with its NaN guard', async () => {
    const m = new MoE({ dim: 4, numExperts: 4, topK: 2, hidden: 4, router: 'mixtral' }, new Rng(1));
    const gate = (m.router as unknown as { gate: { weight: tf.Variable } }).gate.weight;
    gate.assign(tf.fill(gate.shape, NaN));
    const x = floats(new Rng(2), [6, 4]);
    const opt = makeOptimizer({ name: 'sgd', learningRate: 0.1 });
    // Every step is skipped on the device; two in a row stop the run with the weights untouched.
    const run = train({ model: m, steps: 3, optimizer: opt, batch: () => ({ x }), loss: (o) => tf.mean(tf.square(o)) as tf.Scalar, reportEvery: 1, maxConsecutiveSkips: 2 });
    await expect(run).rejects.toBeInstanceOf(NonFiniteLossError);
    expect(Array.from(await (m.router as unknown as { gate: { weight: tf.Variable } }).gate.weight.data()).every(Number.isNaN)).toBe(true);
    x.dispose();
    opt.dispose();
    m.dispose();
  });
});

// One training run on wasm (the default backend) only: on tfjs cpu it takes ~15 s for nothing more.
describe('MoE in a TinyTransformer', () => {
  it('a TinyTransformer with MoE blocks (recurrent router chain) trains on reversal without tensor growth', async () => {
    const data = reverseTask({ n: 16, length: 6, vocabSize: 6 }, 1);
    const x = tf.tensor(data.x, data.xShape, 'int32');
    const y = tf.tensor(data.y, data.yShape, 'int32');
    const gru = new RouterGRU(8, new Rng(3)); // one GRU for the chain, as RMoE
    const model = new TinyTransformer(
      { vocabSize: data.vocabSize!, maxLen: 12, dim: 16, depth: 2, numHeads: 2, head: 'lm', causal: false,
        ffn: (dim, r) => new MoE({ dim, numExperts: 4, topK: 2, hidden: 32, router: 'recurrent', routerConfig: { hidden: 8 }, capacityFactor: 1.25 }, r, { gru }) },
      new Rng(2),
    );
    expect(model.parameters().filter((v) => v === gru.wx.weight).length).toBe(1);
    expect(model.namedParameters().filter(([, v]) => v === gru.wx.weight).length).toBe(2);
    const opt = makeOptimizer({ name: 'adam', learningRate: 0.01 });
    const res = await train({ model, steps: 20, optimizer: opt, batch: () => ({ x, y }), loss: (o, b) => softmaxCrossEntropy(o, b.y), reportEvery: 10 });
    expect(res.history[res.history.length - 1]!.loss).toBeLessThan(res.history[0]!.loss);
    await leakCheck(async () => {
      await train({ model, steps: 2, optimizer: opt, batch: () => ({ x, y }), loss: (o, b) => softmaxCrossEntropy(o, b.y), reportEvery: 2 });
    }, { steps: 3 });
    tf.dispose([x, y]);
    opt.dispose();
    model.dispose();
  });

});

describeBackends('parameter-efficient experts', () => {
  it('MoLoRA with B = 0 and MoV with l = 1 compute the base FFN exactly; loadBase copies a trained MLP', async () => {
    const mlp = new MLP({ dim: 6, hidden: 10 }, new Rng(7));
    const x = floats(new Rng(8), [7, 6]);
    const want = tf.tidy(() => mlp.forward(x));
    for (const expert of ['lora', 'ia3'] as const) {
      const m = new MoE({ dim: 6, numExperts: 4, topK: 2, hidden: 10, expert, router: 'mixtral' }, new Rng(9));
      m.experts.loadBase(mlp);
      const got = tf.tidy(() => m.forward(x)); // gates renormalised to 1: Σ gate · base(x) = base(x)
      const d = tf.tidy(() => tf.max(tf.abs(tf.sub(got, want))));
      expect((await d.data())[0]).toBeLessThan(1e-5);
      tf.dispose([got, d]);
      // Only the router and the expert vectors / LoRA factors train.
      const trainable = m.namedParameters().filter(([, v]) => v.trainable).map(([p]) => p);
      expect(trainable.every((p) => p.startsWith('router.') || /experts\.(scale|lora)/.test(p)), trainable.join(',')).toBe(true);
      m.dispose();
    }
    tf.dispose([x, want]);
    mlp.dispose();
  });
});

describe('bad input', () => {
  const base = { dim: 4, numExperts: 4, hidden: 4 };
  it('names the argument, the value and what is allowed', () => {
    expect(() => new MoE({ ...base, topK: 5 })).toThrow('MoE: topK=5 must be ≤ numExperts=4');
    // One expert is refused, not run: tfjs's oneHot would fail inside routing (depth 1), and one expert with gate 1 is a dense FFN.
    for (const router of ['mixtral', 'switch', 'sigma', 'expert-choice']) {
      expect(() => new MoE({ ...base, numExperts: 1, topK: 1, router })).toThrow("MoE: numExperts=1 must be ≥ 2 (one expert takes every token: that is a dense FFN, core's MLP, without the routing)");
    }
    expect(() => new MoE({ ...base, numExperts: 0, topK: 1 })).toThrow('MoE: numExperts=0 must be an integer ≥ 2');
    expect(() => makeRouter('mixtral', {}, { dim: 4, numExperts: 1, topK: 1, capacityFactor: null }, new Rng(0))).toThrow('router "mixtral": numExperts=1 must be an integer ≥ 2 (with one expert there is nothing to route)');
    expect(() => new MoE({ ...base, topK: 0 })).toThrow('MoE: topK=0 must be a positive integer');
    expect(() => new MoE({ ...base, topK: -1 })).toThrow('topK=-1');
    expect(() => new MoE({ ...base, capacityFactor: 0 })).toThrow('MoE: capacityFactor=0 must be a finite number > 0 (or null for dropless)');
    expect(() => new MoE({ ...base, capacityFactor: -1 })).toThrow('capacityFactor=-1');
    expect(() => new MoE({ ...base, router: 'nope' })).toThrow('router="nope" is not registered; allowed: topk, switch, mixtral');
    expect(() => new MoE({ ...base, router: 'switch', topK: 2 })).toThrow("MoE: topK=2 must be 1 with router='switch'");
    expect(() => new MoE({ ...base, numExperts: 6, router: 'dselect' })).toThrow('numExperts=6 must be a power of two');
    expect(() => new MoE({ ...base, topK: 3, router: 'grouped' })).toThrow('numGroups=2 must divide topK=3');
    expect(() => new MoE({ ...base, router: 'mixtral', routerConfig: { nrmalize: true } })).toThrow(`router "mixtral": unknown option 'nrmalize'; did you mean 'normalize'? (allowed: normalize)`);
    expect(() => new MoE({ ...base, router: 'mixtral', routerConfig: { normalize: 1 } })).toThrow('router "mixtral": normalize=1 must be a boolean');
    expect(() => new MoE({ ...base, dropPolicy: 'random' as never })).toThrow('dropPolicy="random" must be one of "position", "probability"');
    expect(() => new MoE({ ...base, expert: 'moe' as never })).toThrow('expert="moe"');
  });
  it('expert shapes that do not match the model width', () => {
    expect(() => new StackedExperts({ dim: 4, numExperts: 2, hidden: 4, kind: 'lora' })).toThrow("StackedExperts: base is missing: kind='lora' experts modulate a dense base FFN");
    const wrongBase = new MLP({ dim: 4, hidden: 5 });
    expect(() => new StackedExperts({ dim: 4, numExperts: 2, hidden: 4, kind: 'ia3' }, new Rng(0), wrongBase)).toThrow('StackedExperts: base has fc1 [4,5] fc2 [5,4]; expected fc1 [4,4] fc2 [4,4]');
    wrongBase.dispose();
    expect(() => new MoE({ ...base, topK: 2 }, new Rng(0), { expertsShareElsewhere: 0.5 })).toThrow('MoE: expertsShareElsewhere=0.5 needs shared experts (options.experts)');
    const experts = new StackedExperts({ dim: 8, numExperts: 4, hidden: 4 });
    expect(() => new MoE({ ...base, topK: 2 }, new Rng(0), { experts })).toThrow('MoE: the given experts have dim=8, numExperts=4; the layer has dim=4, numExperts=4');
    experts.dispose();
    const m = new MoE({ ...base, topK: 2 });
    const x = tf.zeros([3, 5]);
    expect(() => m.forward(x)).toThrow('MoE: input last dimension 5 (shape [3,5]) must equal dim=4');
    x.dispose();
    m.dispose();
    const r = () => makeRouter('topk', {}, { dim: 4, numExperts: 4, topK: 2, capacityFactor: null }, new Rng(0));
    const router = r();
    expect(() => router.forward(tf.zeros([2, 3]) as tf.Tensor2D, new ForwardContext())).toThrow('NoisyTopKRouter: input has shape [2,3]; expected (N, 4)');
    router.dispose();
  });
});

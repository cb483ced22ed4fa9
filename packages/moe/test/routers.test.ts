// Router-specific behaviour beyond dispatch equality: noise and jitter only in training and seeded,
// gate formulas (Switch: the softmax probability; Mixtral: renormalised; noisy top-k: softmax over
// the kept logits), DSelect-k's smooth step and its binary-code selection, hash routing fixed and
// parameter-free, grouped routing's equal per-group counts, the recurrent chain carrying state
// from layer to layer, and the registry: every registered router is checked through its entry
// (kind, active share, defaults, typo refusal), and a router registered here is picked up by the
// layers without other edits.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ForwardContext, parameterLedger, Rng } from '@weft/core';
import {
  MixtralRouter, MoE, PreMixingAttention, makeRouter, registerRouter, ROUTER_KINDS, RouterGRU, routerEntry, routerNames, smoothStep,
  type RouterShape, type Routing,
} from '../src/index.js';

const X = () => tf.tensor2d(new Rng(4).normalArray(10 * 6), [10, 6]);
const shape = (topK: number, numExperts = 4) => ({ dim: 6, numExperts, topK, capacityFactor: null });

async function read(r: Routing) {
  return {
    expert: Array.from(await r.expert.data()),
    token: Array.from(await r.token.data()),
    gate: Array.from(await r.gate.data()),
    probs: Array.from(await r.probs.data()),
  };
}

async function route(name: string, cfg: Record<string, unknown>, k: number, ctx: ForwardContext, e = 4, seed = 1) {
  const router = makeRouter(name, cfg, shape(k, e), new Rng(seed));
  const x = X();
  const out = await read(tf.tidy(() => {
    const r = router.forward(x, ctx);
    return { ...r, expert: tf.keep(r.expert), token: tf.keep(r.token), gate: tf.keep(r.gate), probs: tf.keep(r.probs) } as Routing;
  }));
  x.dispose();
  router.dispose();
  return out;
}

/** A misspelling of `key` (its last two letters swapped). */
const typoOf = (key: string) => (key.length < 3 ? `${key}x` : `${key.slice(0, -2)}${key.at(-1)}${key.at(-2)}`);

describe('router registry: every entry', () => {
  it('has a description, a known kind, plain-JSON defaults; names are unique', () => {
    expect(routerNames().length).toBeGreaterThanOrEqual(8);
    for (const n of routerNames()) {
      const e = routerEntry(n);
      expect(e.description.length, n).toBeGreaterThan(10);
      expect(ROUTER_KINDS, n).toContain(e.kind);
      expect(JSON.parse(JSON.stringify(e.defaults)), n).toEqual(e.defaults);
    }
    expect(() => registerRouter('topk', routerEntry('topk'))).toThrow('already registered');
  });

  for (const name of routerNames()) {
    const entry = routerEntry(name);
    const k = entry.fixedTopK ?? 2;
    const s: RouterShape = { dim: 6, numExperts: 4, topK: k, capacityFactor: 1.5 };

    it(`${name}: routes as its kind says, with its active share in [0, 1]`, async () => {
      const share = entry.activeShare(entry.defaults, s);
      expect(share).toBeGreaterThan(0);
      expect(share).toBeLessThanOrEqual(1);
      const router = makeRouter(name, {}, s, new Rng(1));
      const x = X();
      const r = tf.tidy(() => {
        const out = router.forward(x, new ForwardContext());
        return { expert: tf.keep(out.expert), choices: out.choices && tf.keep(out.choices), perExpert: out.perExpert };
      });
      const experts = Array.from(await r.expert.data());
      if (entry.kind === 'token-choice') {
        expect(r.choices?.shape).toEqual([10, k]); // k choices per token, slot-major pairs
        expect(experts.length).toBe(10 * k);
        expect(r.perExpert).toBeUndefined();
      } else {
        expect(r.choices).toBeNull(); // expert-choice: C pairs per expert, grouped by expert
        expect(experts.length).toBe(4 * r.perExpert!);
        // The entry's share is the average experts per token over E: pairs / (N·E), capped at 1.
        expect(share).toBeCloseTo(Math.min(1, (s.capacityFactor! * k) / 4), 9);
      }
      tf.dispose([x, r.expert, ...(r.choices ? [r.choices] : [])]);
      router.dispose();
    });

    // Every key of its defaults, misspelt, is refused naming the key it meant.
    for (const key of Object.keys(entry.defaults)) {
      it(`${name}: refuses the typo ${typoOf(key)}`, () => {
        expect(() => makeRouter(name, { [typoOf(key)]: entry.defaults[key] }, s, new Rng(1))).toThrow(
          `router "${name}": unknown option '${typoOf(key)}'; did you mean '${key}'?`,
        );
      });
    }
  }
});

describe('a router registered with one line is picked up by the layers', () => {
  // Two registrations made here (the registry is per test file): Mixtral's routing under a new class
  // whose entry declares an active share of ½, and expert-choice under another name. The layers
  // read kind and share from the entries; nothing checks a router by name.
  class HalfShareRouter extends MixtralRouter {}
  registerRouter('test-half-share', {
    description: 'Mixtral routing whose entry declares an active share of ½ (test only)',
    kind: 'token-choice',
    modularity: { computation: 'function', routing: 'learned-hard', aggregation: 'representation' },
    defaults: { normalize: true },
    activeShare: () => 0.5,
    factory: (c, sh, r) => new HalfShareRouter(c, sh, r),
  });
  registerRouter('test-expert-choice', {
    description: 'An expert-choice router under another name (test only)',
    kind: 'expert-choice',
    modularity: routerEntry('expert-choice').modularity,
    defaults: routerEntry('expert-choice').defaults,
    activeShare: routerEntry('expert-choice').activeShare,
    factory: routerEntry('expert-choice').factory,
  });

  it('MoE: built from the entry, its experts counted at the entry’s active share', () => {
    const m = new MoE({ dim: 4, numExperts: 8, topK: 2, hidden: 4, router: 'test-half-share' }, new Rng(1));
    expect(m.router).toBeInstanceOf(HalfShareRouter);
    const t = parameterLedger(m).totals;
    const experts = m.experts.parameters().reduce((n, v) => n + v.size, 0);
    expect(t.active).toBeCloseTo(t.stored - experts / 2, 6);
    m.dispose();
  });

  it('PreMixingAttention: takes the token-choice one and refuses by kind, not by name', () => {
    const a = new PreMixingAttention({ dim: 4, numExperts: 4, topK: 2, hidden: 4, router: 'test-half-share' }, new Rng(1));
    a.dispose();
    expect(() => new PreMixingAttention({ dim: 4, numExperts: 4, topK: 2, hidden: 4, router: 'test-expert-choice' })).toThrow(
      "PreMixingAttention: router='test-expert-choice' is expert-choice; each pair needs its own query, so use a token-choice router (topk,",
    );
  });

  it('refuses an entry with an unknown kind or key', () => {
    const base = routerEntry('mixtral');
    expect(() => registerRouter('test-bad-kind', { ...base, kind: 'soft' as never })).toThrow('registerRouter("test-bad-kind"): kind="soft" must be one of "token-choice", "expert-choice"');
    expect(() => registerRouter('test-bad-key', { ...base, activeshare: () => 1 } as never)).toThrow("unknown option 'activeshare'; did you mean 'activeShare'?");
    expect(routerNames()).not.toContain('test-bad-kind');
  });

  it('refuses an entry without its Modular Deep Learning dimensions (arXiv:2302.11529)', () => {
    const { modularity: _, ...bare } = routerEntry('mixtral');
    expect(() => registerRouter('test-no-modularity', bare as never)).toThrow('registerRouter("test-no-modularity"): modularity=undefined must be an object');
    expect(() => registerRouter('test-bad-routing', { ...routerEntry('mixtral'), modularity: { computation: 'function', routing: 'soft', aggregation: 'none' } as never })).toThrow(
      "registerRouter(\"test-bad-routing\"): modularity.routing=\"soft\" must be one of 'fixed', 'learned-hard', 'learned-soft'",
    );
    for (const name of routerNames()) expect(routerEntry(name).modularity.computation, name).toBe('function');
  });
});

describe('routers', () => {

  it('noisy top-k: deterministic in eval, seeded noise in training; gates = softmax over the kept logits', async () => {
    const a = await route('topk', {}, 2, new ForwardContext());
    const b = await route('topk', {}, 2, new ForwardContext());
    expect(a).toEqual(b);
    const t1 = await route('topk', {}, 2, new ForwardContext({ training: true, seed: 5 }));
    const t2 = await route('topk', {}, 2, new ForwardContext({ training: true, seed: 5 }));
    const t3 = await route('topk', {}, 2, new ForwardContext({ training: true, seed: 6 }));
    expect(t1).toEqual(t2);
    expect(t1.gate).not.toEqual(t3.gate);
    for (let n = 0; n < 10; n++) expect(a.gate[n]! + a.gate[10 + n]!).toBeCloseTo(1, 5);
    for (let n = 0; n < 10; n++) expect(a.gate[n]!).toBeGreaterThanOrEqual(a.gate[10 + n]! - 1e-7); // first choice first
  });

  it('switch: top-1, gate = that expert’s softmax probability (not renormalised)', async () => {
    const r = await route('switch', { jitter: 0 }, 1, new ForwardContext());
    for (let n = 0; n < 10; n++) {
      const row = r.probs.slice(n * 4, n * 4 + 4);
      expect(r.expert[n]).toBe(row.indexOf(Math.max(...row)));
      expect(r.gate[n]).toBeCloseTo(Math.max(...row), 6);
    }
  });

  it('mixtral: k largest probabilities, renormalised (or raw with normalize: false)', async () => {
    const r = await route('mixtral', {}, 2, new ForwardContext());
    const raw = await route('mixtral', { normalize: false }, 2, new ForwardContext());
    for (let n = 0; n < 10; n++) {
      const row = r.probs.slice(n * 4, n * 4 + 4);
      const p1 = row[r.expert[n]!]!, p2 = row[r.expert[10 + n]!]!;
      expect(Math.max(...row)).toBeCloseTo(p1, 6);
      expect(r.gate[n]).toBeCloseTo(p1 / (p1 + p2), 5);
      expect(raw.gate[10 + n]).toBeCloseTo(p2, 6);
    }
  });

  it('DSelect-k: the smooth step is 0/1 outside ±γ/2, ½ at 0; a saturated code selects exactly one expert', async () => {
    const s = await smoothStep(tf.tensor1d([-2, -0.5, 0, 0.25, 0.5, 3]), 1).data();
    expect(Array.from(s).map((v) => +v.toFixed(6))).toEqual([0, 0, 0.5, 0.84375, 1, 1]);
    const router = makeRouter('dselect', {}, shape(1, 8), new Rng(1)) as unknown as { codes: { weight: tf.Variable; bias: tf.Variable } } & ReturnType<typeof makeRouter>;
    // Codes saturated to bits (1, 0, 1) for every token: expert 0b101 = 5, weight 1.
    router.codes.weight.assign(tf.zeros(router.codes.weight.shape));
    router.codes.bias.assign(tf.tensor1d([2, -2, 2]));
    const x = X();
    const r = await read(tf.tidy(() => router.forward(x, new ForwardContext())));
    expect(new Set(r.expert)).toEqual(new Set([5]));
    for (const g of r.gate) expect(g).toBeCloseTo(1, 6);
    for (let n = 0; n < 10; n++) expect(r.probs.slice(n * 8, n * 8 + 8).map((v) => +v.toFixed(6))).toEqual([0, 0, 0, 0, 0, 1, 0, 0]);
    x.dispose();
    router.dispose();
  });

  it('hash: fixed (same in training), nothing trainable, gates 1/k, k distinct experts', async () => {
    const a = await route('hash', {}, 2, new ForwardContext());
    const b = await route('hash', {}, 2, new ForwardContext({ training: true, seed: 9 }));
    expect(a).toEqual(b);
    for (const g of a.gate) expect(g).toBeCloseTo(0.5, 7);
    for (let n = 0; n < 10; n++) expect(a.expert[n]).not.toBe(a.expert[10 + n]);
    const r = makeRouter('hash', {}, shape(2), new Rng(1));
    expect(r.trainableParameters()).toEqual([]);
    r.dispose();
  });

  it('grouped: every token takes k/G experts from every group', async () => {
    const r = await route('grouped', { numGroups: 2 }, 4, new ForwardContext(), 8);
    for (let n = 0; n < 10; n++) {
      const mine = [0, 1, 2, 3].map((s) => r.expert[s * 10 + n]!);
      expect(mine.filter((e) => e < 4).length).toBe(2);
      expect(mine.filter((e) => e >= 4).length).toBe(2);
      expect(new Set(mine).size).toBe(4);
    }
  });

  it('recurrent: routers sharing a GRU pass the state along one forward pass; a new pass starts from zero', async () => {
    const gru = new RouterGRU(5, new Rng(2));
    const l1 = makeRouter('recurrent', { hidden: 5 }, shape(2), new Rng(3), { gru });
    const l2 = makeRouter('recurrent', { hidden: 5 }, shape(2), new Rng(4), { gru });
    const alone = makeRouter('recurrent', { hidden: 5 }, shape(2), new Rng(4), { gru }); // same weights as l2
    const x = X();
    const ctx = new ForwardContext();
    const [chained, fresh] = tf.tidy(() => {
      l1.forward(x, ctx);
      return [l2.forward(x, ctx).probs, alone.forward(x, new ForwardContext()).probs];
    });
    const d = tf.tidy(() => tf.max(tf.abs(tf.sub(chained!, fresh!))));
    expect((await d.data())[0]).toBeGreaterThan(1e-4); // the second layer saw the first layer's state
    expect(() => makeRouter('recurrent', { hidden: 4 }, shape(2), new Rng(3), { gru })).toThrow('the shared gru has hidden=5');
    tf.dispose([x, chained!, fresh!, d]);
    for (const m of [l1, l2, alone]) m.dispose();
  });
});

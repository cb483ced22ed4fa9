// Capacity: no expert gets more than C tokens and the dropped pairs are exactly those a plain JS
// simulation of the policy drops; the dropless plan (blocks per expert, each pair's row, each block's
// expert) equals a plain JS plan on skewed loads (sparse = dense is dispatch.backends.test.ts).
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { ForwardContext, Rng } from '@weft/core';
import { describeBackends } from '@weft/core/testing';
import { droplessPlan, MoE, routerEntry, routerNames, type MoEConfig, type Routing } from '../src/index.js';

const DIM = 6;

function configFor(router: string): MoEConfig {
  return { dim: DIM, numExperts: 4, topK: routerEntry(router).fixedTopK ?? 2, hidden: 8, router };
}

/** JS simulation of the capacity policy on read-back routing arrays: which pairs are kept. */
function simulateKeep(expert: Int32Array, gate: Float32Array, numExperts: number, capacity: number, policy: 'position' | 'probability'): number[] {
  const order = [...expert.keys()];
  if (policy === 'probability') order.sort((a, b) => gate[b]! - gate[a]! || a - b);
  const used = new Array(numExperts).fill(0);
  const keep = new Array(expert.length).fill(0);
  for (const i of order) if (used[expert[i]!]! < capacity) (keep[i] = 1), used[expert[i]!]++;
  return keep;
}

describeBackends('capacity', () => {
  for (const policy of ['position', 'probability'] as const) {
    // Every token-choice router (expert-choice fills each expert to exactly C by construction: its own test below).
    for (const router of routerNames().filter((r) => routerEntry(r).kind === 'token-choice')) {
      it(`${router}, ${policy}: at most C per expert, the policy's pairs dropped`, async () => {
        const cfg = { ...configFor(router), numExperts: 4, capacityFactor: 0.5, dropPolicy: policy } as MoEConfig;
        const m = new MoE(cfg, new Rng(2));
        const rng = new Rng(8);
        const x = tf.tensor2d(rng.normalArray(24 * DIM), [24, DIM]);
        const { expert, gate, keep, slotToken } = tf.tidy(() => {
          const { routing, plan } = m.plan(x, new ForwardContext());
          return { expert: tf.keep(routing.expert), gate: tf.keep(routing.gate), keep: tf.keep(plan.keep), slotToken: tf.keep(plan.slotToken) };
        });
        const cap = m.capacity(24)!;
        expect(cap).toBe(Math.ceil((0.5 * 24 * cfg.topK!) / 4));
        const e = (await expert.data()) as Int32Array;
        const g = (await gate.data()) as Float32Array;
        const k = Array.from(await keep.data());
        const want = simulateKeep(e, g, 4, cap, policy);
        expect(k).toEqual(want);
        expect(k.some((v) => v === 0), 'the setting must drop something').toBe(true);
        const perExpert = [0, 1, 2, 3].map((ex) => k.filter((v, i) => v === 1 && e[i] === ex).length);
        for (const c of perExpert) expect(c).toBeLessThanOrEqual(cap);
        // The buffer holds exactly the kept pairs' tokens.
        const rows = Array.from(await slotToken.data());
        expect(rows.filter((t) => t !== 24).length).toBe(k.filter((v) => v === 1).length);
        tf.dispose([x, expert, gate, keep, slotToken]);
        m.dispose();
      });
    }
  }
  it('expert-choice: every expert takes exactly C tokens, its highest-scoring ones', async () => {
    const m = new MoE({ dim: DIM, numExperts: 4, topK: 2, hidden: 8, router: 'expert-choice', capacityFactor: 1 }, new Rng(2));
    const x = tf.tensor2d(new Rng(3).normalArray(12 * DIM), [12, DIM]);
    const { probs, token } = tf.tidy(() => {
      const { routing } = m.plan(x, new ForwardContext());
      return { probs: tf.keep(routing.probs), token: tf.keep(routing.token) };
    });
    const p = await probs.data();
    const t = Array.from(await token.data());
    const c = 6; // ⌈1 · 12 · 2 / 4⌉
    expect(t.length).toBe(4 * c);
    for (let ex = 0; ex < 4; ex++) {
      const mine = t.slice(ex * c, ex * c + c);
      const scores = Array.from({ length: 12 }, (_, i) => p[i * 4 + ex]!);
      const threshold = [...scores].sort((a, b) => b - a)[c - 1]!;
      for (const i of mine) expect(scores[i]!).toBeGreaterThanOrEqual(threshold);
    }
    tf.dispose([x, probs, token]);
    m.dispose();
  });
});

describeBackends('dropless plan', () => {
  // [E, b, experts of the pairs]: one expert takes everything, empty experts first/last, ties of loads.
  const cases: Array<[number, number, number[]]> = [
    [5, 2, [2, 2, 2, 2, 2, 2, 2]],
    [4, 3, [3, 0, 3, 3, 1, 3, 0, 3, 3, 1]],
    [6, 1, [5, 4, 3, 2, 1, 0, 5, 5]],
    [3, 4, [1, 1, 1, 1, 1, 1, 1, 1, 1, 0]],
  ];
  for (const [e, b, experts] of cases) {
    it(`E=${e} b=${b}, experts [${experts}]: equals a plain JS plan`, async () => {
      const p = experts.length;
      const n = p; // one pair per token
      const r = { expert: tf.tensor1d(experts, 'int32'), token: tf.range(0, p, 1, 'int32'), gate: tf.ones([p]) } as unknown as Routing;
      const plan = droplessPlan(r, n, e, b);
      // Plain JS: experts in order, ⌈count/b⌉ blocks each, pairs in order inside their expert.
      const counts = Array.from({ length: e }, (_, j) => experts.filter((x) => x === j).length);
      const start: number[] = [];
      counts.reduce((acc, c, j) => ((start[j] = acc), acc + Math.ceil(c / b)), 0);
      const seen = new Array<number>(e).fill(0);
      const pairSlot = experts.map((x) => start[x]! * b + seen[x]!++);
      const blockExpert = Array.from({ length: plan.groups }, (_, g) => Math.min(e - 1, start.filter((s0, j) => s0 + Math.ceil(counts[j]! / b) <= g).length));
      const slotToken = new Array<number>(plan.groups * b).fill(n);
      pairSlot.forEach((s0, i) => (slotToken[s0] = i));
      expect(plan.groups).toBe(Math.floor((p + e * (b - 1)) / b));
      expect(Array.from(await plan.pairSlot.data())).toEqual(pairSlot);
      expect(Array.from(await plan.blockExpert!.data())).toEqual(blockExpert);
      expect(Array.from(await plan.slotToken.data())).toEqual(slotToken);
      tf.dispose([r.expert, r.token, r.gate, plan.blockExpert!, plan.slotToken, plan.pairSlot, plan.keep]);
    });
  }
});

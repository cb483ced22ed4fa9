// Capacity: no expert gets more than C tokens and the dropped pairs are exactly those a plain JS
// simulation of the policy drops (sparse = dense is dispatch.backends.test.ts).
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { ForwardContext, Rng } from '@weft/core';
import { describeBackends } from '@weft/core/testing';
import { MoE, routerEntry, routerNames, type MoEConfig } from '../src/index.js';

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

// Sparse dispatch against the dense reference (every expert on every token, masked by the same kept
// pairs): outputs and every parameter's gradient to 1e-5, for every router in the registry, dropless
// and with capacity (both drop policies), on wasm and cpu. Capacity: no expert gets more than C
// tokens and the dropped pairs are exactly those a plain JS simulation of the policy drops.
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { ForwardContext, Rng } from '@weft/core';
import { describeBackends } from '@weft/core/testing';
import { MoE, routerEntry, routerNames, type MoEConfig } from '../src/index.js';

const TOL = 1e-5;
const DIM = 6;

function configFor(router: string): MoEConfig {
  return { dim: DIM, numExperts: 4, topK: routerEntry(router).fixedTopK ?? 2, hidden: 8, router };
}

async function maxDiff(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const d = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))));
  const v = (await d.data())[0]!;
  d.dispose();
  return v;
}

/** Output and gradients (by path) of `cfg` under dispatch 'sparse' and 'dense', same seed, same context seed. */
async function compare(cfg: MoEConfig, training: boolean) {
  const rng = new Rng(5);
  const x = tf.tensor3d(rng.normalArray(2 * 7 * DIM), [2, 7, DIM]);
  const probe = tf.tensor3d(rng.normalArray(2 * 7 * DIM), [2, 7, DIM]);
  const run = (dispatch: 'sparse' | 'dense') => {
    const m = new MoE({ ...cfg, dispatch }, new Rng(9));
    const vars = m.trainableParameters();
    const paths = new Map(m.namedParameters().map(([p, v]) => [v, p]));
    let y!: tf.Tensor;
    const { grads, value } = tf.variableGrads(() => {
      y = tf.keep(m.forward(x, new ForwardContext({ training, seed: 3 })));
      return tf.sum(tf.mul(y, probe)) as tf.Scalar;
    }, vars);
    const byPath = new Map(Object.entries(grads).map(([name, g]) => [paths.get(vars.find((v) => v.name === name)!)!, g]));
    value.dispose();
    return { m, y, byPath };
  };
  const s = run('sparse');
  const d = run('dense');
  const out = await maxDiff(s.y, d.y);
  let grad = 0;
  expect([...s.byPath.keys()].sort()).toEqual([...d.byPath.keys()].sort());
  for (const [p, g] of s.byPath) grad = Math.max(grad, await maxDiff(g, d.byPath.get(p)!));
  tf.dispose([x, probe, s.y, d.y, ...s.byPath.values(), ...d.byPath.values()]);
  s.m.dispose();
  d.m.dispose();
  return { out, grad };
}

describeBackends('sparse dispatch = dense reference', () => {
  for (const router of routerNames()) {
    for (const mode of ['dropless', 'capacity position', 'capacity probability'] as const) {
      it(`${router}, ${mode}`, async () => {
        const cfg = configFor(router);
        if (mode !== 'dropless') Object.assign(cfg, { capacityFactor: 0.75, dropPolicy: mode.endsWith('position') ? 'position' : 'probability' });
        for (const training of [false, true]) {
          const { out, grad } = await compare(cfg, training);
          expect(out, `output, training=${training}`).toBeLessThan(TOL);
          expect(grad, `gradients, training=${training}`).toBeLessThan(TOL);
        }
      });
    }
  }
  for (const blockSize of [1, 3, 64]) {
    it(`dropless with blockSize ${blockSize}`, async () => {
      const { out, grad } = await compare({ ...configFor('mixtral'), blockSize }, true);
      expect(out).toBeLessThan(TOL);
      expect(grad).toBeLessThan(TOL);
    });
  }
  for (const expert of ['swiglu', 'ia3', 'lora'] as const) {
    it(`${expert} experts (with 2 shared experts, capacity)`, async () => {
      const { out, grad } = await compare({ ...configFor('mixtral'), expert, loraZeroInit: false, sharedExperts: 2, capacityFactor: 1 }, true);
      expect(out).toBeLessThan(TOL);
      expect(grad).toBeLessThan(TOL);
    });
  }
});

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

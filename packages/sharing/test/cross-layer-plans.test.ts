// Sharing plans: the slot maps of every registered plan, their errors, and applying them to the
// Transformer, MLP and CNN builders (outputs against naive re-computation, ledger totals).
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Rng, TinyTransformer, TransformerBlock, countParams, parameterLedger, type Module } from '@weft/core';
import {
  FactorizedEmbedding, KernelSharingCNN, SHARING_PLANS, SharedMLPClassifier, applyPlan, placeBlocks, planSlots, registerSharingPlan, sharedTransformer, uniqueBlocks,
  type SharingPlan,
} from '@weft/sharing';

const sizeOf = (m: Module<any, any>) => m.parameters().reduce((s, v) => s + v.size, 0);

describe('sharing plans: slot maps', () => {
  it('each plan gives the published layout', () => {
    expect(planSlots('none', 4)).toEqual([0, 1, 2, 3]);
    expect(planSlots('all-shared', 6)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(planSlots({ name: 'groups', groups: 3 }, 6)).toEqual([0, 0, 1, 1, 2, 2]); // ALBERT: layer_idx / (L / G)
    expect(planSlots({ name: 'cycle', unique: 3 }, 6)).toEqual([0, 1, 2, 0, 1, 2]);
    expect(planSlots({ name: 'cycle-reverse', unique: 3 }, 6)).toEqual([0, 1, 2, 2, 1, 0]); // Takase & Kiyono: 1 2 3 3 2 1
    expect(planSlots({ name: 'cycle-reverse', unique: 3 }, 9)).toEqual([0, 1, 2, 0, 1, 2, 2, 1, 0]);
    expect(planSlots('sandwich', 6)).toEqual([0, 1, 1, 1, 1, 2]);
    expect(planSlots('block-repeat', 6)).toEqual([0, 0, 1, 1, 2, 2]); // MobileLLM-LS: each block twice in a row
    expect(planSlots({ name: 'custom', map: [1, 0, 1, 0] }, 4)).toEqual([1, 0, 1, 0]);
    expect(uniqueBlocks(planSlots('sandwich', 6))).toBe(3);
    expect(Object.keys(SHARING_PLANS)).toEqual(expect.arrayContaining(['all-shared', 'block-repeat', 'custom', 'cycle', 'cycle-reverse', 'groups', 'none', 'sandwich']));
  });

  // Plans whose defaults do not fit 6 slots on their own, with the options that do (explicit exemptions
  // from "every plan runs with its defaults"): 'custom' has no default map, the map must be given.
  const EXAMPLES: Record<string, SharingPlan> = { custom: { name: 'custom', map: [0, 1, 0, 2, 1, 0] } };

  it('every registered plan: a valid 6-slot map, and an MLP and a real-scale count that store K blocks and use 6', () => {
    for (const name of Object.keys(SHARING_PLANS)) {
      const plan = EXAMPLES[name] ?? name;
      const slots = planSlots(plan, 6);
      const k = uniqueBlocks(slots);
      expect(slots, name).toHaveLength(6);
      expect([...new Set(slots)].sort(), name).toEqual(Array.from({ length: k }, (_, b) => b)); // blocks 0..K-1, none missing
      const m = new SharedMLPClassifier({ inFeatures: 2, numClasses: 3, hidden: [4, 4, 4, 4, 4, 4, 4], plan }, new Rng(8));
      const t = parameterLedger(m).totals;
      expect(t.effective - t.stored, name).toBe((6 - k) * (4 * 4 + 4));
      m.dispose();
      const report = countParams({ model_type: 'llama', vocab_size: 10, hidden_size: 8, intermediate_size: 8, num_hidden_layers: 6, num_attention_heads: 2 }, { sharing: plan });
      expect(report.uniqueBlocks, name).toBe(k);
      expect(report.slots, name).toBe(6);
    }
  });

  it('a plan registered with one line is used by the builders and the calculator', () => {
    // Slots at multiples of `every` share block 0; every other slot is its own (registered by this test only).
    registerSharingPlan<{ every: number }>('test-every-other', {
      description: 'test: slot i uses block 0 when i is a multiple of `every`',
      defaults: { every: 2 },
      factory: (L, c) => {
        let next = 1;
        return Array.from({ length: L }, (_, i) => (i % c.every === 0 ? 0 : next++));
      },
    });
    expect(planSlots({ name: 'test-every-other', every: 3 }, 6)).toEqual([0, 1, 2, 0, 3, 4]);
    const m = new SharedMLPClassifier({ inFeatures: 2, numClasses: 3, hidden: [4, 4, 4, 4, 4, 4, 4], plan: 'test-every-other' }, new Rng(9));
    expect(new Set(m.slots.items).size).toBe(4);
    m.dispose();
    const llama = { model_type: 'llama', vocab_size: 10, hidden_size: 8, intermediate_size: 8, num_hidden_layers: 6, num_attention_heads: 2 } as const;
    expect(countParams(llama, { sharing: 'test-every-other' }).uniqueBlocks).toBe(4);
    expect(() => planSlots({ name: 'test-every-other', evrey: 3 }, 6)).toThrow(/unknown option 'evrey'; did you mean 'every'\?/);
    expect(() => registerSharingPlan('test-every-other', SHARING_PLANS['none']!)).toThrow(/already registered/);
    expect(() => registerSharingPlan('test-bad', { description: '', defaults: {}, factroy: () => [] } as never)).toThrow(/unknown option 'factroy'; did you mean 'factory'\?/);
  });

  it('rejects bad plans with the value in the message', () => {
    expect(() => planSlots('all-shared', 0)).toThrow(/depth=0/);
    expect(() => planSlots('nope', 4)).toThrow(/name="nope".*allowed/);
    expect(() => planSlots({ name: 'groups', groups: 4 }, 6)).toThrow(/groups=4 must divide.*depth=6/);
    expect(() => planSlots({ name: 'cycle', unique: 7 }, 6)).toThrow(/unique=7/);
    expect(() => planSlots('sandwich', 2)).toThrow(/depth=2 must be ≥ 3/);
    expect(() => planSlots({ name: 'custom', map: [0, 2, 0] }, 3)).toThrow(/never uses block 1/);
    expect(() => planSlots({ name: 'custom', map: [0, 1] }, 3)).toThrow(/array of 3 block indices/);
    expect(() => planSlots({ name: 'cycle', unqiue: 2 }, 4)).toThrow(/sharing plan 'cycle': unknown option 'unqiue'; did you mean 'unique'\?/);
    expect(() => placeBlocks([0, 3, 0], ['a', 'b'])).toThrow(/slot 1 uses block 3, which does not exist/);
    expect(() => placeBlocks([0, 0], ['a', 'b'])).toThrow(/block 1 is used by no slot/);
  });
});

describe('sharing plans on models', () => {
  it('a 12-slot all-shared Transformer stores 1/12 of the effective block parameters', () => {
    const cfg = { vocabSize: 11, maxLen: 8, dim: 16, depth: 12, numHeads: 2 };
    const shared = sharedTransformer({ ...cfg, plan: 'all-shared' }, new Rng(1));
    const plain = new TinyTransformer(cfg, new Rng(1));
    const block = sizeOf(shared.blocks.at(0));
    const rest = sizeOf(shared) - block; // embeddings, final norm, head
    const t = parameterLedger(shared).totals;
    expect(t.stored).toBe(rest + block);
    expect(t.effective).toBe(rest + 12 * block);
    expect(parameterLedger(plain).totals.stored).toBe(t.effective); // same computation, unshared
    expect(new Set(shared.blocks.items).size).toBe(1);
    shared.dispose();
    plain.dispose();
  });

  it('sandwich, groups and block-repeat place the same objects where the map says', () => {
    for (const [plan, k] of [['sandwich', 3], [{ name: 'groups', groups: 2 }, 2], ['block-repeat', 3], [{ name: 'cycle-reverse', unique: 2 }, 2]] as const) {
      const m = sharedTransformer({ vocabSize: 5, maxLen: 4, dim: 8, depth: 6, numHeads: 2, plan }, new Rng(2));
      const slots = planSlots(plan, 6);
      expect(new Set(m.blocks.items).size).toBe(k);
      slots.forEach((b, i) => expect(m.blocks.at(i)).toBe(m.blocks.at(slots.indexOf(b))));
      const block = sizeOf(m.blocks.at(0));
      const t = parameterLedger(m).totals;
      expect(t.effective - t.stored).toBe((6 - k) * block);
      m.dispose();
    }
  });

  it('all-shared forward equals applying the one block L times by hand', async () => {
    const m = sharedTransformer({ vocabSize: 7, maxLen: 5, dim: 8, depth: 4, numHeads: 2, head: 'lm' }, new Rng(3));
    const ids = tf.tensor2d([[1, 2, 3, 4, 5], [6, 5, 4, 3, 2]], [2, 5], 'int32');
    const [y, ref] = tf.tidy(() => {
      const y = m.call(ids);
      let h = tf.add(tf.gather(m.tokens.weight, ids), tf.slice(m.positions.weight, [0, 0], [5, 8]));
      for (let i = 0; i < 4; i++) h = m.blocks.at(0).call(h);
      return [y, m.head!.call(m.norm.call(h))];
    });
    const d = tf.max(tf.abs(tf.sub(y, ref)));
    expect((await d.data())[0]).toBeLessThan(1e-6); // same ops, same order: equal up to float32 rounding
    tf.dispose([y, ref, d, ids]);
    m.dispose();
  });

  it('applyPlan places user blocks; a plan needing more blocks than given is an error', () => {
    const rng = new Rng(4);
    const blocks = [new TransformerBlock({ dim: 8, numHeads: 2 }, rng), new TransformerBlock({ dim: 8, numHeads: 2 }, rng)];
    const slots = applyPlan({ name: 'cycle', unique: 2 }, 4, blocks);
    expect(slots).toEqual([blocks[0], blocks[1], blocks[0], blocks[1]]);
    expect(() => applyPlan('sandwich', 4, blocks)).toThrow(/block 2, which does not exist/);
    const model = new TinyTransformer({ vocabSize: 5, maxLen: 4, dim: 8 }, rng, { blocks: slots });
    expect(model.blocks.length).toBe(4);
    model.dispose();
  });

  it('MLP stack: shared hidden layers, shape mismatches rejected', async () => {
    const m = new SharedMLPClassifier({ inFeatures: 2, numClasses: 3, hidden: [16, 16, 16, 16, 16, 16, 16], plan: 'all-shared' }, new Rng(5));
    const t = parameterLedger(m).totals;
    const layer = 16 * 16 + 16;
    expect(t.stored).toBe(2 * 16 + 16 + layer + 16 * 3 + 3);
    expect(t.effective).toBe(t.stored + 5 * layer);
    const x = tf.tensor2d([[0.5, -1], [2, 0.1]]);
    const [y, ref] = tf.tidy(() => {
      let h = tf.relu(m.input.call(x));
      for (let i = 0; i < 6; i++) h = tf.add(h, tf.relu(m.slots.at(0).call(h)));
      return [m.call(x), m.head.call(h)];
    });
    expect((await tf.max(tf.abs(tf.sub(y, ref))).data())[0]).toBeLessThan(1e-6);
    tf.dispose([x, y, ref]);
    m.dispose();
    expect(() => new SharedMLPClassifier({ inFeatures: 2, numClasses: 3, hidden: [16, 16, 8, 8], plan: 'all-shared' }, new Rng(5))).toThrow(
      /slots 0 and 1 share block 0 but need shapes 16→16 and 16→8/,
    );
    const ok = new SharedMLPClassifier({ inFeatures: 2, numClasses: 3, hidden: [16, 16, 16, 8, 8], plan: { name: 'custom', map: [0, 0, 1, 2] } }, new Rng(5));
    expect(new Set(ok.slots.items).size).toBe(3);
    ok.dispose();
  });

  it('CNN inter-layer kernel sharing: one kernel bank, per-layer biases, equal to a conv loop', async () => {
    const m = new KernelSharingCNN({ channels: 4, depth: 4, numClasses: 3, plan: 'all-shared' }, new Rng(6));
    const bank = m.layers.at(0).bank;
    expect(new Set(m.layers.items.map((l) => l.bank)).size).toBe(1);
    expect(new Set(m.layers.items.map((l) => l.bias)).size).toBe(4);
    const t = parameterLedger(m).totals;
    expect(t.effective - t.stored).toBe(3 * bank.weight.size);
    const x = tf.tensor4d(new Rng(7).uniformArray(2 * 64), [2, 8, 8, 1]);
    const [y, ref] = tf.tidy(() => {
      let h = tf.relu(tf.add(tf.conv2d(x, m.stem.weight as tf.Tensor4D, 1, 'same'), m.stem.bias!));
      for (const l of m.layers.items) h = tf.add(h, tf.relu(tf.add(tf.conv2d(h as tf.Tensor4D, bank.weight as tf.Tensor4D, 1, 'same'), l.bias)));
      return [m.call(x), m.head.call(tf.mean(h, [1, 2]))];
    });
    expect((await tf.max(tf.abs(tf.sub(y, ref))).data())[0]).toBeLessThan(1e-5);
    tf.dispose([x, y, ref]);
    m.dispose();
    const g = new KernelSharingCNN({ channels: 4, depth: 4, plan: { name: 'groups', groups: 2 } }, new Rng(6));
    expect(new Set(g.layers.items.map((l) => l.bank)).size).toBe(2);
    g.dispose();
  });

  it('ALBERT factorized embedding: V·E + E·H + H parameters, table then projection', async () => {
    const e = new FactorizedEmbedding({ vocabSize: 30, embeddingDim: 4, hidden: 16 }, new Rng(8));
    expect(parameterLedger(e).totals.stored).toBe(30 * 4 + 4 * 16 + 16);
    const ids = tf.tensor2d([[0, 29, 3]], [1, 3], 'int32');
    const [y, ref] = tf.tidy(() => [e.call(ids), tf.add(tf.matMul(tf.gather(e.table.weight, tf.tensor1d([0, 29, 3], 'int32')), e.project.weight), e.project.bias!)]);
    expect(y.shape).toEqual([1, 3, 16]);
    expect((await tf.max(tf.abs(tf.sub(tf.reshape(y, [3, 16]), ref))).data())[0]).toBeLessThan(1e-6);
    tf.dispose([ids, y, ref]);
    e.dispose();
    expect(() => new FactorizedEmbedding({ vocabSize: 30, embeddingDim: 0, hidden: 16 })).toThrow(/embeddingDim=0/);
  });
});

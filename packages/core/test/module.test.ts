import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ForwardContext, Linear, Module, ModuleList, Rng, formatLedger, parameterLedger } from '@weft/core';

class Stack extends Module {
  readonly layers: ModuleList<Linear>;
  constructor(slots: Linear[]) {
    super();
    this.layers = this.addModule('layers', new ModuleList(slots));
  }
  forward(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    return this.layers.items.reduce((h, l) => tf.relu(l.forward(h, ctx)), x);
  }
}

class Recur extends Module {
  constructor(readonly block: Linear, readonly depth: number) {
    super();
    this.addModule('block', block);
  }
  override usesOf(name: string): number {
    return name === 'block' ? this.depth : 1;
  }
  override activeShareOf(name: string): number {
    return name === 'block' ? 0.5 : 1;
  }
  forward(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    let h = x;
    for (let i = 0; i < this.depth; i++) h = this.block.forward(h, ctx);
    return h;
  }
}

describe('Module', () => {
  it('shares by identity: parameters() once, namedParameters() per path', () => {
    const rng = new Rng(1);
    const shared = new Linear({ inFeatures: 4, outFeatures: 4 }, rng);
    const m = new Stack([shared, shared, shared]);
    expect(m.parameters()).toHaveLength(2);
    expect(m.namedParameters().map(([p]) => p)).toEqual([
      'layers.0.weight', 'layers.0.bias', 'layers.1.weight', 'layers.1.bias', 'layers.2.weight', 'layers.2.bias',
    ]);
    const l = parameterLedger(m);
    expect(l.totals.stored).toBe(20);
    expect(l.totals.effective).toBe(60);
    expect(l.totals.trainable).toBe(20);
    expect(formatLedger(l)).toContain('shared with layers.0.weight');
    m.dispose();
  });

  it('ledger: trainable ⊆ stored after freeze; bytes; uses and active shares multiply', () => {
    const rng = new Rng(2);
    const a = new Linear({ inFeatures: 3, outFeatures: 2 }, rng);
    const r = new Recur(a, 4);
    a.freeze();
    const l = parameterLedger(r);
    expect(l.totals).toEqual({ stored: 8, effective: 32, trainable: 0, active: 4, bytes: 32 });
    a.freeze(false);
    expect(parameterLedger(r).totals.trainable).toBe(8);
    r.dispose();
  });

  it('same seed gives the same weights; train/eval reaches every descendant', async () => {
    const w1 = await new Linear({ inFeatures: 5, outFeatures: 3 }, new Rng(7)).weight.data();
    const w2 = await new Linear({ inFeatures: 5, outFeatures: 3 }, new Rng(7)).weight.data();
    const w3 = await new Linear({ inFeatures: 5, outFeatures: 3 }, new Rng(8)).weight.data();
    expect(Array.from(w1)).toEqual(Array.from(w2));
    expect(Array.from(w1)).not.toEqual(Array.from(w3));
    const m = new Stack([new Linear({ inFeatures: 2, outFeatures: 2 })]);
    m.eval();
    expect(m.modules().every((x) => !x.training)).toBe(true);
  });

  it('rejects bad names, duplicates, cycles and bad inputs with clear errors', () => {
    expect(() => new Linear({ inFeatures: 0, outFeatures: 2 })).toThrow('Linear: inFeatures=0 must be a positive integer');
    const l = new Linear({ inFeatures: 2, outFeatures: 2 });
    expect(() => l.forward(tf.zeros([1, 3]))).toThrow('must equal inFeatures=2');
    class Bad extends Module {
      constructor() {
        super();
        this.addModule('a.b', l);
      }
      forward(x: tf.Tensor) {
        return x;
      }
    }
    expect(() => new Bad()).toThrow('name "a.b" must be an identifier');
    const list = new ModuleList<Module>();
    list.push(list as unknown as Module);
    expect(() => list.namedModules()).toThrow('contains itself');
  });

  it('forward context: weighted aux losses and kept statistics', async () => {
    const ctx = new ForwardContext({ training: true, collectStats: true });
    const total = tf.tidy(() => {
      ctx.addAuxLoss('a', tf.scalar(2), 0.5);
      ctx.addAuxLoss('b', tf.scalar(3));
      ctx.addStat('load', tf.tensor1d([1, 2]));
      return ctx.totalAuxLoss();
    });
    expect((await total.data())[0]).toBe(4);
    expect(await ctx.readStats()).toEqual({ load: [1, 2] });
    const before = tf.memory().numTensors;
    ctx.disposeStats();
    expect(tf.memory().numTensors).toBe(before - 1);
    total.dispose();
  });
});

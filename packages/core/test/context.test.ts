// ForwardContext.keyOf: the prefix a module's aux losses and statistics go under, so two layers of
// one kind in a model never overwrite each other's (the trainer passes its model as `root`).
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ForwardContext, Module, ModuleList } from '@weft/core';

class Recorder extends Module {
  constructor(private readonly name?: string) {
    super();
  }
  forward(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    ctx.addStat(`${ctx.keyOf(this, 'rec', this.name)}.seen`, x.shape[0]!);
    return x;
  }
}

class TwoLayers extends Module {
  readonly layers: ModuleList<Recorder>;
  constructor(a: Recorder, b: Recorder) {
    super();
    this.layers = this.addModule('layers', new ModuleList([a, b]));
  }
  forward(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    return this.layers.at(1).forward(this.layers.at(0).forward(x, ctx), ctx);
  }
}

describe('ForwardContext.keyOf', () => {
  it('keys each module by its path in the root model', async () => {
    const model = new TwoLayers(new Recorder(), new Recorder());
    const ctx = new ForwardContext({ collectStats: true, root: model });
    tf.tidy(() => model.forward(tf.zeros([3, 2]), ctx));
    expect(await ctx.readStats()).toEqual({ 'layers.0.seen': 3, 'layers.1.seen': 3 });
    expect(ctx.keyOf(model, 'rec')).toBe('model');
  });

  it('an explicit name wins over the path', async () => {
    const model = new TwoLayers(new Recorder('first'), new Recorder());
    const ctx = new ForwardContext({ collectStats: true, root: model });
    tf.tidy(() => model.forward(tf.zeros([2, 2]), ctx));
    expect(Object.keys(await ctx.readStats()).sort()).toEqual(['first.seen', 'layers.1.seen']);
  });

  it('without a root, the default name, numbered for further modules of the pass', async () => {
    const a = new Recorder();
    const b = new Recorder();
    const model = new TwoLayers(a, b);
    const ctx = new ForwardContext({ collectStats: true });
    tf.tidy(() => model.forward(tf.zeros([1, 2]), ctx));
    expect(Object.keys(await ctx.readStats()).sort()).toEqual(['rec#2.seen', 'rec.seen']);
    expect(ctx.keyOf(a, 'rec')).toBe('rec');
    expect(ctx.keyOf(b, 'rec')).toBe('rec#2');
    // A module outside the root model falls back the same way.
    const outside = new Recorder();
    const rooted = new ForwardContext({ root: model });
    expect(rooted.keyOf(outside, 'rec')).toBe('rec');
  });
});

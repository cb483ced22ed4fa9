// The op registry: every registered op's `parametric` agrees with the parameters of its module;
// ops registered here with nothing but their entry (a vector op as a stacked form, a vector op as
// a module, a conv op) work in a MixedOp, in a DARTS search through createCellSearch/runSearch, in
// DropNAS' grouping and in the discrete network of the genotype found; bad entries are refused.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ForwardContext, Module, Rng, mse, parameterLedger, type Rng as RngT } from '@weft/core';
import {
  DiscreteNetwork, MixedOp, ReLUConvBN, createCellSearch, createOp, dropNasSampler, isParametric, opNames, registerOp, runSearch, validateGenotype,
  type OpSpace,
} from '../src/index.js';

const ctx = () => new ForwardContext({ training: true });
const randn = (rng: Rng, shape: number[]) => tf.tensor(rng.normalArray(shape.reduce((a, b) => a * b, 1)), shape);
const maxAbs = async (a: tf.Tensor, b: tf.Tensor) => (await tf.max(tf.abs(tf.sub(a, b))).data())[0]!;

/** A learned per-channel scale: a vector op given only as a module (no stacked form). */
class ChannelScale extends Module {
  readonly scale: tf.Variable;
  constructor(channels: number, rng: RngT) {
    super();
    this.scale = this.addParameter('scale', tf.tensor1d(rng.uniformArray(channels, 0.5, 1.5)));
  }
  forward(x: tf.Tensor): tf.Tensor {
    return tf.mul(x, this.scale);
  }
}

// The test's ops: one registry line each.
registerOp({ name: 'square_linear', spaces: ['vector'], stacked: { slots: [{ name: 'fc', input: 'identity' }], output: (_read, [z]) => tf.square(z!) } });
registerOp({ name: 'channel_scale', spaces: ['vector'], parametric: true, create: (c, _s, rng) => new ChannelScale(c, rng) });
registerOp({ name: 'conv_1x1', spaces: ['conv'], parametric: true, create: (c, s, rng) => new ReLUConvBN(c, c, 1, s, rng) });

describe('op registry', () => {
  it('every registered op in every space: parametric iff its module has parameters', () => {
    for (const space of ['conv', 'vector'] as OpSpace[]) {
      for (const name of opNames(space)) {
        const m = createOp(name, space, 4, 1, new Rng(0));
        expect(m.parameters().length > 0, `${space}/${name}`).toBe(isParametric(name, space));
        m.dispose();
      }
    }
  });

  it('ops registered by their entry alone are candidates of a MixedOp: Σ w_o · o(x) with the stacked and the module candidates', async () => {
    const rng = new Rng(1);
    const ops = ['none', 'square_linear', 'channel_scale', 'linear'];
    const op = new MixedOp({ ops, space: 'vector', channels: 3 }, rng);
    expect(op.stacked!.slotsOf).toEqual([[], [0], [1]]); // none, square_linear, linear
    expect(op.candidates!.length).toBe(1); // channel_scale
    const x = randn(rng, [5, 3]);
    const w = tf.softmax(randn(rng, [4]));
    const wd = await w.data();
    // The same ops as separate modules holding the MixedOp's weights.
    const [W0, W1] = tf.unstack(op.stacked!.weight!);
    const [b0, b1] = tf.unstack(op.stacked!.bias!);
    const sq = createOp('square_linear', 'vector', 3, 1, rng);
    const lin = createOp('linear', 'vector', 3, 1, rng);
    sq.parameters()[0]!.assign(W0!);
    sq.parameters()[1]!.assign(b0!);
    lin.parameters()[0]!.assign(W1!);
    lin.parameters()[1]!.assign(b1!);
    const ref = tf.addN([tf.mul(sq.forward(x, ctx()), wd[1]!), tf.mul(op.candidates!.at(0).forward(x, ctx()), wd[2]!), tf.mul(lin.forward(x, ctx()), wd[3]!)]);
    expect(await maxAbs(op.forward(x, ctx(), w), ref)).toBeLessThan(1e-5);
    expect(await maxAbs(op.forward(x, ctx(), w, [2]), tf.mul(op.candidates!.at(0).forward(x, ctx()), wd[2]!))).toBeLessThan(1e-6);
    expect(parameterLedger(op).totals.stored).toBe(2 * (9 + 3) + 3);
    const conv = new MixedOp({ ops: ['none', 'conv_1x1', 'skip_connect'], space: 'conv', channels: 4, stride: 2 }, rng);
    expect(conv.forward(randn(rng, [2, 8, 8, 4]), ctx()).shape).toEqual([2, 4, 4, 4]);
  });

  it('DropNAS groups registered ops by their entry', () => {
    const ops = ['none', 'skip_connect', 'square_linear', 'channel_scale', 'relu'];
    const sampler = dropNasSampler(ops, 'vector', 0.999); // drop almost everything: one op per group stays
    const rows = tf.tidy(() => sampler('normal', tf.zeros([64, ops.length]), new ForwardContext({ seed: 3 })));
    for (const { active } of rows) {
      expect(active!.filter((i) => i === 2 || i === 3)).toHaveLength(1);
      expect(active!.filter((i) => i !== 2 && i !== 3)).toHaveLength(1);
    }
  });

  it.each([
    ['vector', { space: 'vector' as const, steps: 1, channels: 4, inChannels: 3, numOutputs: 2, ops: ['none', 'skip_connect', 'square_linear', 'channel_scale'] }, [16, 3]],
    ['conv', { space: 'conv' as const, steps: 1, channels: 2, layers: 3, inChannels: 1, numOutputs: 2, stemMultiplier: 1, ops: ['none', 'skip_connect', 'conv_1x1'] }, [8, 4, 4, 1]],
  ] as const)('a %s search over registered ops runs, and its genotype builds a discrete network', async (_space, space, xShape) => {
    const rng = new Rng(2);
    const data = (n: number) => ({ x: randn(rng, [n, ...xShape.slice(1)]), y: randn(rng, [n, 2]) });
    const { net, searcher } = createCellSearch('darts', space, mse, { warmupSteps: 0 });
    const { result } = await runSearch({ searcher, train: data(16), val: data(16), steps: 3, batchSize: 8 });
    validateGenotype(result, net.space);
    const discrete = new DiscreteNetwork(result, space, new Rng(3));
    expect(discrete.forward(randn(rng, [2, ...xShape.slice(1)]), ctx()).shape).toEqual([2, 2]);
    searcher.dispose();
  });

  it('refuses bad entries, naming the key or the rule', () => {
    const make = () => new ChannelScale(2, new Rng(0));
    expect(() => registerOp({ name: 'x1', spaces: ['vector'], parametirc: true, create: make } as never)).toThrow(/registerOp\("x1"\): unknown option 'parametirc'; did you mean 'parametric'\?/);
    expect(() => registerOp({ name: 'linear', spaces: ['vector'], parametric: true, create: make })).toThrow(/op "linear" is already registered/);
    expect(() => registerOp({ name: 'x2', spaces: ['conv'], stacked: { slots: [], output: (read) => read('identity') } })).toThrow(/a conv-space op needs create/);
    expect(() => registerOp({ name: 'x3', spaces: ['vector'], create: make } as never)).toThrow(/parametric=undefined must be true or false/);
    expect(() => registerOp({ name: 'x4', spaces: ['vector'], parametric: true, stacked: { slots: [], output: (read) => read('identity') } })).toThrow(/parametric=true contradicts its stacked form \(0 slots\)/);
    expect(() => registerOp({ name: 'x5', spaces: ['graph' as OpSpace], parametric: false, create: make })).toThrow(/spaces=\["graph"\] must list some of conv, vector/);
    expect(() => new MixedOp({ ops: ['sqare_linear'], space: 'vector', channels: 2 }, new Rng(0))).toThrow(/unknown op "sqare_linear" in the vector space; did you mean "square_linear"\?/);
  });
});

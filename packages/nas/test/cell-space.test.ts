// The DARTS cell space: candidate ops against reference computations, the mixed op against the
// weighted sum of its candidates (and its ledger = sum of the candidates'), the supernet and the
// discrete networks' shapes, genotype parsing (DARTS' `_parse`, hand-checked), the DARTS text
// form, and clear errors for bad input. Tolerances: 1e-5 absolute on float32 sums.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ForwardContext, Rng, parameterLedger } from '@weft/core';
import {
  DARTS_PRIMITIVES, DiscreteNetwork, MixedOp, SearchNetwork, VECTOR_PRIMITIVES, channelShuffle, createOp, fromDartsString, opEntry, opNames,
  parseCell, parseGenotype, randomGenotype, resolveSpace, toDartsString, validateGenotype, BatchNormNoAffine, type Genotype,
} from '../src/index.js';

const ctx = () => new ForwardContext({ training: true });
const randn = (rng: Rng, shape: number[]) => tf.tensor(rng.normalArray(shape.reduce((a, b) => a * b, 1)), shape);
const maxAbs = async (a: tf.Tensor, b: tf.Tensor) => (await tf.max(tf.abs(tf.sub(a, b))).data())[0]!;

describe('DARTS ops', () => {
  it('every registered conv op maps (2, 8, 8, 4) to (2, 8, 8, 4) at stride 1 and (2, 4, 4, 4) at stride 2', () => {
    const rng = new Rng(1);
    const x = randn(rng, [2, 8, 8, 4]);
    for (const name of opNames('conv')) {
      for (const stride of [1, 2]) {
        const y = tf.tidy(() => tf.clone(createOp(name, 'conv', 4, stride, rng).forward(x, ctx())));
        expect(y.shape, `${name} stride ${stride}`).toEqual(stride === 1 ? [2, 8, 8, 4] : [2, 4, 4, 4]);
        y.dispose();
      }
    }
    x.dispose();
  });

  it('none is zero, skip_connect is the identity, and the pools exclude padding (count_include_pad=False)', async () => {
    const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
    expect(await tf.sum(tf.abs(createOp('none', 'conv', 1, 1, new Rng(0)).forward(x, ctx()))).data()).toEqual(new Float32Array([0]));
    expect(Array.from(await createOp('skip_connect', 'conv', 1, 1, new Rng(0)).forward(x, ctx()).data())).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // Corner (0,0) averages the 4 valid pixels 1, 2, 4, 5 = 3 (not 12/9).
    const avg = await tf.avgPool(x, 3, 1, 1).data();
    expect(avg[0]).toBeCloseTo(3, 5);
    x.dispose();
  });

  it('affine-free BatchNorm gives zero mean and unit variance per channel', async () => {
    const rng = new Rng(2);
    const x = tf.add(tf.mul(randn(rng, [4, 3, 3, 2]), 5), 3);
    const y = new BatchNormNoAffine().forward(x);
    const { mean, variance } = tf.moments(y, [0, 1, 2]);
    for (const v of await mean.data()) expect(Math.abs(v)).toBeLessThan(1e-5);
    for (const v of await variance.data()) expect(v).toBeCloseTo(1, 3);
  });

  it('channel shuffle interleaves the groups', async () => {
    const y = channelShuffle(tf.tensor2d([[0, 1, 2, 3, 4, 5]]), 2);
    expect(Array.from(await y.data())).toEqual([0, 3, 1, 4, 2, 5]);
  });
});

describe('MixedOp', () => {
  it('equals Σ softmax(α)_o · o(x) over its candidates, and its ledger is the sum of theirs', async () => {
    const rng = new Rng(3);
    const op = new MixedOp({ ops: DARTS_PRIMITIVES, space: 'conv', channels: 4 }, rng);
    const x = randn(rng, [2, 8, 8, 4]);
    const w = tf.softmax(randn(rng, [DARTS_PRIMITIVES.length]));
    const c = ctx();
    const mixed = op.forward(x, c, w);
    const wd = await w.data();
    const ref = tf.addN(op.candidates.items.map((o, i) => tf.mul(o.forward(x, c), wd[i]!)));
    expect(await maxAbs(mixed, ref)).toBeLessThan(1e-5);
    const total = parameterLedger(op).totals.stored;
    const sum = op.candidates.items.reduce((s, o) => s + parameterLedger(o).totals.stored, 0);
    expect(total).toBe(sum);
    expect(total).toBeGreaterThan(0);
    // Only the active ops are computed.
    const single = op.forward(x, c, w, [4]);
    expect(await maxAbs(single, tf.mul(op.candidates.at(4).forward(x, c), wd[4]!))).toBeLessThan(1e-5);
  });

  it('stacks every registered vector op with a stacked form: same function as the separate ops, same parameter count', async () => {
    const rng = new Rng(5);
    // Ops without a stacked form run as their own modules (op-registry.test.ts); none are built in.
    const ops = opNames('vector').filter((o) => opEntry(o, 'vector').stacked);
    expect(ops).toEqual(VECTOR_PRIMITIVES);
    const op = new MixedOp({ ops, space: 'vector', channels: 3 }, rng);
    const st = op.stacked!;
    const W = tf.unstack(st.weight!);
    const b = tf.unstack(st.bias!);
    const x = randn(rng, [4, 3]);
    const w = tf.softmax(randn(rng, [ops.length]));
    const wd = await w.data();
    let params = 0;
    const terms = ops.map((name, i) => {
      const sep = createOp(name, 'vector', 3, 1, rng);
      const ps = sep.parameters();
      params += ps.reduce((s, v) => s + v.size, 0);
      // Separate ops hold [weight, bias] per Linear, in slot order.
      st.slotsOf[i]!.forEach((slot, k) => {
        ps[2 * k]!.assign(W[slot]!);
        ps[2 * k + 1]!.assign(b[slot]!);
      });
      return tf.mul(sep.forward(x, ctx()), wd[i]!);
    });
    expect(await maxAbs(op.forward(x, ctx(), w), tf.addN(terms))).toBeLessThan(1e-5);
    expect(parameterLedger(op).totals.stored).toBe(params);
    // Only active ops count: DropNAS/SPOS masks.
    expect(await maxAbs(op.forward(x, ctx(), w, [1, 2]), tf.add(terms[1]!, terms[2]!))).toBeLessThan(1e-5);
  });

  it('rejects an empty op set, unknown ops and bad weights', () => {
    expect(() => new MixedOp({ ops: [], space: 'conv', channels: 4 }, new Rng(0))).toThrow(/ops=\[\] is empty/);
    expect(() => new MixedOp({ ops: ['conv_9x9'], space: 'conv', channels: 4 }, new Rng(0))).toThrow(/unknown op "conv_9x9".*allowed: none, max_pool_3x3/);
    expect(() => new MixedOp({ ops: ['linear'], space: 'conv', channels: 4 }, new Rng(0))).toThrow(/unknown op "linear" in the conv space/);
    const op = new MixedOp({ ops: ['none', 'skip_connect'], space: 'vector', channels: 3 }, new Rng(0));
    expect(() => op.forward(tf.ones([2, 3]), ctx(), tf.ones([3]))).toThrow(/weights has shape \[3\]; expected \[2\]/);
  });
});

describe('search space and supernet', () => {
  it('builds the conv supernet for 8×8 shapes with DARTS layer rule and α of shape (14, 8)', () => {
    const net = new SearchNetwork({ space: 'conv', steps: 4, layers: 3 }, new Rng(0));
    expect(net.alphaNormal.shape).toEqual([14, 8]);
    expect(net.alphaReduce!.shape).toEqual([14, 8]);
    const y = tf.tidy(() => net.forward(tf.ones([2, 8, 8, 1]), ctx()));
    expect(y.shape).toEqual([2, 6]);
    expect(net.archParameters()).toHaveLength(2);
    expect(net.weightParameters().length + 2).toBe(net.trainableParameters().length);
  });

  it('builds the vector supernet (one normal cell, no reduce α) and PC-DARTS with β', () => {
    const net = new SearchNetwork({ space: 'vector', steps: 2, inChannels: 4, numOutputs: 3, partialChannels: 2, edgeNormalization: true }, new Rng(0));
    expect(net.alphaReduce).toBeNull();
    expect(net.betaNormal!.shape).toEqual([5]);
    expect(tf.tidy(() => net.forward(tf.ones([5, 4]), ctx())).shape).toEqual([5, 3]);
  });

  it('rejects bad space configs with the argument named', () => {
    expect(() => resolveSpace({ space: 'conv', layers: 2 })).toThrow(/layers=2 must be ≥ 3/);
    expect(() => resolveSpace({ space: 'vector', steps: 0 })).toThrow(/steps=0/);
    expect(() => resolveSpace({ space: 'vector', channels: 6, partialChannels: 4 })).toThrow(/partialChannels=4 must divide channels=6/);
    expect(() => resolveSpace({ space: 'graph' as never })).toThrow(/space="graph"; allowed: conv, vector/);
  });
});

describe('genotypes', () => {
  const ops = ['none', 'max_pool_3x3', 'skip_connect', 'sep_conv_3x3'];
  it("parses α as DARTS' _parse: top-2 inputs by strongest non-none op, none excluded, ties to the lower index", () => {
    // steps=2: node 2 has edges from 0, 1; node 3 from 0, 1, 2.
    const W = [
      [0.9, 0.05, 0.03, 0.02], // (2 ← 0): none strongest, then max_pool 0.05
      [0.1, 0.1, 0.6, 0.2], // (2 ← 1): skip 0.6
      [0.1, 0.2, 0.3, 0.4], // (3 ← 0): sep 0.4
      [0.0, 0.4, 0.4, 0.2], // (3 ← 1): tie max_pool/skip 0.4 -> first (max_pool)
      [0.7, 0.1, 0.1, 0.1], // (3 ← 2): strongest non-none 0.1
    ];
    expect(parseCell(W, ops, 2)).toEqual([
      ['skip_connect', 1], ['max_pool_3x3', 0], // node 2: input 1 (0.6) before input 0 (0.05)
      ['sep_conv_3x3', 0], ['max_pool_3x3', 1], // node 3: 0.4 tie between inputs 0 and 1 -> 0 first
    ]);
  });

  it('prints and reads the DARTS text form exactly (DARTS_V2 from cnn/genotypes.py)', () => {
    const v2 =
      "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])";
    const g = fromDartsString(v2);
    expect(g.normal[7]).toEqual(['dil_conv_3x3', 2]);
    expect(g.reduce_concat).toEqual([2, 3, 4, 5]);
    // model_search.py's genotype() stores concat as range(2, 6), which Python prints as such.
    expect(toDartsString(g)).toBe(v2.replace(/\[2, 3, 4, 5\]/g, 'range(2, 6)'));
    expect(fromDartsString(toDartsString(g))).toEqual(g);
    validateGenotype(g, resolveSpace({ space: 'conv' }));
    expect(JSON.parse(JSON.stringify(g))).toEqual(g);
  });

  it('parses a supernet into a genotype that builds a discrete network', async () => {
    const space = resolveSpace({ space: 'conv', steps: 2, multiplier: 2, layers: 3 });
    const net = new SearchNetwork(space, new Rng(4));
    const g = parseGenotype(await net.edgeWeights(), space);
    expect(g.normal).toHaveLength(4);
    expect(g.normal_concat).toEqual([2, 3]);
    expect(toDartsString(g)).toMatch(/^Genotype\(normal=\[\('\w+', \d\), .*normal_concat=range\(2, 4\), reduce=\[.*\], reduce_concat=range\(2, 4\)\)$/);
    const d = new DiscreteNetwork(g, space, new Rng(5));
    expect(tf.tidy(() => d.forward(tf.ones([2, 8, 8, 1]), ctx())).shape).toEqual([2, 6]);
    expect(parameterLedger(d).totals.stored).toBeLessThan(parameterLedger(net).totals.stored);
  });

  it('rejects unknown ops, genotypes that do not fit the space, and malformed text', () => {
    const space = resolveSpace({ space: 'vector', steps: 2 });
    const good: Genotype = randomGenotype(space, new Rng(1));
    validateGenotype(good, space);
    expect(() => validateGenotype({ ...good, normal: [['conv_7x7', 0], ...good.normal.slice(1)] }, space)).toThrow(/unknown op "conv_7x7"; allowed: skip_connect, linear/);
    expect(() => validateGenotype({ ...good, normal: good.normal.slice(0, 2) }, space)).toThrow(/has 2 entries; the space has steps=2, so it needs 4/);
    expect(() => validateGenotype({ ...good, normal: [['linear', 5], ...good.normal.slice(1)] }, space)).toThrow(/input 5 of node 2 must be in \[0, 2\)/);
    expect(() => validateGenotype({ ...good, normal: [['none', 0], ...good.normal.slice(1)] }, space)).toThrow(/unknown op "none"/);
    expect(() => validateGenotype({ ...good, reduce: good.normal, reduce_concat: [2] }, space)).toThrow(/no reduce cell/);
    expect(() => validateGenotype({ ...good, normal_concat: [9] }, space)).toThrow(/genotype\.normal_concat\[0\]=9 is not a node; nodes are 2 … 3/);
    expect(() => new DiscreteNetwork({ ...good, normal: [['sep_conv_3x3', 0], ...good.normal.slice(1)] }, space)).toThrow(/unknown op "sep_conv_3x3"/);
    expect(() => fromDartsString('Genotype(normal=oops)')).toThrow(/not a DARTS Genotype/);
    expect(() => parseCell([[1]], ['none'], 1)).toThrow(/no op besides "none"/);
    expect(VECTOR_PRIMITIVES[0]).toBe('none');
  });

  it('refuses repeated, out-of-range and too many concat nodes, in JSON and in DARTS text', () => {
    const space = resolveSpace({ space: 'vector', steps: 2 });
    const good = randomGenotype(space, new Rng(1));
    // 30,001 copies of one node were accepted before.
    const many = new Array<number>(30_001).fill(2);
    expect(() => validateGenotype({ ...good, normal_concat: many }, space)).toThrow(/genotype\.normal_concat has 30001 entries; the cell has 2 intermediate nodes, so at most 2 \(each once\)/);
    expect(() => validateGenotype({ ...good, normal_concat: [2, 2] }, space)).toThrow(/genotype\.normal_concat\[1\]=2 repeats node 2/);
    expect(() => validateGenotype({ ...good, normal_concat: [1] }, space)).toThrow(/normal_concat\[0\]=1 is not a node; nodes are 2 … 3/);
    expect(() => validateGenotype({ ...good, normal_concat: [2.5] }, space)).toThrow(/normal_concat\[0\]=2\.5 is not a node/);
    expect(() => validateGenotype({ ...good, normal_concat: [NaN] }, space)).toThrow(/normal_concat\[0\]=NaN is not a node/);
    // A space without reduction cells takes an empty reduce_concat too (it was not read at all).
    expect(() => validateGenotype({ ...good, reduce_concat: many }, space)).toThrow(/reduce has 0 entries and reduce_concat 30001 but this vector space has no reduce cell/);
    validateGenotype({ ...good, normal_concat: [3, 2] }, space);

    const text = (normal: string, concat: string, reduce = '[]', reduceConcat = '[]') =>
      `Genotype(normal=${normal}, normal_concat=${concat}, reduce=${reduce}, reduce_concat=${reduceConcat})`;
    const pairs = "[('linear', 0), ('linear', 1), ('linear', 0), ('linear', 2)]";
    expect(fromDartsString(text(pairs, '[2, 3]')).normal_concat).toEqual([2, 3]);
    expect(fromDartsString(text(pairs, 'range(2, 4)')).normal_concat).toEqual([2, 3]);
    expect(() => fromDartsString(text(pairs, `[${many.join(', ')}]`))).toThrow(/normal_concat has 30001 entries; the cell has 2 intermediate nodes/);
    expect(() => fromDartsString(text(pairs, '[2, 2]'))).toThrow(/normal_concat\[1\]=2 repeats node 2/);
    expect(() => fromDartsString(text(pairs, '[2, 4]'))).toThrow(/normal_concat\[1\]=4 is not a node; nodes are 2 … 3/);
    expect(() => fromDartsString(text(pairs, 'range(0, 3)'))).toThrow(/normal_concat=range\(0, 3\) has 3 entries; the cell has 2 intermediate nodes/);
    expect(() => fromDartsString(text(pairs, 'range(1, 3)'))).toThrow(/normal_concat\[0\]=1 is not a node/);
    expect(() => fromDartsString(text(pairs, '[2]', '[]', '[2]'))).toThrow(/reduce_concat has 1 entries; the cell has 0 intermediate nodes/);
    expect(() => fromDartsString(text("[('linear', 0), ('linear', 1), ('linear', 0)]", '[2]'))).toThrow(/normal has 3 pairs; a cell has two per node/);
    expect(() => fromDartsString(text("[('linear', 0), ('linear', 2)]", '[2]'))).toThrow(/normal\[1\] has input 2; the inputs of node 2 are 0 … 1/);
    const long = `[${Array.from({ length: 2002 }, (_, k) => `('linear', ${k >> 1})`).join(', ')}]`;
    expect(() => fromDartsString(text(long, '[2]'))).toThrow(/normal has more than 2000 pairs \(1000 nodes\)/);
  });
});

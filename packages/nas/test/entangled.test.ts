// The weight-entangled supernet: a subnet's forward equals its extracted standalone network;
// TangleNAS' superposition equals the naive Σ_c p_c · pad(slice_c) sum (width, kernel, depth) to
// 1e-5; the ledger shows the supernet stores ≤ 1.05× its largest subnet; bad elastic choices fail
// clearly. Zero-cost proxies against plain JS references (float64), SynFlow's log domain where
// float32 overflows, Kendall τ-b against SciPy's documented example.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ForwardContext, Rng, mse, parameterLedger } from '@weft/core';
import {
  EntangledSupernet, SubnetNetwork, extractSubnet, gradNorm, kendallTau, largestSubnet, logAbsDet, naswot, snip, synflowLog,
  validateSubnet, resolveEntangledSpace, createEntangledSearch, runSearch, subnetParams,
} from '../src/index.js';

const randn = (rng: Rng, shape: number[]) => tf.tensor(rng.normalArray(shape.reduce((a, b) => a * b, 1)), shape);
const ctx = () => new ForwardContext();
const maxAbs = async (a: tf.Tensor, b: tf.Tensor) => (await tf.max(tf.abs(tf.sub(a, b))).data())[0]!;

describe('entangled supernet', () => {
  it('runs each subnet as slices that equal the extracted standalone network (mlp and cnn)', async () => {
    for (const kind of ['mlp', 'cnn'] as const) {
      const net = new EntangledSupernet({ kind }, new Rng(1));
      const x = kind === 'mlp' ? randn(new Rng(2), [5, 4]) : randn(new Rng(2), [2, 8, 8, 1]);
      for (const cfg of [largestSubnet(net.space), kind === 'mlp' ? { depth: 2, widths: [4, 16, 8] } : { depth: 2, widths: [4, 8, 8], kernels: [3, 1, 5] }]) {
        net.subnet = cfg;
        const a = net.forward(x, ctx());
        const b = extractSubnet(net, cfg).forward(x, ctx());
        expect(await maxAbs(a, b), `${kind} ${JSON.stringify(cfg)}`).toBeLessThan(1e-5);
      }
      net.subnet = null;
    }
  });

  it('superposition = Σ_c softmax(β)_c · (subnet slice c, zero-padded) for widths, kernels and depths', async () => {
    const rng = new Rng(3);
    // One layer, width and kernel choices: the masked weight equals the sum of padded slices.
    const net = new EntangledSupernet({ kind: 'cnn', depthChoices: [1], widthChoices: [2, 4], kernelChoices: [1, 3] }, rng);
    net.betaWidth.assign(randn(rng, net.betaWidth.shape));
    net.betaKernel!.assign(randn(rng, net.betaKernel!.shape));
    const x = randn(rng, [2, 6, 6, 1]);
    const got = net.forward(x, ctx());
    const pw = await tf.softmax(net.betaWidth).data();
    const pk = await tf.softmax(net.betaKernel!).data();
    // Naive: Σ_k pk · conv(x, centre-crop_k(W) zero-padded) then Σ_w pw · pad(relu(·)[..., :w]).
    const W = net.weights[0]!;
    const convK = [1, 3].map((k, i) => {
      const o = (3 - k) / 2;
      const crop = tf.slice(W, [o, o, 0, 0], [k, k, 1, 4]);
      return tf.mul(tf.conv2d(x as tf.Tensor4D, crop as tf.Tensor4D, 1, (k - 1) / 2), pk[i]!);
    });
    const h = tf.relu(tf.add(tf.addN(convK), net.biases[0]!));
    const hw = [2, 4].map((w, i) => tf.mul(tf.pad(tf.slice(h, [0, 0, 0, 0], [2, 6, 6, w]), [[0, 0], [0, 0], [0, 0], [0, 4 - w]]), pw[i]!));
    const ref = tf.add(tf.matMul(tf.mean(tf.addN(hw), [1, 2]), net.headWeight), net.headBias);
    expect(await maxAbs(got, ref)).toBeLessThan(1e-5);

    // Depth: the output is Σ_d p_d · head(h_d) (the head is linear).
    const m = new EntangledSupernet({ kind: 'mlp', depthChoices: [1, 2], widthChoices: [3] }, rng);
    m.betaDepth.assign(randn(rng, [2]));
    const xm = randn(rng, [4, 4]);
    const pd = await tf.softmax(m.betaDepth).data();
    const sub = [1, 2].map((d) => {
      m.subnet = { depth: d, widths: [3, 3] };
      const y = m.forward(xm, ctx());
      m.subnet = null;
      return tf.mul(tf.sub(y, m.headBias), pd[d - 1]!);
    });
    expect(await maxAbs(m.forward(xm, ctx()), tf.add(tf.addN(sub), m.headBias))).toBeLessThan(1e-5);
  });

  it('activation choices: the superposition is Σ_a softmax(β)_a · act_a(z) on the shared weight, a subnet equals its extracted network', async () => {
    const rng = new Rng(8);
    const net = new EntangledSupernet({ kind: 'mlp', depthChoices: [1], widthChoices: [3], activationChoices: ['relu', 'tanh'] }, rng);
    expect(net.archParameters()).toContain(net.betaActivation);
    net.betaActivation!.assign(randn(rng, [1, 2]));
    const x = randn(rng, [5, 4]);
    const pa = await tf.softmax(net.betaActivation!).data();
    const z = tf.add(tf.matMul(x, net.weights[0]!), net.biases[0]!);
    const h = tf.add(tf.mul(tf.relu(z), pa[0]!), tf.mul(tf.tanh(z), pa[1]!));
    expect(await maxAbs(net.forward(x, ctx()), tf.add(tf.matMul(h, net.headWeight), net.headBias))).toBeLessThan(1e-5);
    for (const a of ['relu', 'tanh'] as const) {
      const cfg = { depth: 1, widths: [3], activations: [a] };
      net.subnet = cfg;
      const ref = tf.add(tf.matMul(a === 'relu' ? tf.relu(z) : tf.tanh(z), net.headWeight), net.headBias);
      expect(await maxAbs(net.forward(x, ctx()), ref), a).toBeLessThan(1e-5);
      expect(await maxAbs(extractSubnet(net, cfg).forward(x, ctx()), ref), a).toBeLessThan(1e-5);
    }
    net.subnet = null;
    expect(() => validateSubnet(net.space, { depth: 1, widths: [3], activations: ['sigmoid' as never] })).toThrow(/activations\[0\]="sigmoid" is not a choice; allowed: relu, tanh/);
    expect(() => resolveEntangledSpace({ activationChoices: ['relu', 'relu'] })).toThrow(/activationChoices=\["relu","relu"\] must be distinct entries of relu, tanh/);
  });

  it('stores ≤ 1.05× the parameters of its largest subnet (the ledger), while a DARTS mixed op stores the sum', () => {
    for (const kind of ['mlp', 'cnn'] as const) {
      const net = new EntangledSupernet({ kind }, new Rng(0));
      const largest = extractSubnet(net, largestSubnet(net.space));
      const ratio = parameterLedger(net).totals.stored / parameterLedger(largest).totals.stored;
      expect(ratio, kind).toBeLessThanOrEqual(1.05);
      expect(ratio).toBeGreaterThanOrEqual(1);
      expect(subnetParams(net, largestSubnet(net.space))).toBe(parameterLedger(largest).totals.stored);
    }
  });

  it('rejects elastic choices out of range and bad spaces', () => {
    const s = resolveEntangledSpace({ kind: 'cnn' });
    expect(() => validateSubnet(s, { depth: 4, widths: [4, 4, 4], kernels: [3, 3, 3] })).toThrow(/depth=4 is out of range; allowed: 1, 2, 3/);
    expect(() => validateSubnet(s, { depth: 2, widths: [4, 6, 4], kernels: [3, 3, 3] })).toThrow(/widths\[1\]=6 is out of range; allowed: 4, 8/);
    expect(() => validateSubnet(s, { depth: 2, widths: [4, 4, 4], kernels: [3, 7, 3] })).toThrow(/kernels\[1\]=7 is out of range; allowed: 1, 3, 5/);
    expect(() => validateSubnet(s, { depth: 2, widths: [4, 4] })).toThrow(/must list 3 widths/);
    expect(() => resolveEntangledSpace({ kind: 'cnn', kernelChoices: [2, 3] })).toThrow(/kernelChoices\[0\]=2 must be an odd integer/);
    expect(() => resolveEntangledSpace({ widthChoices: [] })).toThrow(/widthChoices=\[\] must be a non-empty array/);
    expect(() => resolveEntangledSpace({ widthChoices: [8, 4] })).toThrow(/strictly ascending/);
    const net = new EntangledSupernet({ kind: 'mlp' });
    net.subnet = { depth: 1, widths: [4, 4, 32] };
    expect(() => net.forward(tf.ones([1, 4]), ctx())).toThrow(/widths\[2\]=32 is out of range/);
  });

  it('tanglenas and spos-entangled train through the step hook without growing tensors', async () => {
    for (const method of ['tanglenas', 'spos-entangled']) {
      const { net, searcher } = createEntangledSearch(method, { kind: 'mlp' }, mse, method === 'tanglenas' ? { costWeight: 0.1 } : { candidates: 3, costWeight: 0.1 }, 0);
      const rng = new Rng(5);
      const d = { x: randn(rng, [32, 4]), y: randn(rng, [32, 1]) };
      await runSearch({ searcher, train: d, val: d, steps: 2, batchSize: 8 });
      const before = tf.memory().numTensors;
      const r = await runSearch({ searcher, train: d, val: d, steps: 3, batchSize: 8 });
      expect(tf.memory().numTensors, method).toBe(before);
      validateSubnet(net.space, r.result);
      searcher.dispose();
    }
  });
});

describe('zero-cost proxies', () => {
  it("Kendall τ-b matches SciPy's documented example and the extremes", () => {
    expect(kendallTau([12, 2, 1, 12, 2], [1, 4, 7, 1, 0])).toBeCloseTo(-0.47140452079103173, 12);
    expect(kendallTau([1, 2, 3, 4], [10, 20, 30, 40])).toBe(1);
    expect(kendallTau([1, 2, 3, 4], [4, 3, 2, 1])).toBe(-1);
    // Equal infinities (NASWOT on a singular kernel) are ties, not discordant pairs.
    expect(kendallTau([-Infinity, -Infinity, 1, 2], [1, 2, 3, 4])).toBeCloseTo(5 / Math.sqrt(5 * 6), 12);
    expect(() => kendallTau([NaN, 1], [1, 2])).toThrow(/a\[0\] is NaN/);
    expect(() => kendallTau([1], [1])).toThrow(/at least 2/);
    expect(() => kendallTau([1, 2], [1])).toThrow(/lengths 2 and 1/);
  });

  it('grad-norm and SNIP of a one-layer network equal the float64 reference', async () => {
    const space = resolveEntangledSpace({ kind: 'mlp', depthChoices: [1], widthChoices: [3], inFeatures: 2, numOutputs: 1 });
    const net = new SubnetNetwork(space, { depth: 1, widths: [3] }, new Rng(4));
    const rng = new Rng(6);
    const x = randn(rng, [5, 2]);
    const y = randn(rng, [5, 1]);
    const [W1, b1, W2, b2, X, Y] = await Promise.all([...net.parameters(), x, y].map((t) => t.data()));
    // Reference backprop in float64.
    let gW1 = new Float64Array(6), gb1 = new Float64Array(3), gW2 = new Float64Array(3), gb2 = 0;
    for (let n = 0; n < 5; n++) {
      const z = [0, 1, 2].map((j) => X[n * 2]! * W1[j]! + X[n * 2 + 1]! * W1[3 + j]! + b1[j]!);
      const h = z.map((v) => Math.max(0, v));
      const out = h.reduce((s, v, j) => s + v * W2[j]!, b2[0]!);
      const d = (2 * (out - Y[n]!)) / 5;
      gb2 += d;
      for (let j = 0; j < 3; j++) {
        gW2[j]! += d * h[j]!;
        const dz = z[j]! > 0 ? d * W2[j]! : 0;
        gb1[j]! += dz;
        gW1[j]! += dz * X[n * 2]!;
        gW1[3 + j]! += dz * X[n * 2 + 1]!;
      }
    }
    const norm = (a: ArrayLike<number>) => Math.sqrt(Array.from(a).reduce((s, v) => s + v * v, 0));
    const refNorm = norm(gW1) + norm(gb1) + norm(gW2) + Math.abs(gb2);
    const dot = (p: ArrayLike<number>, g: ArrayLike<number>) => Array.from(g).reduce((s, v, i) => s + Math.abs(v * p[i]!), 0);
    const refSnip = dot(W1, gW1) + dot(b1, gb1) + dot(W2, gW2) + Math.abs(gb2 * b2[0]!);
    const p = { model: net, x, y, loss: mse };
    expect(await gradNorm(p)).toBeCloseTo(refNorm, 4);
    expect(await snip(p)).toBeCloseTo(refSnip, 4);
  });

  it('SynFlow in the log domain is finite and exact where float32 overflows (30-layer chain)', async () => {
    const D = 30;
    const space = resolveEntangledSpace({ kind: 'mlp', depthChoices: [D], widthChoices: [8], inFeatures: 8, numOutputs: 1 });
    const net = new SubnetNetwork(space, { depth: D, widths: new Array(D).fill(8) }, new Rng(8));
    for (const v of net.parameters()) v.assign(tf.mul(v, 40));
    const x = tf.ones([1, 8]);
    // Float64 reference: |W|, zero biases, ones input; R = 1ᵀ|W_L|ᵀ…|W_1|ᵀ1 and each of the D+1
    // weight tensors contributes R (Euler), so log score = log(D+1) + log R.
    const Ws = await Promise.all(net.parameters().filter((v) => v.rank === 2).map(async (v) => ({ d: await v.data(), s: v.shape as [number, number] })));
    let h = new Float64Array(8).fill(1);
    let logR = 0;
    for (const { d, s } of Ws) {
      const next = new Float64Array(s[1]);
      for (let i = 0; i < s[0]; i++) for (let j = 0; j < s[1]; j++) next[j]! += h[i]! * Math.abs(d[i * s[1] + j]!);
      const m = Math.max(...next);
      logR += Math.log(m);
      h = next.map((v) => v / m);
    }
    logR += Math.log(h.reduce((a, b) => a + b, 0));
    const ref = Math.log(D + 1) + logR;
    expect(ref).toBeGreaterThan(Math.log(3.4e38)); // float32 would overflow
    const got = await synflowLog({ model: net, x });
    expect(Number.isFinite(got)).toBe(true);
    expect(Math.abs(got - ref) / ref).toBeLessThan(1e-4);
    // The parameters are restored.
    expect((await tf.max(tf.abs(net.parameters()[1]!)).data())[0]).toBeGreaterThan(0);
  });

  it('NASWOT equals log|det K| of the ReLU codes computed in JS', async () => {
    const space = resolveEntangledSpace({ kind: 'mlp', depthChoices: [1], widthChoices: [16], inFeatures: 3, numOutputs: 1 });
    const net = new SubnetNetwork(space, { depth: 1, widths: [16] }, new Rng(9));
    const x = randn(new Rng(10), [6, 3]);
    const [W, b, X] = await Promise.all([net.parameters()[0]!.data(), net.parameters()[1]!.data(), x.data()]);
    const codes = Array.from({ length: 6 }, (_, n) => Array.from({ length: 16 }, (_, j) => (X[n * 3]! * W[j]! + X[n * 3 + 1]! * W[16 + j]! + X[n * 3 + 2]! * W[32 + j]! + b[j]! > 0 ? 1 : 0)));
    const K = new Float64Array(36);
    for (let i = 0; i < 6; i++) for (let j = 0; j < 6; j++) K[i * 6 + j] = codes[i]!.reduce((s, c, u) => s + (c === codes[j]![u] ? 1 : 0), 0);
    expect(await naswot({ model: net, x })).toBeCloseTo(logAbsDet(K, 6), 4);
    expect(logAbsDet([2, 0, 0, 3], 2)).toBeCloseTo(Math.log(6), 12);
  });
});

// Layers, model builders, losses and the testing utilities, on wasm and cpu: outputs against plain
// JS reference loops (layers-reference.ts), every trainable parameter's gradient against finite
// differences (gradCheck), causality and padding masks, shapes, and errors for bad configs/inputs.
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import {
  Activation,
  ACTIVATIONS,
  AvgPool2d,
  CausalSelfAttention,
  Conv2d,
  Dropout,
  Embedding,
  Flatten,
  ForwardContext,
  LayerNorm,
  Linear,
  MaxPool2d,
  MLP,
  MLPClassifier,
  Module,
  RMSNorm,
  Rng,
  Sequential,
  TinyCNN,
  TinyTransformer,
  TransformerBlock,
  parameterLedger,
  type ActivationName,
  type Conv2dConfig,
} from '@weft/core';
import { accuracy, mse, softmaxCrossEntropy } from '../src/train/losses.js';
import {
  backendParity,
  describeBackends,
  formatGradCheck,
  gradCheck,
  leakCheck,
  type GradCheckOptions,
  type GradCheckVariables,
} from '@weft/core/testing';
import * as R from './layers-reference.js';

// ---------------------------------------------------------------------------------------------
// Helpers

const measured: Array<{ what: string; backend: string; checked: number; maxRel: number; maxAbs: number }> = [];
afterAll(() => {
  if (measured.length === 0) return;
  const worst = [...measured].sort((a, b) => b.maxRel - a.maxRel).slice(0, 8);
  console.log(
    `gradCheck: ${measured.length} checks; worst relative errors:\n` +
      worst.map((m) => `  ${m.what} [${m.backend}]: rel ${m.maxRel.toExponential(2)}, abs ${m.maxAbs.toExponential(2)} (${m.checked} entries)`).join('\n'),
  );
});

const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const randn = (rng: Rng, shape: number[], std = 1) => tf.tensor(rng.normalArray(sizeOf(shape), 0, std), shape);
const arr = async (t: tf.Tensor) => R.f64(await t.data());
const dot = (out: tf.Tensor, r: tf.Tensor) => tf.sum(tf.mul(out, r)) as tf.Scalar;

/** Give a module's parameters random values (so ones/zeros inits do not hide mistakes). */
function randomize(m: Module<any, any>, rng: Rng, std = 0.5): void {
  for (const v of m.parameters()) {
    const t = randn(rng, v.shape, std);
    v.assign(t);
    t.dispose();
  }
}

async function expectGrads(what: string, f: () => tf.Scalar, vars: GradCheckVariables, options: GradCheckOptions = {}) {
  const r = await gradCheck(f, vars, options);
  measured.push({ what, backend: tf.getBackend(), checked: r.checked, maxRel: r.maxRelError, maxAbs: r.maxAbsError });
  expect(r.ok, `${what}\n${formatGradCheck(r)}`).toBe(true);
  expect(r.checked).toBeGreaterThan(0);
  return r;
}

/** Fail, naming them, when the active backend lacks kernels a gradient needs (Weft registers them on wasm). */
function requireKernels(_ctx: unknown, ...kernels: string[]): void {
  const missing = kernels.filter((k) => !tf.getKernel(k, tf.getBackend()));
  expect(missing, `${tf.getBackend()} lacks kernel(s) that gradients need`).toEqual([]);
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-4) {
  expect(actual.length).toBe(expected.length);
  const d = R.maxRelDiff(actual, expected);
  expect(d, `max relative difference ${d}`).toBeLessThan(tol);
}

const linP = async (l: Linear) => ({ w: await arr(l.weight), b: l.bias ? await arr(l.bias) : null });

async function attnParams(a: CausalSelfAttention): Promise<R.AttnParams> {
  const [q, k, v, o] = await Promise.all([linP(a.q), linP(a.k), linP(a.v), linP(a.o)]);
  return { wq: q.w, bq: q.b, wk: k.w, bk: k.b, wv: v.w, bv: v.b, wo: o.w, bo: o.b };
}

// ---------------------------------------------------------------------------------------------

describeBackends('layers', (backend) => {
  describe('activations', () => {
    it('match the reference formulas and their gradients', async () => {
      const xs = Array.from({ length: 23 }, (_, i) => -4.05 + i * 0.37); // avoids 0 (ReLU kink)
      const x = tf.variable(tf.tensor1d(xs));
      for (const name of Object.keys(ACTIVATIONS) as ActivationName[]) {
        const act = new Activation({ activation: name });
        const y = act.call(x);
        expectClose(await y.data(), xs.map(R.actRef[name]!), 2e-6);
        if (y !== x) y.dispose(); // identity returns its input
        await expectGrads(`activation ${name}`, () => tf.sum(tf.square(act.call(x))) as tf.Scalar, [x], { maxEntries: 23 });
      }
      x.dispose();
    });

    it('rejects an unknown activation by name', () => {
      expect(() => new Activation({ activation: 'swish' as ActivationName })).toThrow(
        'Activation: activation="swish" must be one of "relu", "gelu", "gelu_tanh", "silu", "sigmoid", "tanh", "identity"',
      );
    });
  });

  describe('Embedding', () => {
    it('gathers rows, shape [...ids, dim], N(0,1) init', async () => {
      const e = new Embedding({ numEmbeddings: 200, embeddingDim: 50 }, new Rng(1));
      const w = await arr(e.weight);
      const mean = w.reduce((a, b) => a + b, 0) / w.length;
      const std = Math.sqrt(w.reduce((a, b) => a + (b - mean) ** 2, 0) / w.length);
      expect(Math.abs(mean)).toBeLessThan(0.03);
      expect(Math.abs(std - 1)).toBeLessThan(0.03);
      const ids = tf.tensor2d([[0, 5, 199], [3, 3, 7]], [2, 3], 'int32');
      const y = e.call(ids);
      expect(y.shape).toEqual([2, 3, 50]);
      expectClose(await y.data(), R.embeddingRef(w, 50, [0, 5, 199, 3, 3, 7]), 1e-7);
      tf.dispose([ids, y]);
      e.dispose();
    });

    it('gradient accumulates repeated ids (finite differences)', async (ctx) => {
      requireKernels(ctx, 'UnsortedSegmentSum');
      const rng = new Rng(2);
      const e = new Embedding({ numEmbeddings: 6, embeddingDim: 3 }, rng);
      const ids = tf.tensor2d([[1, 4, 1], [0, 1, 5]], [2, 3], 'int32');
      const r = randn(rng, [2, 3, 3]);
      await expectGrads('Embedding', () => dot(e.call(ids), r), e.namedParameters(), { maxEntries: 18 });
      tf.dispose([ids, r]);
      e.dispose();
    });

    it('rejects float ids and bad configs', () => {
      const e = new Embedding({ numEmbeddings: 4, embeddingDim: 2 });
      const ids = tf.tensor1d([1, 2]);
      expect(() => e.call(ids)).toThrow('Embedding: ids must be an int32 tensor, got dtype float32');
      expect(() => new Embedding({ numEmbeddings: 0, embeddingDim: 2 })).toThrow('Embedding: numEmbeddings=0 must be a positive integer');
      expect(() => new Embedding({ numEmbeddings: 3, embeddingDim: 2, initStd: -1 })).toThrow('Embedding: initStd=-1 must be a positive finite number');
      ids.dispose();
      e.dispose();
    });
  });

  describe('LayerNorm / RMSNorm', () => {
    it('LayerNorm matches the reference (eps 1e-5, affine) and gradients check', async () => {
      const rng = new Rng(3);
      const ln = new LayerNorm({ dim: 6 });
      expect(ln.eps).toBe(1e-5);
      expect(Array.from(await ln.weight!.data())).toEqual([1, 1, 1, 1, 1, 1]);
      expect(Array.from(await ln.bias!.data())).toEqual([0, 0, 0, 0, 0, 0]);
      randomize(ln, rng);
      const x = tf.variable(tf.add(randn(rng, [2, 3, 6]), 2)); // offset: mean subtraction matters
      const y = ln.call(x);
      expect(y.shape).toEqual([2, 3, 6]);
      expectClose(await y.data(), R.layerNormRef(await arr(x), 6, 6, await arr(ln.weight!), await arr(ln.bias!), 1e-5));
      const r = randn(rng, [2, 3, 6]);
      await expectGrads('LayerNorm', () => dot(ln.call(x), r), [['x', x], ...ln.namedParameters()]);
      tf.dispose([x, y, r]);
      ln.dispose();
    });

    it('LayerNorm without affine has no parameters; without bias only a weight', () => {
      expect(new LayerNorm({ dim: 4, elementwiseAffine: false }).parameters()).toHaveLength(0);
      expect(new LayerNorm({ dim: 4, bias: false }).namedParameters().map(([n]) => n)).toEqual(['weight']);
    });

    it('RMSNorm matches the LLaMA form (eps 1e-6, no bias) and gradients check', async () => {
      const rng = new Rng(4);
      const n = new RMSNorm({ dim: 5 });
      expect(n.eps).toBe(1e-6);
      expect(n.namedParameters().map(([p]) => p)).toEqual(['weight']);
      randomize(n, rng);
      const x = tf.variable(randn(rng, [4, 5]));
      const y = n.call(x);
      expectClose(await y.data(), R.rmsNormRef(await arr(x), 4, 5, await arr(n.weight!), 1e-6));
      const r = randn(rng, [4, 5]);
      await expectGrads('RMSNorm', () => dot(n.call(x), r), [['x', x], ...n.namedParameters()]);
      tf.dispose([x, y, r]);
      n.dispose();
    });

    it('reject bad dims, eps and inputs', () => {
      expect(() => new LayerNorm({ dim: 4, eps: 0 })).toThrow('LayerNorm: eps=0 must be a positive finite number');
      expect(() => new RMSNorm({ dim: 2.5 })).toThrow('RMSNorm: dim=2.5 must be a positive integer');
      const ln = new LayerNorm({ dim: 4 });
      const x = tf.zeros([2, 3]);
      expect(() => ln.call(x)).toThrow('LayerNorm: input last dimension 3 (shape [2,3]) must equal dim=4');
      x.dispose();
      ln.dispose();
    });
  });

  describe('MLP', () => {
    it('plain Linear–GELU–Linear matches the reference; gradients check', async () => {
      const rng = new Rng(5);
      const m = new MLP({ dim: 4, hidden: 6 }, rng);
      expect(m.namedParameters().map(([p]) => p)).toEqual(['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']);
      const x = tf.variable(randn(rng, [2, 3, 4]));
      const y = m.call(x);
      expect(y.shape).toEqual([2, 3, 4]);
      const [a, b] = [await linP(m.fc1!), await linP(m.fc2!)];
      expectClose(await y.data(), R.mlpRef(await arr(x), 6, 4, 6, 4, { w1: a.w, b1: a.b, w2: b.w, b2: b.b }, 'gelu'));
      const r = randn(rng, [2, 3, 4]);
      await expectGrads('MLP gelu', () => dot(m.call(x), r), [['x', x], ...m.namedParameters()]);
      tf.dispose([x, y, r]);
      m.dispose();
    });

    it('SwiGLU (gate/up/down, no bias, hidden ⌈8d/3⌉) matches the reference; gradients check', async () => {
      const rng = new Rng(6);
      const m = new MLP({ dim: 6, gated: true, outDim: 3 }, rng);
      expect(m.hidden).toBe(16);
      expect(m.namedParameters().map(([p]) => p)).toEqual(['gate.weight', 'up.weight', 'down.weight']);
      const x = tf.variable(randn(rng, [5, 6]));
      const y = m.call(x);
      expect(y.shape).toEqual([5, 3]);
      const p = { wg: await arr(m.gate!.weight), wu: await arr(m.up!.weight), wd: await arr(m.down!.weight) };
      expectClose(await y.data(), R.gatedMlpRef(await arr(x), 5, 6, 16, 3, p, 'silu'));
      const r = randn(rng, [5, 3]);
      await expectGrads('MLP swiglu', () => dot(m.call(x), r), [['x', x], ...m.namedParameters()]);
      tf.dispose([x, y, r]);
      m.dispose();
    });

    it('defaults to hidden 4·dim and rejects bad configs', () => {
      expect(new MLP({ dim: 3 }).hidden).toBe(12);
      expect(() => new MLP({ dim: 3, hidden: 0 })).toThrow('MLP: hidden=0 must be a positive integer');
      expect(() => new MLP({ dim: 3, dropout: 1 })).toThrow('MLP: dropout=1 must be < 1');
      expect(() => new MLP({ dim: 3, activation: 'nope' as ActivationName })).toThrow('MLP: activation="nope" must be one of');
    });
  });

  describe('CausalSelfAttention', () => {
    it('multi-head causal attention matches the reference; gradients check', async () => {
      const rng = new Rng(7);
      const a = new CausalSelfAttention({ dim: 8, numHeads: 2 }, rng);
      expect(a.namedParameters().map(([p]) => p)).toEqual(['q.weight', 'q.bias', 'k.weight', 'k.bias', 'v.weight', 'v.bias', 'o.weight', 'o.bias']);
      const x = tf.variable(randn(rng, [2, 4, 8]));
      const y = a.call(x);
      expect(y.shape).toEqual([2, 4, 8]);
      expectClose(await y.data(), R.attentionRef(await arr(x), 2, 4, 8, 2, 2, await attnParams(a), true, null));
      const r = randn(rng, [2, 4, 8]);
      await expectGrads('CausalSelfAttention', () => dot(a.call(x), r), [['x', x], ...a.namedParameters()]);
      tf.dispose([x, y, r]);
      a.dispose();
    });

    it('grouped-query, bidirectional, with a padding mask matches the reference; gradients check', async () => {
      const rng = new Rng(8);
      const a = new CausalSelfAttention({ dim: 8, numHeads: 4, numKVHeads: 2, causal: false, bias: false }, rng);
      expect(a.k.weight.shape).toEqual([8, 4]);
      const x = tf.variable(randn(rng, [2, 5, 8]));
      const maskData = [1, 1, 1, 0, 0, 1, 1, 1, 1, 1];
      const mask = tf.tensor2d(maskData, [2, 5], 'int32');
      const y = a.call({ x, attentionMask: mask });
      expectClose(await y.data(), R.attentionRef(await arr(x), 2, 5, 8, 4, 2, await attnParams(a), false, maskData));
      const r = randn(rng, [2, 5, 8]);
      await expectGrads('CausalSelfAttention GQA+mask', () => dot(a.call({ x, attentionMask: mask }), r), [['x', x], ...a.namedParameters()]);
      tf.dispose([x, y, r, mask]);
      a.dispose();
    });

    it('is really causal: changing a later position leaves earlier outputs unchanged', async () => {
      const rng = new Rng(9);
      const a = new CausalSelfAttention({ dim: 4, numHeads: 2 }, rng);
      const x1 = randn(rng, [1, 5, 4]);
      const bump = tf.tensor3d([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, -2, 1, 5], [1, 5, 4]);
      const x2 = tf.add(x1, bump); // only position 4 differs
      const [y1, y2] = [await arr(a.call(x1)), await arr(a.call(x2))];
      expectClose(y2.slice(0, 16), y1.slice(0, 16), 1e-6);
      expect(R.maxRelDiff(y2.slice(16), y1.slice(16))).toBeGreaterThan(1e-3);
      tf.dispose([x1, x2, bump]);
      a.dispose();
    });

    it('padded keys are ignored: changing padded positions leaves real positions unchanged', async () => {
      const rng = new Rng(10);
      const a = new CausalSelfAttention({ dim: 4, numHeads: 1, causal: false }, rng);
      const x1 = randn(rng, [1, 4, 4]);
      const x2 = tf.concat([tf.slice(x1, [0, 0, 0], [1, 2, 4]), randn(rng, [1, 2, 4])], 1);
      const mask = tf.tensor2d([[1, 1, 0, 0]], [1, 4], 'int32');
      const [y1, y2] = [await arr(a.call({ x: x1, attentionMask: mask })), await arr(a.call({ x: x2, attentionMask: mask }))];
      expectClose(y2.slice(0, 8), y1.slice(0, 8), 1e-6);
      tf.dispose([x1, x2, mask]);
      a.dispose();
    });

    it('dropout in training uses ctx.rng (same seed, same output; eval is deterministic)', async () => {
      const rng = new Rng(11);
      const a = new CausalSelfAttention({ dim: 4, numHeads: 2, dropout: 0.5 }, rng);
      const x = randn(rng, [1, 3, 4]);
      const t1 = await arr(a.forward(x, new ForwardContext({ training: true, seed: 1 })));
      const t2 = await arr(a.forward(x, new ForwardContext({ training: true, seed: 1 })));
      const t3 = await arr(a.forward(x, new ForwardContext({ training: true, seed: 2 })));
      const e = await arr(a.forward(x, new ForwardContext({ training: false })));
      expect(Array.from(t1)).toEqual(Array.from(t2));
      expect(Array.from(t1)).not.toEqual(Array.from(t3));
      expect(Array.from(t1)).not.toEqual(Array.from(e));
      x.dispose();
      a.dispose();
    });

    it('rejects bad configs and inputs', () => {
      expect(() => new CausalSelfAttention({ dim: 6, numHeads: 4 })).toThrow('CausalSelfAttention: numHeads=4 must divide dim=6');
      expect(() => new CausalSelfAttention({ dim: 8, numHeads: 4, numKVHeads: 3 })).toThrow('CausalSelfAttention: numKVHeads=3 must divide numHeads=4');
      const a = new CausalSelfAttention({ dim: 4, numHeads: 2 });
      const x = tf.zeros([2, 3, 4]);
      const x2 = tf.zeros([3, 4]);
      const bad = tf.ones([2, 4]);
      expect(() => a.call(x2)).toThrow('CausalSelfAttention: x has shape [3,4] (rank 2); expected rank 3: (batch, time, dim)');
      expect(() => a.call({ x, attentionMask: bad })).toThrow('CausalSelfAttention: attentionMask has shape [2,4]; expected [2, 3]');
      tf.dispose([x, x2, bad]);
      a.dispose();
    });
  });

  describe('TransformerBlock', () => {
    async function blockRef(b: TransformerBlock, x: R.Arr, B: number, T: number, C: number, gated: boolean, mask: number[] | null) {
      const norm = async (n: LayerNorm | RMSNorm, v: R.Arr) =>
        n instanceof LayerNorm
          ? R.layerNormRef(v, B * T, C, await arr(n.weight!), await arr(n.bias!), n.eps)
          : R.rmsNormRef(v, B * T, C, await arr(n.weight!), n.eps);
      const a = b.attn;
      const attn = R.attentionRef(await norm(b.norm1, x), B, T, C, a.numHeads, a.numKVHeads, await attnParams(a), a.causal, mask);
      const h = x.map((v, i) => v + attn[i]!);
      const m = b.ffn as MLP;
      const n2 = await norm(b.norm2, h);
      const f = gated
        ? R.gatedMlpRef(n2, B * T, C, m.hidden, C, { wg: await arr(m.gate!.weight), wu: await arr(m.up!.weight), wd: await arr(m.down!.weight) }, 'silu')
        : R.mlpRef(n2, B * T, C, m.hidden, C, { w1: (await linP(m.fc1!)).w, b1: (await linP(m.fc1!)).b, w2: (await linP(m.fc2!)).w, b2: (await linP(m.fc2!)).b }, 'gelu');
      return h.map((v, i) => v + f[i]!);
    }

    it('pre-norm LayerNorm + GELU MLP matches the reference; gradients check', async () => {
      const rng = new Rng(12);
      const b = new TransformerBlock({ dim: 8, numHeads: 2, mlpHidden: 12 }, rng);
      randomize(b.norm1, rng);
      randomize(b.norm2, rng);
      expect([...b.namedChildren().keys()]).toEqual(['norm1', 'attn', 'norm2', 'ffn']);
      const x = tf.variable(randn(rng, [2, 3, 8]));
      const y = b.call(x);
      expectClose(await y.data(), await blockRef(b, await arr(x), 2, 3, 8, false, null));
      const r = randn(rng, [2, 3, 8]);
      await expectGrads('TransformerBlock layernorm', () => dot(b.call(x), r), [['x', x], ...b.namedParameters()], { maxEntries: 8 });
      tf.dispose([x, y, r]);
      b.dispose();
    });

    it('RMSNorm + SwiGLU + GQA with a mask matches the reference; gradients check', async () => {
      const rng = new Rng(13);
      const b = new TransformerBlock({ dim: 8, numHeads: 4, numKVHeads: 2, norm: 'rmsnorm', gated: true }, rng);
      randomize(b.norm1, rng);
      randomize(b.norm2, rng);
      expect(b.norm1).toBeInstanceOf(RMSNorm);
      expect(b.attn.q.bias).toBeNull(); // gated → LLaMA: no biases
      const x = tf.variable(randn(rng, [2, 3, 8]));
      const maskData = [1, 1, 0, 1, 1, 1];
      const mask = tf.tensor2d(maskData, [2, 3]);
      const y = b.call({ x, attentionMask: mask });
      expectClose(await y.data(), await blockRef(b, await arr(x), 2, 3, 8, true, maskData));
      const r = randn(rng, [2, 3, 8]);
      await expectGrads('TransformerBlock rmsnorm+swiglu+gqa', () => dot(b.call({ x, attentionMask: mask }), r), [['x', x], ...b.namedParameters()], { maxEntries: 8 });
      tf.dispose([x, y, r, mask]);
      b.dispose();
    });

    it('takes a pluggable ffn (module or factory)', async () => {
      class Scale extends Module {
        readonly s: tf.Variable;
        constructor() {
          super();
          this.s = this.addParameter('s', tf.scalar(0.5));
        }
        forward(x: tf.Tensor): tf.Tensor {
          return tf.mul(x, this.s);
        }
      }
      const rng = new Rng(14);
      const viaModule = new TransformerBlock({ dim: 4, numHeads: 1, ffn: new Scale() }, rng);
      const viaFactory = new TransformerBlock({ dim: 4, numHeads: 1, ffn: (dim) => (expect(dim).toBe(4), new Scale()) }, rng);
      for (const b of [viaModule, viaFactory]) {
        expect(b.ffn).toBeInstanceOf(Scale);
        expect(b.namedParameters().map(([p]) => p)).toContain('ffn.s');
        const x = tf.variable(randn(rng, [1, 2, 4]));
        await expectGrads('TransformerBlock custom ffn', () => tf.sum(tf.square(b.call(x))) as tf.Scalar, b.namedParameters(), { maxEntries: 4 });
        x.dispose();
      }
      expect(() => new TransformerBlock({ dim: 4, numHeads: 1, ffn: 3 as never })).toThrow('TransformerBlock: ffn=3 must be a Module or a factory');
      expect(() => new TransformerBlock({ dim: 4, numHeads: 1, norm: 'batchnorm' as never })).toThrow(
        'TransformerBlock: norm="batchnorm" must be one of "layernorm", "rmsnorm"',
      );
    });
  });

  describe('Conv2d and pools', () => {
    const cases: Array<{ name: string; cfg: Conv2dConfig; input: number[]; ref: Omit<R.ConvRefOptions, 'depthwise'> }> = [
      { name: 'valid 3×3', cfg: { inChannels: 2, outChannels: 3, kernelSize: 3 }, input: [2, 5, 5, 2], ref: { stride: [1, 1], pad: [0, 0], dilation: [1, 1] } },
      { name: "'same' stride 2", cfg: { inChannels: 2, outChannels: 3, kernelSize: 3, stride: 2, padding: 'same' }, input: [1, 6, 5, 2], ref: { stride: [2, 2], pad: 'same', dilation: [1, 1] } },
      { name: 'padding 1, 2×3 kernel, no bias', cfg: { inChannels: 1, outChannels: 2, kernelSize: [2, 3], padding: 1, bias: false }, input: [1, 4, 4, 1], ref: { stride: [1, 1], pad: [1, 1], dilation: [1, 1] } },
      { name: 'dilation 2', cfg: { inChannels: 2, outChannels: 2, kernelSize: 3, dilation: 2, padding: 'same' }, input: [1, 6, 6, 2], ref: { stride: [1, 1], pad: 'same', dilation: [2, 2] } },
    ];
    for (const c of cases) {
      it(`Conv2d ${c.name} matches the reference; gradients check`, async (ctx) => {
        const rng = new Rng(15);
        const conv = new Conv2d(c.cfg, rng);
        const x = tf.variable(randn(rng, c.input));
        const y = conv.call(x);
        const [ref, shape] = R.conv2dRef(await arr(x), c.input, await arr(conv.weight), conv.weight.shape, conv.bias ? await arr(conv.bias) : null, { ...c.ref, depthwise: false });
        expect(y.shape).toEqual(shape);
        expectClose(await y.data(), ref);
        const r = randn(rng, shape);
        requireKernels(ctx, 'Conv2DBackpropFilter', 'Conv2DBackpropInput');
        await expectGrads(`Conv2d ${c.name}`, () => dot(conv.call(x), r), [['x', x], ...conv.namedParameters()]);
        tf.dispose([x, y, r]);
        conv.dispose();
      });
    }

    it('depthwise Conv2d (groups = inChannels) matches the reference; gradients check', async (ctx) => {
      const rng = new Rng(16);
      const conv = new Conv2d({ inChannels: 2, outChannels: 4, kernelSize: 3, groups: 2, padding: 'same' }, rng);
      expect(conv.depthwise).toBe(true);
      expect(conv.weight.shape).toEqual([3, 3, 2, 2]);
      const x = tf.variable(randn(rng, [1, 4, 4, 2]));
      const y = conv.call(x);
      const [ref, shape] = R.conv2dRef(await arr(x), [1, 4, 4, 2], await arr(conv.weight), conv.weight.shape, await arr(conv.bias!), {
        stride: [1, 1], pad: 'same', dilation: [1, 1], depthwise: true,
      });
      expect(y.shape).toEqual(shape);
      expectClose(await y.data(), ref);
      const r = randn(rng, shape);
      requireKernels(ctx, 'DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput');
      await expectGrads('Conv2d depthwise', () => dot(conv.call(x), r), [['x', x], ...conv.namedParameters()]);
      tf.dispose([x, y, r]);
      conv.dispose();
    });

    it('Conv2d uses the PyTorch init bound 1/√fanIn and rejects bad configs and inputs', async () => {
      const conv = new Conv2d({ inChannels: 4, outChannels: 8, kernelSize: 3 }, new Rng(17));
      const w = await arr(conv.weight);
      expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(1 / 6);
      expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(0.15);
      expect(() => new Conv2d({ inChannels: 4, outChannels: 8, kernelSize: 3, groups: 2 })).toThrow(
        'Conv2d: groups=2 must be 1 (dense) or inChannels=4 (depthwise)',
      );
      expect(() => new Conv2d({ inChannels: 4, outChannels: 6, kernelSize: 3, groups: 4 })).toThrow('Conv2d: outChannels=6 must be a multiple of inChannels=4');
      expect(() => new Conv2d({ inChannels: 1, outChannels: 1, kernelSize: 3, padding: -1 })).toThrow("Conv2d: padding=-1 must be 'same', 'valid'");
      expect(() => new Conv2d({ inChannels: 1, outChannels: 1, kernelSize: 0 })).toThrow('Conv2d: kernelSize=0 must be a positive integer');
      const x = tf.zeros([1, 4, 4, 3]);
      const small = tf.zeros([1, 2, 2, 4]);
      expect(() => conv.call(x)).toThrow('Conv2d: x has shape [1,4,4,3]; its channel (last) dimension must equal inChannels=4');
      expect(() => conv.call(small)).toThrow('Conv2d: input 2×2 (after padding) is smaller than the (dilated) kernel 3×3');
      tf.dispose([x, small]);
      conv.dispose();
    });

    it('MaxPool2d and AvgPool2d match the reference; gradients check (no ties)', async () => {
      const rng = new Rng(18);
      // Distinct values 0.1 apart: no max-pool ties within the finite-difference step.
      const perm = Array.from(rng.permutation(2 * 4 * 4 * 3), (v) => (v - 48) * 0.1);
      const x = tf.variable(tf.tensor(perm, [2, 4, 4, 3]));
      for (const [Pool, kind] of [[MaxPool2d, 'max'], [AvgPool2d, 'avg']] as const) {
        const p = new Pool({ kernelSize: 2 });
        const y = p.call(x);
        const [ref, shape] = R.poolRef(R.f64(perm), [2, 4, 4, 3], 2, 2, kind);
        expect(y.shape).toEqual(shape);
        expectClose(await y.data(), ref, 1e-6);
        const r = randn(rng, shape);
        await expectGrads(`${kind} pool`, () => dot(p.call(x), r), [x], { maxEntries: 96 });
        tf.dispose([y, r]);
      }
      const same = new MaxPool2d({ kernelSize: 3, stride: 2, padding: 'same' });
      expect(same.call(x).shape).toEqual([2, 2, 2, 3]);
      expect(() => new MaxPool2d({ kernelSize: 2, padding: 'full' as never })).toThrow('MaxPool2d: padding="full" must be one of "valid", "same"');
      expect(() => new AvgPool2d({ kernelSize: 5 }).call(x)).toThrow('AvgPool2d: input 4×4 (shape [2,4,4,3]) is smaller than the window 5×5');
      x.dispose();
    });
  });

  describe('Flatten, Dropout, Sequential', () => {
    it('Flatten keeps the batch axis', () => {
      const x = tf.zeros([2, 3, 4, 5]);
      expect(new Flatten().call(x).shape).toEqual([2, 60]);
      x.dispose();
    });

    it('Dropout: inverted scaling in training, identity in eval, reproducible by seed', async () => {
      const d = new Dropout({ rate: 0.25 });
      const x = tf.ones([4000]);
      const y = await arr(d.forward(x, new ForwardContext({ training: true, seed: 3 })));
      const zeros = y.filter((v) => v === 0).length / y.length;
      expect(Math.abs(zeros - 0.25)).toBeLessThan(0.03);
      expect(y.every((v) => v === 0 || Math.abs(v - 4 / 3) < 1e-6)).toBe(true);
      const again = await arr(d.forward(x, new ForwardContext({ training: true, seed: 3 })));
      expect(Array.from(again)).toEqual(Array.from(y));
      expect(d.forward(x, new ForwardContext({ training: false }))).toBe(x);
      expect(() => new Dropout({ rate: 1 })).toThrow('Dropout: rate=1 must be < 1');
      expect(() => new Dropout({ rate: -0.1 })).toThrow('Dropout: rate=-0.1 must be a number in [0, 1]');
      x.dispose();
    });

    it('Sequential chains modules, names children 0, 1, …; gradients check', async () => {
      const rng = new Rng(19);
      const s = new Sequential([new Linear({ inFeatures: 3, outFeatures: 4 }, rng), new Activation({ activation: 'tanh' }), new Linear({ inFeatures: 4, outFeatures: 2 }, rng)]);
      expect(s.namedParameters().map(([p]) => p)).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
      const x = randn(rng, [5, 3]);
      const r = randn(rng, [5, 2]);
      expect(s.call(x).shape).toEqual([5, 2]);
      await expectGrads('Sequential', () => dot(s.call(x), r), s.namedParameters());
      tf.dispose([x, r]);
      s.dispose();
    });
  });

  describe('models', () => {
    it('MLPClassifier matches the reference and gradients check', async () => {
      const rng = new Rng(20);
      const m = new MLPClassifier({ inFeatures: 4, hidden: [6, 5], numClasses: 3, activation: 'gelu' }, rng);
      expect(m.namedParameters().map(([p]) => p)).toEqual(['layers.0.weight', 'layers.0.bias', 'layers.1.weight', 'layers.1.bias', 'layers.2.weight', 'layers.2.bias']);
      const x = randn(rng, [7, 4]);
      const y = m.call(x);
      expect(y.shape).toEqual([7, 3]);
      let h = await arr(x);
      const widths = [4, 6, 5, 3];
      for (let i = 0; i < 3; i++) {
        const p = await linP(m.layers.at(i));
        h = R.linearRef(h, 7, widths[i]!, widths[i + 1]!, p.w, p.b);
        if (i < 2) h = R.mapRef(h, R.actRef.gelu!);
      }
      expectClose(await y.data(), h);
      const labels = tf.tensor1d([0, 1, 2, 0, 1, 2, 0], 'int32');
      await expectGrads('MLPClassifier', () => softmaxCrossEntropy(m.call(x), labels), m.namedParameters());
      const relu = new MLPClassifier({ inFeatures: 4, numClasses: 3 }, rng);
      expect(relu.layers.at(0).weight.shape).toEqual([4, 64]);
      await expectGrads('MLPClassifier relu', () => softmaxCrossEntropy(relu.call(x), labels), relu.namedParameters(), { eps: 1e-3, atol: 5e-3 });
      expect(() => new MLPClassifier({ inFeatures: 4, numClasses: 3, hidden: [4, 0] })).toThrow('MLPClassifier: hidden[1]=0 must be a positive integer');
      tf.dispose([x, y, labels]);
      m.dispose();
      relu.dispose();
    });

    it('TinyCNN: 8×8×1 → logits; gradients check', async (ctx) => {
      const rng = new Rng(21);
      const m = new TinyCNN({}, rng);
      expect(m.namedParameters().map(([p]) => p)).toEqual(['conv1.weight', 'conv1.bias', 'conv2.weight', 'conv2.bias', 'fc.weight', 'fc.bias']);
      expect(m.fc.weight.shape).toEqual([2 * 2 * 16, 10]);
      const x = randn(rng, [3, 8, 8, 1]);
      const y = m.call(x);
      expect(y.shape).toEqual([3, 10]);
      const bad = tf.zeros([3, 8, 8]);
      expect(() => m.call(bad)).toThrow('TinyCNN: x has shape [3,8,8]; expected [batch, 8, 8, 1] (NHWC)');
      requireKernels(ctx, 'Conv2DBackpropFilter');
      const labels = tf.tensor1d([1, 5, 9], 'int32');
      // ReLU + max pool put kinks everywhere: a small step (1e-4) keeps clear of them, at the
      // price of float32 rounding in the difference (hence atol 3e-3).
      await expectGrads('TinyCNN', () => softmaxCrossEntropy(m.call(x), labels), m.namedParameters(), { maxEntries: 8, eps: 1e-4, atol: 3e-3 });
      tf.dispose([x, y, labels, bad]);
      m.dispose();
    });

    const lmCases = [
      { name: 'lm, untied', cfg: { head: 'lm' as const } },
      { name: 'lm, tied, rmsnorm + swiglu + GQA', cfg: { head: 'lm' as const, tieEmbeddings: true, norm: 'rmsnorm' as const, gated: true, numKVHeads: 1 } },
      { name: 'classifier, mean pool, masked', cfg: { head: 'classifier' as const, numClasses: 3 } },
      { name: 'classifier, cls pool', cfg: { head: 'classifier' as const, numClasses: 3, pool: 'cls' as const } },
    ];
    for (const c of lmCases) {
      it(`TinyTransformer ${c.name}: shapes and gradients check`, async (ctx) => {
        const rng = new Rng(22);
        const m = new TinyTransformer({ vocabSize: 7, maxLen: 6, dim: 8, depth: 2, numHeads: 2, embedInitStd: 1, ...c.cfg }, rng);
        const ids = tf.tensor2d([[1, 2, 3, 4, 5], [6, 0, 2, 2, 1]], [2, 5], 'int32');
        const mask = tf.tensor2d([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]], [2, 5], 'int32');
        const lm = c.cfg.head === 'lm';
        const out = m.call({ ids, attentionMask: mask });
        expect(out.shape).toEqual(lm ? [2, 5, 7] : [2, 3]);
        expect(m.blocks.length).toBe(2);
        expect(m.namedParameters().some(([p]) => p.startsWith('blocks.1.attn.q.'))).toBe(true);
        if ('tieEmbeddings' in c.cfg) expect(m.head).toBeNull();
        const labels = lm ? tf.tensor2d([[2, 3, 4, 5, 6], [0, 2, 2, -100, -100]], [2, 5], 'int32') : tf.tensor1d([0, 2], 'int32');
        requireKernels(ctx, 'UnsortedSegmentSum'); // the token embedding's gradient
        await expectGrads(
          `TinyTransformer ${c.name}`,
          () => softmaxCrossEntropy(m.call({ ids, attentionMask: mask }), labels, { ignoreIndex: -100 }),
          m.namedParameters(),
          { maxEntries: 5 },
        );
        tf.dispose([ids, mask, out, labels]);
        m.dispose();
      });
    }

    it('TinyTransformer lm is causal; classifier ignores padded tokens', async () => {
      const rng = new Rng(23);
      const lm = new TinyTransformer({ vocabSize: 9, maxLen: 5, dim: 8, numHeads: 2 }, rng);
      const a = tf.tensor2d([[1, 2, 3, 4, 5]], [1, 5], 'int32');
      const b = tf.tensor2d([[1, 2, 3, 8, 0]], [1, 5], 'int32');
      const [ya, yb] = [await arr(lm.call(a)), await arr(lm.call(b))];
      expectClose(yb.slice(0, 27), ya.slice(0, 27), 1e-6); // positions 0..2 (3 × vocab 9)
      expect(R.maxRelDiff(yb.slice(27), ya.slice(27))).toBeGreaterThan(1e-4);
      const cls = new TinyTransformer({ vocabSize: 9, maxLen: 5, dim: 8, numHeads: 2, head: 'classifier', numClasses: 2 }, rng);
      const mask = tf.tensor2d([[1, 1, 1, 0, 0]], [1, 5], 'int32');
      const [ca, cb] = [await arr(cls.call({ ids: a, attentionMask: mask })), await arr(cls.call({ ids: b, attentionMask: mask }))];
      expectClose(cb, ca, 1e-6);
      tf.dispose([a, b, mask]);
      lm.dispose();
      cls.dispose();
    });

    it('TinyTransformer: ledger, shared blocks, tied embeddings, errors', () => {
      const rng = new Rng(24);
      const cfg = { vocabSize: 10, maxLen: 4, dim: 8, depth: 4, numHeads: 2 };
      const plain = new TinyTransformer(cfg, rng);
      const block = new TransformerBlock({ dim: 8, numHeads: 2 }, rng);
      const shared = new TinyTransformer(cfg, rng, { blocks: [block, block, block, block] });
      const perBlock = parameterLedger(block).totals.stored;
      const lp = parameterLedger(plain).totals;
      const ls = parameterLedger(shared).totals;
      expect(lp.stored).toBe(ls.stored + 3 * perBlock);
      expect(ls.effective).toBe(lp.stored);
      const tied = new TinyTransformer({ ...cfg, tieEmbeddings: true }, rng);
      expect(parameterLedger(plain).totals.stored - parameterLedger(tied).totals.stored).toBe(8 * 10);
      expect(() => new TinyTransformer({ ...cfg, head: 'classifier' })).toThrow('TinyTransformer: numClasses=undefined must be a positive integer');
      expect(() => new TinyTransformer({ ...cfg, head: 'classifier', numClasses: 2, tieEmbeddings: true })).toThrow("tieEmbeddings=true needs head='lm'");
      expect(() => new TinyTransformer({ ...cfg, head: 'seq2seq' as never })).toThrow('TinyTransformer: head="seq2seq" must be one of "lm", "classifier"');
      const long = tf.zeros([1, 5], 'int32');
      expect(() => plain.call(long)).toThrow('TinyTransformer: sequence length 5 (ids shape [1,5]) must be ≤ maxLen=4');
      long.dispose();
      for (const m of [plain, shared, tied]) m.dispose();
    });
  });

  describe('losses', () => {
    it('softmaxCrossEntropy equals the reference, honours ignoreIndex, is stable; gradients check', async () => {
      const rng = new Rng(25);
      const logits = tf.variable(randn(rng, [2, 3, 4], 2));
      const labels = tf.tensor2d([[0, 3, -1], [2, -1, 1]], [2, 3], 'int32');
      const loss = softmaxCrossEntropy(logits, labels, { ignoreIndex: -1 });
      const l = await arr(logits);
      const lab = [0, 3, -1, 2, -1, 1];
      let sum = 0;
      let n = 0;
      for (let p = 0; p < 6; p++) {
        if (lab[p] === -1) continue;
        const row = Array.from(l.slice(p * 4, p * 4 + 4));
        const max = Math.max(...row);
        sum -= row[lab[p]!]! - max - Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0));
        n++;
      }
      expect((await loss.data())[0]).toBeCloseTo(sum / n, 5);
      await expectGrads('softmaxCrossEntropy', () => softmaxCrossEntropy(logits, labels, { ignoreIndex: -1 }), [logits], { maxEntries: 24 });
      const huge = tf.tensor2d([[1e4, -1e4, 0]]);
      const hl = tf.tensor1d([1], 'int32');
      expect((await softmaxCrossEntropy(huge, hl).data())[0]).toBeCloseTo(2e4, 0);
      // The default ignores IGNORE_INDEX (−100): an 'lm' batch averages over its scored positions only.
      const withPadding = tf.tensor2d([[0, 3, -100], [2, -100, 1]], [2, 3], 'int32');
      const asIgnored = tf.tensor2d([[0, 3, -1], [2, -1, 1]], [2, 3], 'int32');
      expect((await softmaxCrossEntropy(logits, withPadding).data())[0]).toBeCloseTo((await softmaxCrossEntropy(logits, asIgnored, { ignoreIndex: -1 }).data())[0]!, 6);
      tf.dispose([withPadding, asIgnored]);
      const none = tf.tensor1d([-1], 'int32');
      expect(Math.abs((await softmaxCrossEntropy(huge, none, { ignoreIndex: -1 }).data())[0]!)).toBe(0);
      expect(() => softmaxCrossEntropy(logits, tf.tensor2d([[0, 1, 2]], [1, 3], 'int32'))).toThrow(
        'softmaxCrossEntropy: labels shape [1,3] must equal logits shape [2,3,4] without its last (classes) axis, i.e. [2,3]',
      );
      expect(() => softmaxCrossEntropy(logits, tf.zeros([2, 3]))).toThrow('softmaxCrossEntropy: labels must be an int32 tensor, got dtype float32');
      tf.dispose([logits, labels, loss, huge, hl, none]);
    });

    it('mse and accuracy', async () => {
      const a = tf.tensor2d([[1, 2], [3, 4]]);
      const b = tf.tensor2d([[1, 0], [0, 4]]);
      expect((await mse(a, b).data())[0]).toBeCloseTo((4 + 9) / 4, 6);
      expect(() => mse(a, tf.zeros([4]))).toThrow('mse: pred shape [2,2] must equal target shape [4]');
      const logits = tf.tensor2d([[0, 1, 0], [2, 0, 0], [0, 0, 3], [1, 0, 0]]);
      const labels = tf.tensor1d([1, 0, 0, -100], 'int32');
      // IGNORE_INDEX (−100) is left out by default, as PyTorch does; null scores every position.
      expect((await accuracy(logits, labels).data())[0]).toBeCloseTo(2 / 3, 6);
      expect((await accuracy(logits, labels, -100).data())[0]).toBeCloseTo(2 / 3, 6);
      expect((await accuracy(logits, labels, null).data())[0]).toBeCloseTo(0.5, 6);
      tf.dispose([a, b, logits, labels]);
    });
  });

  describe('testing utilities', () => {
    it('gradCheck catches a wrong gradient and a missing one', async () => {
      const x = tf.variable(tf.tensor1d([0.3, -0.7, 1.1]));
      const unused = tf.variable(tf.tensor1d([1]));
      // d/dt Σ t² is 2t; this op claims 3t.
      const wrong = tf.customGrad(((t: tf.Tensor, save: tf.GradSaveFunc) => {
        save([t]);
        return { value: tf.sum(tf.square(t)), gradFunc: (dy: tf.Tensor, [s]: tf.Tensor[]) => tf.mul(dy, tf.mul(s!, 3)) };
      }) as unknown as Parameters<typeof tf.customGrad>[0]);
      const r = await gradCheck(() => wrong(x) as tf.Scalar, [x]);
      expect(r.ok).toBe(false);
      expect(r.failures).toHaveLength(3);
      expect(r.failures[0]!.analytic / r.failures[0]!.numeric).toBeCloseTo(1.5, 2);
      const m = await gradCheck(() => tf.sum(tf.square(x)) as tf.Scalar, { x, unused });
      expect(m.missing).toEqual(['unused']);
      expect(m.ok).toBe(false);
      expect(Array.from(await x.data())).toEqual(Array.from(Float32Array.from([0.3, -0.7, 1.1]))); // restored
      tf.dispose([x, unused]);
    });

    it('leakCheck passes a clean training step and catches a leak', async () => {
      const rng = new Rng(26);
      const m = new MLP({ dim: 4, hidden: 8 }, rng);
      const x = randn(rng, [3, 4]);
      const step = () => {
        tf.tidy(() => {
          const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(m.call(x))) as tf.Scalar, m.trainableParameters());
          for (const v of m.trainableParameters()) v.assign(tf.sub(v, tf.mul(grads[v.name]!, 0.01)));
          return value;
        }).dispose();
      };
      const r = await leakCheck(step, { steps: 3, warmup: 1 });
      expect(r.leaked).toBe(0);
      expect(r.counts).toHaveLength(3);
      // A full model with masks, dropout and every layer kind in the forward pass.
      const tt = new TinyTransformer({ vocabSize: 6, maxLen: 4, dim: 8, numHeads: 2, numKVHeads: 1, dropout: 0.1, head: 'classifier', numClasses: 2 }, rng);
      const ids = tf.tensor2d([[1, 2, 3, 0]], [1, 4], 'int32');
      const mask = tf.tensor2d([[1, 1, 1, 0]], [1, 4], 'int32');
      const y = tf.tensor1d([1], 'int32');
      const vars = tt.trainableParameters().filter((v) => v !== tt.tokens.weight || tf.getKernel('UnsortedSegmentSum', backend));
      let seed = 0;
      await leakCheck(() => {
        tf.tidy(() => {
          const ctx = new ForwardContext({ training: true, seed: seed++ });
          const { value, grads } = tf.variableGrads(() => softmaxCrossEntropy(tt.forward({ ids, attentionMask: mask }, ctx), y), vars);
          for (const v of vars) v.assign(tf.sub(v, tf.mul(grads[v.name]!, 0.01)));
          return value;
        }).dispose();
      }, { steps: 3, warmup: 1 });
      tf.dispose([ids, mask, y]);
      tt.dispose();
      const kept: tf.Tensor[] = [];
      await expect(leakCheck(() => void kept.push(tf.ones([2])), { steps: 2, warmup: 0 })).rejects.toThrow('leakCheck: tensors grew after warm-up');
      tf.dispose([x, ...kept]);
      m.dispose();
    });

    it(`runs on ${backend}`, () => expect(tf.getBackend()).toBe(backend));
  });
});

describe('backendParity', () => {
  it('TinyTransformer forward and gradient agree on wasm and cpu', async () => {
    const r = await backendParity((rng) => {
      const m = new TinyTransformer({ vocabSize: 11, maxLen: 6, dim: 8, numHeads: 2, embedInitStd: 1 }, rng);
      const ids = tf.tensor2d([[1, 2, 3, 4, 5, 6], [10, 9, 8, 7, 6, 5]], [2, 6], 'int32');
      const labels = tf.tensor2d([[2, 3, 4, 5, 6, 7], [9, 8, 7, 6, 5, 4]], [2, 6], 'int32');
      // Every parameter but the token table (its gather gradient needs UnsortedSegmentSum, which wasm may lack).
      const vars = m.trainableParameters().filter((v) => v !== m.tokens.weight);
      const out = tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => softmaxCrossEntropy(m.call(ids), labels), vars);
        return [m.call(ids), value, ...vars.map((v) => grads[v.name]!)];
      });
      tf.dispose([ids, labels]);
      m.dispose();
      return out;
    }, ['wasm', 'cpu']);
    expect(r.backends).toEqual(['wasm', 'cpu']);
    expect(r.maxAbsDiff).toBeLessThan(1e-4);
    expect(r.outputs.cpu![0]!.length).toBe(2 * 6 * 11);
    expect(tf.getBackend()).toBe('wasm');
  });
});

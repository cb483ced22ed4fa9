// Every layer, small, on every backend of every environment (wasm, cpu, webgpu, webgl): the output
// against a plain-JS float64 reference, and the gradient of Σ out ⊙ r with respect to the input
// and every parameter against float64 finite differences of that reference. Tolerance: 1e-4
// relative (absolute below 1). Browser-safe: no node:*; values read with `await data()`.
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import {
  Activation,
  AvgPool2d,
  CausalSelfAttention,
  Conv2d,
  Embedding,
  LayerNorm,
  MaxPool2d,
  MLP,
  Module,
  RMSNorm,
  Rng,
  TinyTransformer,
  TransformerBlock,
  type ActivationName,
} from '@weft/core';
import { softmaxCrossEntropy } from '../src/train/losses.js';
import { describeBackends } from '@weft/core/testing';
import * as R from './layers-reference.js';

const TOL = 1e-4;
const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const randn = (rng: Rng, shape: number[], std = 1) => tf.tensor(rng.normalArray(sizeOf(shape), 0, std), shape);

function randomize(m: Module<any, any>, rng: Rng, std = 0.5): void {
  for (const v of m.parameters()) {
    const t = randn(rng, v.shape, std);
    v.assign(t);
    t.dispose();
  }
}

/** Fail, naming them, when the active backend lacks kernels a gradient needs (Weft registers them on wasm). */
function requireKernels(_ctx: unknown, ...kernels: string[]): void {
  const missing = kernels.filter((k) => !tf.getKernel(k, tf.getBackend()));
  expect(missing, `${tf.getBackend()} lacks kernel(s) that gradients need`).toEqual([]);
}

/**
 * Compare `forward()` with `ref(values)` and the gradients of Σ forward() ⊙ r with respect to
 * `vars` with float64 finite differences of Σ ref ⊙ r. `ref` receives the variables' values in order.
 */
async function checkLayer(what: string, vars: tf.Variable[], forward: () => tf.Tensor, ref: (p: R.Arr[]) => R.Arr, seed = 99) {
  const values: R.Arr[] = [];
  for (const v of vars) values.push(R.f64(await v.data()));
  const out = forward();
  const expected = ref(values);
  const got = await out.data();
  const fwd = R.maxRelDiff(got, expected);
  expect(fwd, `${what}: forward differs from the reference by ${fwd}`).toBeLessThan(TOL);
  const rng = new Rng(seed);
  const rArr = rng.normalArray(out.size);
  const r = tf.tensor(rArr, out.shape);
  out.dispose();
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(forward(), r)) as tf.Scalar, vars);
  for (let i = 0; i < vars.length; i++) {
    const g = grads[vars[i]!.name];
    expect(g, `${what}: no gradient for variable ${i}`).toBeDefined();
    const numeric = R.numericGrad((p) => R.dotRef(ref(p), rArr), values, i);
    const d = R.maxRelDiff(await g!.data(), numeric);
    expect(d, `${what}: gradient of variable ${i} (shape [${vars[i]!.shape}]) differs by ${d}`).toBeLessThan(TOL);
  }
  tf.dispose([value, r, ...Object.values(grads)]);
}

const linIdx = (vars: tf.Variable[], l: { weight: tf.Variable; bias: tf.Variable | null }) => {
  const w = vars.indexOf(l.weight);
  const b = l.bias ? vars.indexOf(l.bias) : -1;
  return (p: R.Arr[]) => ({ w: p[w]!, b: b >= 0 ? p[b]! : null });
};

describeBackends('layers on every backend', () => {
  it('activations: gelu (erf), gelu_tanh, silu', async () => {
    const x = tf.variable(tf.tensor1d([-3.1, -1.2, -0.4, 0.3, 0.9, 2.6]));
    for (const name of ['gelu', 'gelu_tanh', 'silu'] as ActivationName[]) {
      const a = new Activation({ activation: name });
      await checkLayer(name, [x], () => a.call(x), ([v]) => R.mapRef(v!, R.actRef[name]!));
    }
    x.dispose();
  });

  it('Embedding', async (ctx) => {
    requireKernels(ctx, 'UnsortedSegmentSum');
    const e = new Embedding({ numEmbeddings: 5, embeddingDim: 3 }, new Rng(1));
    const ids = tf.tensor2d([[4, 0, 4], [2, 2, 1]], [2, 3], 'int32');
    await checkLayer('Embedding', [e.weight], () => e.call(ids), ([w]) => R.embeddingRef(w!, 3, [4, 0, 4, 2, 2, 1]));
    ids.dispose();
    e.dispose();
  });

  it('LayerNorm and RMSNorm', async () => {
    const rng = new Rng(2);
    const x = tf.variable(tf.add(randn(rng, [3, 5]), 1));
    const ln = new LayerNorm({ dim: 5 });
    randomize(ln, rng);
    await checkLayer('LayerNorm', [x, ln.weight!, ln.bias!], () => ln.call(x), ([v, w, b]) => R.layerNormRef(v!, 3, 5, w!, b!, 1e-5));
    const rms = new RMSNorm({ dim: 5 });
    randomize(rms, rng);
    await checkLayer('RMSNorm', [x, rms.weight!], () => rms.call(x), ([v, w]) => R.rmsNormRef(v!, 3, 5, w!, 1e-6));
    x.dispose();
    ln.dispose();
    rms.dispose();
  });

  it('MLP: GELU and SwiGLU', async () => {
    const rng = new Rng(3);
    const x = tf.variable(randn(rng, [3, 4]));
    const m = new MLP({ dim: 4, hidden: 5 }, rng);
    const v1 = [x, ...m.parameters()];
    const [f1, f2] = [linIdx(v1, m.fc1!), linIdx(v1, m.fc2!)];
    await checkLayer('MLP gelu', v1, () => m.call(x), (p) => R.mlpRef(p[0]!, 3, 4, 5, 4, { w1: f1(p).w, b1: f1(p).b, w2: f2(p).w, b2: f2(p).b }, 'gelu'));
    const g = new MLP({ dim: 4, hidden: 6, gated: true }, rng);
    await checkLayer('MLP swiglu', [x, g.gate!.weight, g.up!.weight, g.down!.weight], () => g.call(x), ([v, wg, wu, wd]) =>
      R.gatedMlpRef(v!, 3, 4, 6, 4, { wg: wg!, wu: wu!, wd: wd! }, 'silu'),
    );
    x.dispose();
    m.dispose();
    g.dispose();
  });

  it('CausalSelfAttention: causal MHA, and GQA with a padding mask', async () => {
    const rng = new Rng(4);
    const x = tf.variable(randn(rng, [2, 3, 4]));
    for (const [cfg, mask] of [
      [{ dim: 4, numHeads: 2 }, null],
      [{ dim: 4, numHeads: 2, numKVHeads: 1, causal: false }, [1, 1, 0, 1, 1, 1]],
    ] as const) {
      const a = new CausalSelfAttention(cfg, rng);
      const vars = [x, ...a.parameters()];
      const [q, k, v, o] = [a.q, a.k, a.v, a.o].map((l) => linIdx(vars, l));
      const m = mask ? tf.tensor2d([...mask], [2, 3]) : null;
      await checkLayer(`attention ${JSON.stringify(cfg)}`, vars, () => a.call({ x, attentionMask: m }), (p) =>
        R.attentionRef(p[0]!, 2, 3, 4, a.numHeads, a.numKVHeads,
          { wq: q!(p).w, bq: q!(p).b, wk: k!(p).w, bk: k!(p).b, wv: v!(p).w, bv: v!(p).b, wo: o!(p).w, bo: o!(p).b }, a.causal, mask),
      );
      m?.dispose();
      a.dispose();
    }
    x.dispose();
  });

  it('TransformerBlock (pre-norm, LayerNorm, GELU MLP)', async () => {
    const rng = new Rng(5);
    const b = new TransformerBlock({ dim: 4, numHeads: 2, mlpHidden: 6 }, rng);
    randomize(b.norm1, rng);
    randomize(b.norm2, rng);
    const x = tf.variable(randn(rng, [1, 3, 4]));
    const vars = [x, ...b.parameters()];
    const ix = (t: tf.Variable) => vars.indexOf(t);
    const a = b.attn;
    const [q, k, v, o] = [a.q, a.k, a.v, a.o].map((l) => linIdx(vars, l));
    const m = b.ffn as MLP;
    const [f1, f2] = [linIdx(vars, m.fc1!), linIdx(vars, m.fc2!)];
    await checkLayer('TransformerBlock', vars, () => b.call(x), (p) => {
      const n1 = R.layerNormRef(p[0]!, 3, 4, p[ix(b.norm1.weight!)]!, p[ix((b.norm1 as LayerNorm).bias!)]!, 1e-5);
      const at = R.attentionRef(n1, 1, 3, 4, 2, 2, { wq: q!(p).w, bq: q!(p).b, wk: k!(p).w, bk: k!(p).b, wv: v!(p).w, bv: v!(p).b, wo: o!(p).w, bo: o!(p).b }, true, null);
      const h = p[0]!.map((val, i) => val + at[i]!);
      const n2 = R.layerNormRef(h, 3, 4, p[ix(b.norm2.weight!)]!, p[ix((b.norm2 as LayerNorm).bias!)]!, 1e-5);
      const f = R.mlpRef(n2, 3, 4, 6, 4, { w1: f1!(p).w, b1: f1!(p).b, w2: f2!(p).w, b2: f2!(p).b }, 'gelu');
      return h.map((val, i) => val + f[i]!);
    });
    x.dispose();
    b.dispose();
  });

  it('Conv2d: dense (same, stride 2) and depthwise (dilation 2)', async (ctx) => {
    requireKernels(ctx, 'Conv2DBackpropFilter', 'Conv2DBackpropInput', 'DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput');
    const rng = new Rng(6);
    const x = tf.variable(randn(rng, [1, 5, 5, 2]));
    const dense = new Conv2d({ inChannels: 2, outChannels: 3, kernelSize: 3, stride: 2, padding: 'same' }, rng);
    await checkLayer('Conv2d dense', [x, dense.weight, dense.bias!], () => dense.call(x), ([v, w, b]) =>
      R.conv2dRef(v!, [1, 5, 5, 2], w!, dense.weight.shape, b!, { stride: [2, 2], pad: 'same', dilation: [1, 1], depthwise: false })[0],
    );
    const dw = new Conv2d({ inChannels: 2, outChannels: 2, kernelSize: 2, groups: 2, dilation: 2, padding: 1 }, rng);
    await checkLayer('Conv2d depthwise', [x, dw.weight, dw.bias!], () => dw.call(x), ([v, w, b]) =>
      R.conv2dRef(v!, [1, 5, 5, 2], w!, dw.weight.shape, b!, { stride: [1, 1], pad: [1, 1], dilation: [2, 2], depthwise: true })[0],
    );
    x.dispose();
    dense.dispose();
    dw.dispose();
  });

  it('MaxPool2d and AvgPool2d', async () => {
    const rng = new Rng(7);
    const values = Array.from(rng.permutation(32), (v) => (v - 16) * 0.25); // distinct: no ties
    const x = tf.variable(tf.tensor(values, [2, 4, 2, 2]));
    const max = new MaxPool2d({ kernelSize: 2 });
    await checkLayer('MaxPool2d', [x], () => max.call(x), ([v]) => R.poolRef(v!, [2, 4, 2, 2], 2, 2, 'max')[0]);
    const avg = new AvgPool2d({ kernelSize: 2 });
    await checkLayer('AvgPool2d', [x], () => avg.call(x), ([v]) => R.poolRef(v!, [2, 4, 2, 2], 2, 2, 'avg')[0]);
    x.dispose();
  });

  it('softmaxCrossEntropy with ignoreIndex', async () => {
    const rng = new Rng(8);
    const logits = tf.variable(randn(rng, [4, 3], 2));
    const lab = [2, -100, 0, 1];
    const labels = tf.tensor1d(lab, 'int32');
    await checkLayer('softmaxCrossEntropy', [logits], () => tf.reshape(softmaxCrossEntropy(logits, labels, { ignoreIndex: -100 }), [1]), ([l]) => {
      let s = 0;
      let n = 0;
      for (let i = 0; i < 4; i++) {
        if (lab[i] === -100) continue;
        const row = Array.from(l!.slice(i * 3, i * 3 + 3));
        const m = Math.max(...row);
        s -= row[lab[i]!]! - m - Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0));
        n++;
      }
      return R.f64([s / n]);
    });
    tf.dispose([logits, labels]);
  });

  it('TinyTransformer lm: forward equals the composed reference; loss gradient is finite', async () => {
    const rng = new Rng(9);
    const m = new TinyTransformer({ vocabSize: 5, maxLen: 4, dim: 4, depth: 1, numHeads: 2, tieEmbeddings: true, embedInitStd: 1 }, rng);
    const ids = tf.tensor2d([[1, 4, 2]], [1, 3], 'int32');
    const p = async (t: tf.Variable | null) => (t ? R.f64(await t.data()) : null);
    const b = m.blocks.at(0) as TransformerBlock;
    const lin = async (l: { weight: tf.Variable; bias: tf.Variable | null }) => ({ w: (await p(l.weight))!, b: await p(l.bias) });
    const [q, k, v, o, f1, f2] = await Promise.all([b.attn.q, b.attn.k, b.attn.v, b.attn.o, (b.ffn as MLP).fc1!, (b.ffn as MLP).fc2!].map(lin));
    const tok = (await p(m.tokens.weight))!;
    const pos = (await p(m.positions.weight))!;
    const x = R.embeddingRef(tok, 4, [1, 4, 2]).map((val, i) => val + pos[i]!);
    const ln = async (n: LayerNorm | RMSNorm, val: R.Arr) => R.layerNormRef(val, 3, 4, (await p(n.weight))!, (await p((n as LayerNorm).bias))!, 1e-5);
    const at = R.attentionRef(await ln(b.norm1, x), 1, 3, 4, 2, 2, { wq: q!.w, bq: q!.b, wk: k!.w, bk: k!.b, wv: v!.w, bv: v!.b, wo: o!.w, bo: o!.b }, true, null);
    const h = x.map((val, i) => val + at[i]!);
    const f = R.mlpRef(await ln(b.norm2, h), 3, 4, 16, 4, { w1: f1!.w, b1: f1!.b, w2: f2!.w, b2: f2!.b }, 'gelu');
    const hf = await ln(m.norm, h.map((val, i) => val + f[i]!));
    const tokT = new Float64Array(4 * 5); // (V, D) -> (D, V) for the tied head
    for (let vv = 0; vv < 5; vv++) for (let d = 0; d < 4; d++) tokT[d * 5 + vv] = tok[vv * 4 + d]!;
    const logits = m.call(ids);
    expect(logits.shape).toEqual([1, 3, 5]);
    const d = R.maxRelDiff(await logits.data(), R.linearRef(hf, 3, 4, 5, tokT, null));
    expect(d).toBeLessThan(TOL);
    const labels = tf.tensor2d([[4, 2, 0]], [1, 3], 'int32');
    const vars = m.trainableParameters().filter((t) => t !== m.tokens.weight || tf.getKernel('UnsortedSegmentSum', tf.getBackend()));
    const { value, grads } = tf.variableGrads(() => softmaxCrossEntropy(m.call(ids), labels), vars);
    expect(Number.isFinite((await value.data())[0])).toBe(true);
    for (const g of Object.values(grads)) expect((await g.data()).every(Number.isFinite)).toBe(true);
    expect(Object.keys(grads)).toHaveLength(vars.length);
    tf.dispose([ids, logits, labels, value, ...Object.values(grads)]);
    m.dispose();
  });
});

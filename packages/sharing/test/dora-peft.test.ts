// DoRA (arXiv:2402.09353) on Conv2d and Embedding layers, in PEFT's files and with PEFT's forward.
// The reference is PEFT's DoraConv2dLayer / DoraEmbeddingLayer written out in plain float64 JS from
// the saved tensors in PEFT's names and PyTorch layout (lora_A.weight [r, in, kh, kw], lora_B.weight
// [out, r, 1, 1], lora_magnitude_vector [1, out, 1, 1]; lora_embedding_A [r, V], lora_embedding_B
// [dim, r], lora_magnitude_vector [dim]):
//   conv:      y = conv(x, W) + b + (m/‖W + s·BA‖ − 1)·conv(x, W) + m/‖W + s·BA‖ · s·B(A(x)),
//              the norm per output channel over (in, kh, kw);
//   embedding: y = m/‖Wᵀ + s·(AB)ᵀ‖ · (W[ids] + s·A[ids]B), the norm per embedding dimension over
//              the vocabulary (fan_in_fan_out=True);
// merged weights m/‖·‖ · (W + s·ΔW); the norm is detached (DoRA §4.3), so the gradients of B and m
// are those of the formula with the norm held constant (checked by finite differences of the
// reference, which differ from the undetached ones). Tolerances: outputs and weights 1e-5 (float32
// against float64 of values ~1), gradients 1e-3 relative.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Conv2d, Embedding, Linear, Module, PRESETS, Rng, countParams, parameterLedger, parseSafetensors, serializeSafetensors, type ForwardContext } from '@weft/core';
import { AdaptedLayer, LoraLayer, injectAdapter, loadPeftAdapter, mergeAdapters, savePeftAdapter, setActiveAdapters, unmergeAdapters } from '../src/index.js';
import { perturbAdapters } from './adapter-cases.js';

const [R, ALPHA] = [2, 6];
const S = ALPHA / R;

/** One Conv2d(3→5, 3×3, stride 2, zero padding 1), as PyTorch's Conv2d(3, 5, 3, stride=2, padding=1). */
class OneConv extends Module {
  conv: Conv2d;
  constructor(rng: Rng) {
    super();
    this.conv = this.addModule('conv', new Conv2d({ inChannels: 3, outChannels: 5, kernelSize: 3, stride: 2, padding: 1 }, rng));
  }
  forward(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    return this.conv.forward(x, ctx);
  }
}

/** One Embedding(10, 6). */
class OneEmbedding extends Module {
  emb: Embedding;
  constructor(rng: Rng) {
    super();
    this.emb = this.addModule('emb', new Embedding({ numEmbeddings: 10, embeddingDim: 6 }, rng));
  }
  forward(ids: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    return this.emb.forward(ids, ctx);
  }
}

/** A dense array with its shape, indexed row-major. */
interface Arr {
  d: Float64Array;
  shape: number[];
}
const arr = async (t: tf.Tensor): Promise<Arr> => ({ d: Float64Array.from(await t.data()), shape: t.shape.slice() });
const idx = (shape: number[], ...i: number[]) => i.reduce((s, v, k) => s * shape[k]! + v, 0);
const at = (a: Arr, ...i: number[]) => a.d[idx(a.shape, ...i)]!;

/** PEFT's saved tensors of the one adapted layer, by their name in the layer. */
async function peftTensors(model: Module, layer: string): Promise<{ files: { config: string; safetensors: Uint8Array }; t: Record<string, Arr> }> {
  const files = await savePeftAdapter(model);
  const parsed = parseSafetensors(files.safetensors).tensors;
  const t: Record<string, Arr> = {};
  const prefix = `base_model.model.${layer}.`;
  for (const [k, v] of parsed) {
    expect(k.startsWith(prefix), k).toBe(true);
    t[k.slice(prefix.length)] = { d: Float64Array.from(v.data as Float32Array), shape: v.shape };
  }
  return { files, t };
}

/** Naive NCHW convolution with PyTorch's weight [out, in, kh, kw], symmetric zero padding `pad`, stride `st`. */
function convRef(x: Arr, w: Arr, st: number, pad: number): Arr {
  const [n, ci, h, wd] = x.shape as [number, number, number, number];
  const [co, , kh, kw] = w.shape as [number, number, number, number];
  const [ho, wo] = [Math.floor((h + 2 * pad - kh) / st) + 1, Math.floor((wd + 2 * pad - kw) / st) + 1];
  const shape = [n, co, ho, wo];
  const d = new Float64Array(n * co * ho * wo);
  for (let b = 0; b < n; b++) for (let o = 0; o < co; o++) for (let i = 0; i < ho; i++) for (let j = 0; j < wo; j++) {
    let s = 0;
    for (let c = 0; c < ci; c++) for (let k = 0; k < kh; k++) for (let l = 0; l < kw; l++) {
      const [y, z] = [i * st + k - pad, j * st + l - pad];
      if (y >= 0 && y < h && z >= 0 && z < wd) s += at(x, b, c, y, z) * at(w, o, c, k, l);
    }
    d[idx(shape, b, o, i, j)] = s;
  }
  return { d, shape };
}

/** PEFT's DoRA on a Conv2d: the output (NCHW), the per-channel norm and the merged weight [out, in, kh, kw]. */
function doraConvRef(x: Arr, w: Arr, bias: Arr, a: Arr, b: Arr, m: Arr, frozenNorm?: Float64Array): { y: Arr; norm: Float64Array; merged: Arr } {
  const [co, ci, kh, kw] = w.shape as [number, number, number, number];
  const per = ci * kh * kw;
  // lora_weight = B.view(out, r) @ A.view(r, in·kh·kw), reshaped like W
  const lw = new Float64Array(co * per);
  for (let o = 0; o < co; o++) for (let q = 0; q < per; q++) for (let k = 0; k < R; k++) lw[o * per + q] += b.d[o * R + k]! * a.d[k * per + q]!;
  const norm = new Float64Array(co);
  for (let o = 0; o < co; o++) for (let q = 0; q < per; q++) norm[o] += (w.d[o * per + q]! + S * lw[o * per + q]!) ** 2;
  for (let o = 0; o < co; o++) norm[o] = frozenNorm ? frozenNorm[o]! : Math.sqrt(norm[o]!);
  const base = convRef(x, w, 2, 1);
  const loraB = { d: b.d, shape: [co, R, 1, 1] };
  const lora = convRef(convRef(x, a, 2, 1), loraB, 1, 0); // lora_B(lora_A(x)): A with the base's stride and padding, B 1×1
  const y = { d: new Float64Array(base.d.length), shape: base.shape };
  const [n, , ho, wo] = base.shape as [number, number, number, number];
  for (let bb = 0; bb < n; bb++) for (let o = 0; o < co; o++) {
    const mns = m.d[o]! / norm[o]!;
    for (let i = 0; i < ho * wo; i++) {
      const j = (bb * co + o) * ho * wo + i;
      y.d[j] = base.d[j]! + bias.d[o]! + (mns - 1) * base.d[j]! + mns * lora.d[j]! * S;
    }
  }
  const merged = { d: new Float64Array(co * per), shape: w.shape };
  for (let o = 0; o < co; o++) for (let q = 0; q < per; q++) merged.d[o * per + q] = (m.d[o]! / norm[o]!) * (w.d[o * per + q]! + S * lw[o * per + q]!);
  return { y, norm, merged };
}

/** PEFT's DoRA on an Embedding: rows for `ids`, the per-dimension norm and the merged table [V, dim]. */
function doraEmbeddingRef(ids: number[], w: Arr, aPeft: Arr, bPeft: Arr, m: Arr, frozenNorm?: Float64Array): { y: Float64Array; norm: Float64Array; merged: Arr } {
  const [v, dim] = w.shape as [number, number];
  // embedding_A = lora_embedding_A.T [V, r], embedding_B = lora_embedding_B.T [r, dim]; AB [V, dim]
  const ab = new Float64Array(v * dim);
  for (let t = 0; t < v; t++) for (let c = 0; c < dim; c++) for (let k = 0; k < R; k++) ab[t * dim + c] += aPeft.d[k * v + t]! * bPeft.d[c * R + k]!;
  // weight_norm = ‖transpose(W) + s·(AB)ᵀ‖ over dim 1: per embedding dimension, over the vocabulary
  const norm = new Float64Array(dim);
  for (let c = 0; c < dim; c++) {
    let s = 0;
    for (let t = 0; t < v; t++) s += (w.d[t * dim + c]! + S * ab[t * dim + c]!) ** 2;
    norm[c] = frozenNorm ? frozenNorm[c]! : Math.sqrt(s);
  }
  // result = mns · embed(x) + mns · (embed(x, A) @ B) · s
  const y = new Float64Array(ids.length * dim);
  ids.forEach((t, i) => {
    for (let c = 0; c < dim; c++) y[i * dim + c] = (m.d[c]! / norm[c]!) * (w.d[t * dim + c]! + S * ab[t * dim + c]!);
  });
  const merged = { d: new Float64Array(v * dim), shape: [v, dim] };
  for (let t = 0; t < v; t++) for (let c = 0; c < dim; c++) merged.d[t * dim + c] = (m.d[c]! / norm[c]!) * (w.d[t * dim + c]! + S * ab[t * dim + c]!);
  return { y, norm, merged };
}

const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

/** NHWC data as NCHW. */
function nchw(x: Arr): Arr {
  const [n, h, w, c] = x.shape as [number, number, number, number];
  const shape = [n, c, h, w];
  const d = new Float64Array(x.d.length);
  for (let b = 0; b < n; b++) for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) for (let k = 0; k < c; k++) d[idx(shape, b, k, i, j)] = at(x, b, i, j, k);
  return { d, shape };
}

/** A tfjs kernel [kh, kw, in, out] as PyTorch's [out, in, kh, kw]. */
async function torchKernel(t: tf.Tensor): Promise<Arr> {
  const k = tf.transpose(t, [3, 2, 0, 1]);
  const out = await arr(k);
  k.dispose();
  return out;
}

/** Central finite differences of `f` at `p` (float64), one entry per element of `p`. */
function finiteDiff(p: Arr, f: (q: Arr) => number, eps = 1e-4): Float64Array {
  const g = new Float64Array(p.d.length);
  for (let i = 0; i < p.d.length; i++) {
    const hi = { d: Float64Array.from(p.d), shape: p.shape };
    const lo = { d: Float64Array.from(p.d), shape: p.shape };
    hi.d[i] += eps;
    lo.d[i] -= eps;
    g[i] = (f(hi) - f(lo)) / (2 * eps);
  }
  return g;
}

const relErr = (got: ArrayLike<number>, want: ArrayLike<number>) => maxAbs(got, want) / Math.max(...Array.from(want, Math.abs));
const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((s, v, i) => s + v * b[i]!, 0);

describe('DoRA on Conv2d in PEFT form', () => {
  it("saves lora_magnitude_vector as [1, out, 1, 1]; the forward and merged weight equal PEFT's DoraConv2dLayer formula; loads back exactly", async () => {
    const model = new OneConv(new Rng(1));
    injectAdapter(model, 'default', { method: 'lora', targets: ['conv'], r: R, alpha: ALPHA, dora: true }, { rng: new Rng(2) });
    perturbAdapters(model, 3);
    const layer = model.conv as unknown as AdaptedLayer;
    const x = tf.tensor4d(new Rng(4).normalArray(2 * 7 * 7 * 3), [2, 7, 7, 3]);
    const { files, t } = await peftTensors(model, 'conv');
    expect(Object.fromEntries(Object.entries(t).map(([k, v]) => [k, v.shape]))).toEqual({
      'lora_A.weight': [R, 3, 3, 3], 'lora_B.weight': [5, R, 1, 1], lora_magnitude_vector: [1, 5, 1, 1],
    });
    expect(JSON.parse(files.config)).toMatchObject({ peft_type: 'LORA', use_dora: true, r: R, lora_alpha: ALPHA, target_modules: ['conv'] });
    const w = await torchKernel(layer.base.weight);
    const bias = await arr(layer.base.bias!);
    const ref = doraConvRef(nchw(await arr(x)), w, bias, t['lora_A.weight']!, t['lora_B.weight']!, t['lora_magnitude_vector']!);
    const y = model.call(x);
    const got = nchw(await arr(y));
    expect(maxAbs(got.d, ref.y.d)).toBeLessThan(1e-5);
    // The magnitude matters: with m = ‖W + sBA‖ the output is plain LoRA's, which differs here.
    const plain = doraConvRef(nchw(await arr(x)), w, bias, t['lora_A.weight']!, t['lora_B.weight']!, { d: Float64Array.from(ref.norm), shape: [5] });
    expect(maxAbs(got.d, plain.y.d)).toBeGreaterThan(1e-2);
    mergeAdapters(model);
    expect(maxAbs((await torchKernel(layer.base.weight)).d, ref.merged.d)).toBeLessThan(1e-5);
    expect(maxAbs(nchw(await arr(model.call(x))).d, ref.y.d)).toBeLessThan(1e-5);
    unmergeAdapters(model);
    expect(maxAbs((await torchKernel(layer.base.weight)).d, w.d)).toBeLessThan(1e-5);
    // A fresh copy of the base loads the files to the same outputs.
    const fresh = new OneConv(new Rng(1));
    await loadPeftAdapter(fresh, files);
    expect(Array.from(await fresh.call(x).data())).toEqual(Array.from(await y.data()));
    // PEFT's [1, out, 1, 1] is required: a Linear-shaped [out] magnitude is refused by name and shape.
    const bad = parseSafetensors(files.safetensors).tensors;
    const other = new OneConv(new Rng(1));
    for (const [k, v] of bad) if (k.endsWith('lora_magnitude_vector')) v.shape = [5];
    await expect(loadPeftAdapter(other, { config: files.config, safetensors: serializeSafetensors(bad) })).rejects.toThrow(
      /tensor "lora_magnitude_vector" has shape \[5\], expected \[1,5,1,1\]/,
    );
    tf.dispose([x, y]);
    for (const m of [model, fresh, other]) m.dispose();
  });

  it('the norm is detached: the gradients of lora_B and the magnitude are those of the formula with the norm held constant', async () => {
    const model = new OneConv(new Rng(5));
    injectAdapter(model, 'default', { method: 'lora', targets: ['conv'], r: R, alpha: ALPHA, dora: true }, { rng: new Rng(6) });
    perturbAdapters(model, 7);
    const layer = model.conv as unknown as AdaptedLayer;
    const a = layer.adapter('default') as LoraLayer;
    const x = tf.tensor4d(new Rng(8).normalArray(2 * 5 * 5 * 3), [2, 5, 5, 3]);
    const probe = tf.tensor4d(new Rng(9).normalArray(2 * 3 * 3 * 5), [2, 3, 3, 5]); // loss = Σ y ⊙ probe
    const { grads } = tf.variableGrads(() => tf.sum(tf.mul(model.call(x), probe)) as tf.Scalar, [a.loraB, a.magnitude!]);
    const { t } = await peftTensors(model, 'conv');
    const [w, bias, xs, pr] = [await torchKernel(layer.base.weight), await arr(layer.base.bias!), nchw(await arr(x)), nchw(await arr(probe))];
    const A = t['lora_A.weight']!;
    const [B, M] = [t['lora_B.weight']!, t['lora_magnitude_vector']!];
    const frozen = doraConvRef(xs, w, bias, A, B, M).norm;
    const loss = (b: Arr, m: Arr, norm?: Float64Array) => dot(doraConvRef(xs, w, bias, A, b, m, norm).y.d, pr.d);
    // Weft's lora_B is [r, out]; PEFT's [out, r, 1, 1]: compare in PEFT's layout.
    const gB = await torchB(grads[a.loraB.name]!);
    const wantB = finiteDiff(B, (b) => loss(b, M, frozen));
    expect(relErr(gB, wantB)).toBeLessThan(1e-3);
    expect(relErr(gB, finiteDiff(B, (b) => loss(b, M)))).toBeGreaterThan(1e-2); // the undetached gradient differs
    expect(relErr(await grads[a.magnitude!.name]!.data(), finiteDiff(M, (m) => loss(B, m, frozen)))).toBeLessThan(1e-3);
    tf.dispose([x, probe, ...Object.values(grads)]);
    model.dispose();
  });
});

/** Weft's lora_B gradient [r, out] in PEFT's order [out, r]. */
async function torchB(g: tf.Tensor): Promise<Float64Array> {
  const t = tf.transpose(g);
  const d = Float64Array.from(await t.data());
  t.dispose();
  return d;
}

describe('DoRA on Embedding in PEFT form', () => {
  const IDS = [3, 0, 9, 3, 7, 1];

  it("saves lora_magnitude_vector as [dim]; the rows and merged table equal PEFT's DoraEmbeddingLayer formula; loads back exactly", async () => {
    const model = new OneEmbedding(new Rng(11));
    const before = parameterLedger(model).totals.stored;
    injectAdapter(model, 'default', { method: 'lora', targets: ['emb'], r: R, alpha: ALPHA, dora: true }, { rng: new Rng(12) });
    expect(parameterLedger(model).totals.stored - before).toBe(R * (10 + 6) + 6);
    perturbAdapters(model, 13);
    const layer = model.emb as unknown as AdaptedLayer;
    const ids = tf.tensor2d(IDS, [2, 3], 'int32');
    const { files, t } = await peftTensors(model, 'emb');
    expect(Object.fromEntries(Object.entries(t).map(([k, v]) => [k, v.shape]))).toEqual({ lora_embedding_A: [R, 10], lora_embedding_B: [6, R], lora_magnitude_vector: [6] });
    expect(JSON.parse(files.config)).toMatchObject({ peft_type: 'LORA', use_dora: true, target_modules: ['emb'] });
    const w = await arr(layer.base.weight);
    const ref = doraEmbeddingRef(IDS, w, t['lora_embedding_A']!, t['lora_embedding_B']!, t['lora_magnitude_vector']!);
    const y = model.call(ids);
    expect(y.shape).toEqual([2, 3, 6]);
    expect(maxAbs(await y.data(), ref.y)).toBeLessThan(1e-5);
    const plain = doraEmbeddingRef(IDS, w, t['lora_embedding_A']!, t['lora_embedding_B']!, { d: Float64Array.from(ref.norm), shape: [6] });
    expect(maxAbs(await y.data(), plain.y)).toBeGreaterThan(1e-2);
    mergeAdapters(model);
    expect(maxAbs(await layer.base.weight.data(), ref.merged.d)).toBeLessThan(1e-5);
    expect(maxAbs(await model.call(ids).data(), ref.y)).toBeLessThan(1e-5);
    unmergeAdapters(model);
    expect(maxAbs(await layer.base.weight.data(), w.d)).toBeLessThan(1e-5);
    const fresh = new OneEmbedding(new Rng(11));
    await loadPeftAdapter(fresh, files);
    expect(Array.from(await fresh.call(ids).data())).toEqual(Array.from(await y.data()));
    tf.dispose([ids, y]);
    model.dispose();
    fresh.dispose();
  });

  it('the norm is detached (gradients of lora_embedding_B and the magnitude); training leaks no tensors and moves only the adapter', async () => {
    const model = new OneEmbedding(new Rng(14));
    injectAdapter(model, 'default', { method: 'lora', targets: ['emb'], r: R, alpha: ALPHA, dora: true }, { rng: new Rng(15) });
    perturbAdapters(model, 16);
    const layer = model.emb as unknown as AdaptedLayer;
    const a = layer.adapter('default') as LoraLayer;
    const ids = tf.tensor1d(IDS, 'int32');
    const probe = tf.tensor2d(new Rng(17).normalArray(IDS.length * 6), [IDS.length, 6]);
    const { grads } = tf.variableGrads(() => tf.sum(tf.mul(model.call(ids), probe)) as tf.Scalar, [a.loraB, a.magnitude!]);
    const { t } = await peftTensors(model, 'emb');
    const [w, pr] = [await arr(layer.base.weight), await arr(probe)];
    const [A, B, M] = [t['lora_embedding_A']!, t['lora_embedding_B']!, t['lora_magnitude_vector']!];
    const frozen = doraEmbeddingRef(IDS, w, A, B, M).norm;
    const loss = (b: Arr, m: Arr, norm?: Float64Array) => dot(doraEmbeddingRef(IDS, w, A, b, m, norm).y, pr.d);
    const gB = await torchB(grads[a.loraB.name]!); // [r, dim] -> lora_embedding_B's [dim, r]
    expect(relErr(gB, finiteDiff(B, (b) => loss(b, M, frozen)))).toBeLessThan(1e-3);
    expect(relErr(gB, finiteDiff(B, (b) => loss(b, M)))).toBeGreaterThan(1e-2);
    expect(relErr(await grads[a.magnitude!.name]!.data(), finiteDiff(M, (m) => loss(B, m, frozen)))).toBeLessThan(1e-3);
    tf.dispose(Object.values(grads));
    // A few SGD steps: the base table stays, the adapter moves, the tensor count stays flat.
    const base = await arr(layer.base.weight);
    const m0 = await arr(a.magnitude!);
    const opt = tf.train.sgd(0.1);
    const step = () => opt.minimize(() => tf.sum(tf.mul(model.call(ids), probe)) as tf.Scalar, false, model.trainableParameters());
    step();
    const n0 = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) step();
    expect(tf.memory().numTensors).toBe(n0);
    expect(maxAbs(await layer.base.weight.data(), base.d)).toBe(0);
    expect(maxAbs(await a.magnitude!.data(), m0.d)).toBeGreaterThan(1e-3);
    opt.dispose();
    tf.dispose([ids, probe]);
    model.dispose();
  });

  it("the calculator counts DoRA's magnitude on an embedding: r·(V + H) + H", () => {
    const cfg = PRESETS['Llama-2-7b'].config;
    const r = countParams(cfg, { adapter: { method: 'lora', r: 8, dora: true, targetModules: ['embed_tokens'] } });
    expect(r.adapter!.params).toBe(8 * (cfg.vocab_size + cfg.hidden_size) + cfg.hidden_size);
  });
});

describe('several DoRA adapters active at once, as PEFT stacks them', () => {
  // PEFT's LoRA Linear forward (no dropout) loops over the active adapters and gives each DoRA
  // adapter the running result less the bias as its base_result:
  //   r₀ = xW + b,  rᵢ = rᵢ₋₁ + (mᵢ/‖W + s·AᵢBᵢ‖ − 1)·(rᵢ₋₁ − b) + mᵢ/‖W + s·AᵢBᵢ‖ · s·xAᵢBᵢ
  // (Weft layout: W [in, out], A [in, r], B [r, out]; each norm per output column, over the base
  // weight plus that adapter's own update only). Tolerance 1e-5 (float32 against float64).
  it('a Linear with bias and two active DoRA adapters equals the stacked formula', async () => {
    class OneLinear extends Module {
      lin: Linear;
      constructor(rng: Rng) {
        super();
        this.lin = this.addModule('lin', new Linear({ inFeatures: 4, outFeatures: 3, bias: true }, rng));
      }
      forward(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
        return this.lin.forward(x, ctx);
      }
    }
    const [IN, OUT, N] = [4, 3, 6];
    const model = new OneLinear(new Rng(3));
    for (const name of ['a', 'b']) injectAdapter(model, name, { method: 'lora', targets: ['lin'], r: R, alpha: ALPHA, dora: true }, { rng: new Rng(name === 'a' ? 4 : 5) });
    setActiveAdapters(model, ['a', 'b']);
    perturbAdapters(model, 11);
    const layer = model.lin as unknown as AdaptedLayer;
    tf.tidy(() => layer.base.bias!.assign(tf.tensor1d([0.5, -1, 2])));
    const x = tf.tensor2d(new Rng(6).normalArray(N * IN), [N, IN]);
    const W = await arr(layer.base.weight);
    const b = await arr(layer.base.bias!);
    const X = await arr(x);
    const r = Array.from({ length: N }, (_, n) => Array.from({ length: OUT }, (_, o) => b.d[o]! + Array.from({ length: IN }, (_, k) => X.d[n * IN + k]! * at(W, k, o)).reduce((p, q) => p + q, 0)));
    for (const name of ['a', 'b']) {
      const ad = layer.adapter(name) as LoraLayer;
      const [A, B, m] = [await arr(ad.loraA), await arr(ad.loraB), await arr(ad.magnitude!)];
      const delta = (k: number, o: number) => S * Array.from({ length: R }, (_, j) => at(A, k, j) * at(B, j, o)).reduce((p, q) => p + q, 0);
      const scale = Array.from({ length: OUT }, (_, o) => m.d[o]! / Math.sqrt(Array.from({ length: IN }, (_, k) => (at(W, k, o) + delta(k, o)) ** 2).reduce((p, q) => p + q, 0)));
      for (let n = 0; n < N; n++) {
        for (let o = 0; o < OUT; o++) {
          const lora = Array.from({ length: IN }, (_, k) => X.d[n * IN + k]! * delta(k, o)).reduce((p, q) => p + q, 0);
          r[n]![o] = r[n]![o]! + (scale[o]! - 1) * (r[n]![o]! - b.d[o]!) + scale[o]! * lora;
        }
      }
    }
    const got = await model.call(x).data();
    expect(maxAbs(got, r.flat())).toBeLessThan(1e-5);
  });
});

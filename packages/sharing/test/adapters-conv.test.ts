// Adapters on Conv2d layers against their published formulas, computed here in plain JS from the
// adapter's tensors in PEFT's names and PyTorch layout ([out, in, kh, kw]): LoHa flat and in Tucker
// form (PEFT's use_effective_conv2d: ΔW = s·(T1 ×₁ W1a ×₂ W1b) ⊙ (T2 ×₁ W2a ×₂ W2b)), LoKr with a full,
// low-rank and Tucker right factor (ΔW[o, i, k, l] = s·W1[o/outK, i/inN]·W2[o%outK, i%inN, k, l]), DoRA
// (W' = m ⊙ (W + sAB)/‖W + sAB‖ per output channel), ETHER+ (H_in W H_out per kernel tap) and MoKA
// (per output pixel, on explicitly extracted patches). Each model's output must equal a plain
// convolution with the reference kernels (1e-5). The same methods on a tfjs LayersModel's Conv2D.
// There are no PEFT fixtures for Conv2d (test/fixtures/peft holds Linear models only).
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { Conv2d, Module, Rng, type ForwardContext } from '@weft/core';
import {
  AdaptedLayer, EtherLayer, LohaLayer, LoraLayer, MokaLayer, adapterMethod, injectAdapter, injectIntoLayersModel, mergeAdapters, unmergeAdapters,
  type AdapterConfigBase,
} from '../src/index.js';
import { convAdapterCases, perturbAdapters } from './adapter-cases.js';
import { TinyConv, maxDiff } from './adapters-helpers.js';

type Arr = { data: Float32Array; shape: number[] };
const arr = async (t: tf.Tensor): Promise<Arr> => ({ data: (await t.data()) as Float32Array, shape: t.shape });
const at = (a: Arr, ...idx: number[]) => a.data[idx.reduce((s, v, d) => s * a.shape[d]! + v, 0)]!;

/** PEFT tensors (PyTorch layout) of adapter "a" on `layer`, as plain arrays. */
async function peftOf(layer: AdaptedLayer): Promise<Record<string, Arr>> {
  const a = layer.adapter('a');
  const ts = adapterMethod(a.method).peft!.save(a);
  const out: Record<string, Arr> = {};
  for (const [k, v] of Object.entries(ts)) out[k] = await arr(v);
  tf.dispose(Object.values(ts));
  return out;
}

/** m1 [p, r] @ m2 [r, q] of plain arrays. */
function mm(m1: Arr, m2: Arr): Arr {
  const [p, r] = m1.shape as [number, number];
  const q = m2.shape[1]!;
  const data = new Float32Array(p * q);
  for (let i = 0; i < p; i++) for (let j = 0; j < q; j++) { let s = 0; for (let k = 0; k < r; k++) s += at(m1, i, k) * at(m2, k, j); data[i * q + j] = s; }
  return { data, shape: [p, q] };
}

/** PEFT's Tucker rebuild: einsum("i j k l, j r, i p -> p r k l", t, w_b, w_a). */
function tucker(t: Arr, wa: Arr, wb: Arr): Arr {
  const [r, , kh, kw] = t.shape as [number, number, number, number];
  const [p, q] = [wa.shape[1]!, wb.shape[1]!];
  const data = new Float32Array(p * q * kh * kw);
  for (let o = 0; o < p; o++) for (let c = 0; c < q; c++) for (let k = 0; k < kh; k++) for (let l = 0; l < kw; l++) {
    let s = 0;
    for (let i = 0; i < r; i++) for (let j = 0; j < r; j++) s += at(t, i, j, k, l) * at(wb, j, c) * at(wa, i, o);
    data[((o * q + c) * kh + k) * kw + l] = s;
  }
  return { data, shape: [p, q, kh, kw] };
}

/** A PyTorch kernel [out, in, kh, kw] (data) as a tfjs kernel [kh, kw, in, out]. */
const toTf = (d: Float32Array, shape: number[]) => tf.transpose(tf.tensor4d(d, shape as [number, number, number, number]), [2, 3, 1, 0]);

/** TinyConv's forward with kernels k1, k2 (tfjs layout) and its biases: the plain dense reference. */
function tinyConvRef(m: TinyConv, x: tf.Tensor, k1: tf.Tensor, k2: tf.Tensor): tf.Tensor {
  const b = (l: unknown) => ((l as AdaptedLayer).base.bias ?? tf.scalar(0));
  const h = tf.relu(tf.add(tf.conv2d(x as tf.Tensor4D, k1 as tf.Tensor4D, 1, [[0, 0], [1, 1], [1, 1], [0, 0]]), b(m.conv1)));
  return tf.add(tf.conv2d(h, k2 as tf.Tensor4D, 2, 'same'), b(m.conv2));
}

/** Inject, perturb away from the no-op start, and return both AdaptedLayers. */
function adapted(cfg: Record<string, unknown>, channels?: [number, number, number]): [TinyConv, AdaptedLayer, AdaptedLayer] {
  const m = new TinyConv(new Rng(1), channels);
  injectAdapter(m, 'a', { ...cfg, targets: ['conv1', 'conv2'] } as AdapterConfigBase, { rng: new Rng(2) });
  perturbAdapters(m, 5);
  return [m, m.conv1 as unknown as AdaptedLayer, m.conv2 as unknown as AdaptedLayer];
}

/** One Conv2d as a model. */
class OneConv extends Module {
  constructor(public conv: Conv2d) {
    super();
    this.addModule('conv', conv);
  }
  forward(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    return this.conv.forward(x, ctx);
  }
}

const input = (n = 3) => tf.tensor4d(new Rng(7).normalArray(n * 5 * 5 * 2), [n, 5, 5, 2]);

/** Check the model against the reference kernels W + ΔW (ΔW in PyTorch layout from `delta`), before and after merging. */
async function checkAgainst(m: TinyConv, l1: AdaptedLayer, l2: AdaptedLayer, delta: (l: AdaptedLayer) => Promise<Float32Array>): Promise<void> {
  const x = input();
  const kernel = async (l: AdaptedLayer) => {
    const w = l.base.weight;
    const [kh, kw, i, o] = w.shape;
    return tf.add(w, toTf(await delta(l), [o!, i!, kh!, kw!]));
  };
  const want = tinyConvRef(m, x, await kernel(l1), await kernel(l2));
  expect(await maxDiff(m.call(x), want)).toBeLessThan(1e-5);
  mergeAdapters(m);
  expect(await maxDiff(m.call(x), want)).toBeLessThan(1e-5);
  unmergeAdapters(m);
}

describe('adapters on Conv2d against their formulas (1e-5)', () => {
  it("LoHa, flat (PEFT's default on Conv2d): ΔW = s·(W1a W1b) ⊙ (W2a W2b) reshaped to [out, in, kh, kw]", async () => {
    const [m, l1, l2] = adapted({ method: 'loha', r: 2, alpha: 3 });
    expect((l1.adapter('a') as LohaLayer).u1.shape).toEqual([18, 2]);
    await checkAgainst(m, l1, l2, async (l) => {
      const p = await peftOf(l);
      expect(p['hada_w1_b']!.shape).toEqual([2, l.base.inFeatures * 9]);
      const [a, b] = [mm(p['hada_w1_a']!, p['hada_w1_b']!), mm(p['hada_w2_a']!, p['hada_w2_b']!)];
      return a.data.map((v, i) => v * b.data[i]! * 1.5);
    });
    m.dispose();
  });

  it("LoHa in Tucker form (PEFT's use_effective_conv2d): hada_t [r, r, 3, 3], hada_w*_a [r, out], hada_w*_b [r, in]", async () => {
    const [m, l1, l2] = adapted({ method: 'loha', r: 2, alpha: 3, effectiveConv2d: true });
    const layer = l2.adapter('a') as LohaLayer;
    expect(layer.t1!.shape).toEqual([3, 3, 2, 2]);
    await checkAgainst(m, l1, l2, async (l) => {
      const p = await peftOf(l);
      expect(p['hada_t1']!.shape).toEqual([2, 2, 3, 3]);
      expect(p['hada_w1_a']!.shape).toEqual([2, l.base.outFeatures]);
      expect(p['hada_w1_b']!.shape).toEqual([2, l.base.inFeatures]);
      const a = tucker(p['hada_t1']!, p['hada_w1_a']!, p['hada_w1_b']!);
      const b = tucker(p['hada_t2']!, p['hada_w2_a']!, p['hada_w2_b']!);
      return a.data.map((v, i) => v * b.data[i]! * 1.5);
    });
    // Tucker stores r²·kh·kw + r·(in + out) per factor instead of r·(in·kh·kw + out).
    expect(layer.trainableParameters().reduce((s, v) => s + v.size, 0)).toBe(2 * (4 * 9 + 2 * (8 + 4)));
    m.dispose();
  });

  for (const [what, cfg, names] of [
    ['full right factor', { r: 2, alpha: 3 }, ['lokr_w1', 'lokr_w2']],
    ['low-rank right factor', { r: 1, alpha: 3 }, ['lokr_w1', 'lokr_w2_a', 'lokr_w2_b']],
    ['Tucker right factor', { r: 1, alpha: 3, effectiveConv2d: true }, ['lokr_t2', 'lokr_w1', 'lokr_w2_a', 'lokr_w2_b']],
  ] as const) {
    it(`LoKr, ${what}: ΔW[o, i, k, l] = s·W1[o/outK, i/inN]·W2[o%outK, i%inN, k, l]`, async () => {
      const [m, l1, l2] = adapted({ method: 'lokr', ...cfg }, [4, 8, 4]);
      const x4 = tf.tensor4d(new Rng(7).normalArray(3 * 5 * 5 * 4), [3, 5, 5, 4]);
      const kernels: tf.Tensor[] = [];
      for (const l of [l1, l2]) {
        const p = await peftOf(l);
        expect(Object.keys(p).sort()).toEqual([...names].sort());
        const [kh, kw, ci, co] = l.base.weight.shape as number[];
        const w1 = p['lokr_w1']!;
        const [outL, inM] = w1.shape as [number, number];
        const [outK, inN] = [co! / outL, ci! / inM];
        const w2: Arr = p['lokr_w2'] ?? (p['lokr_t2'] ? tucker(p['lokr_t2'], p['lokr_w2_a']!, p['lokr_w2_b']!) : { ...mm(p['lokr_w2_a']!, p['lokr_w2_b']!), shape: [outK, inN, kh!, kw!] });
        const d = new Float32Array(co! * ci! * kh! * kw!);
        for (let o = 0; o < co!; o++) for (let i = 0; i < ci!; i++) for (let k = 0; k < kh!; k++) for (let q = 0; q < kw!; q++) {
          d[((o * ci! + i) * kh! + k) * kw! + q] = (cfg.alpha / cfg.r) * at(w1, Math.floor(o / outK), Math.floor(i / inN)) * at(w2, o % outK, i % inN, k, q);
        }
        kernels.push(tf.add(l.base.weight, toTf(d, [co!, ci!, kh!, kw!])));
      }
      const want = tinyConvRef(m, x4, kernels[0]!, kernels[1]!);
      expect(await maxDiff(m.call(x4), want)).toBeLessThan(1e-5);
      mergeAdapters(m);
      expect(await maxDiff(m.call(x4), want)).toBeLessThan(1e-5);
      m.dispose();
    });
  }

  it('DoRA: W′ = m ⊙ (W + sAB)/‖W + sAB‖, the norm per output channel over in·kh·kw', async () => {
    const [m, l1, l2] = adapted({ method: 'lora', r: 2, alpha: 4, dora: true });
    await checkAgainst(m, l1, l2, async (l) => {
      const a = l.adapter('a') as LoraLayer;
      const [kh, kw, ci, co] = l.base.weight.shape as number[];
      const w = await arr(l.base.weight); // [kh, kw, in, out] = flat [kh·kw·in, out]
      const ab = mm(await arr(a.loraA), await arr(a.loraB));
      const mag = await arr(a.magnitude!);
      const rows = kh! * kw! * ci!;
      const d = new Float32Array(co! * ci! * kh! * kw!);
      for (let o = 0; o < co!; o++) {
        let n = 0;
        for (let r = 0; r < rows; r++) n += (w.data[r * co! + o]! + 2 * ab.data[r * co! + o]!) ** 2;
        for (let r = 0; r < rows; r++) {
          const adaptedW = w.data[r * co! + o]! + 2 * ab.data[r * co! + o]!;
          const [k, q, i] = [Math.floor(r / (kw! * ci!)), Math.floor(r / ci!) % kw!, r % ci!];
          d[((o * ci! + i) * kh! + k) * kw! + q] = (mag.data[o]! * adaptedW) / Math.sqrt(n) - w.data[r * co! + o]!;
        }
      }
      return d;
    });
    m.dispose();
  });

  it('ETHER+: W′[k, l] = H_in W[k, l] H_out per kernel tap, H = I − ûûᵀ + v̂v̂ᵀ', async () => {
    const [m, l1, l2] = adapted({ method: 'ether', plus: true, blocks: 2 });
    await checkAgainst(m, l1, l2, async (l) => {
      const e = l.adapter('a') as EtherLayer;
      const [kh, kw, ci, co] = l.base.weight.shape as number[];
      const w = await arr(l.base.weight);
      /** The block-diagonal H [d, d] of unit rows of u, v [n, d/n]. */
      const h = async (u: tf.Tensor, v: tf.Tensor) => {
        const [n, b] = u.shape as [number, number];
        const [U, V] = [await arr(u), await arr(v)];
        const d = n * b;
        const H = new Float32Array(d * d);
        for (let g = 0; g < n; g++) {
          const nu = Math.hypot(...Array.from({ length: b }, (_, j) => at(U, g, j)));
          const nv = Math.hypot(...Array.from({ length: b }, (_, j) => at(V, g, j)));
          for (let i = 0; i < b; i++) for (let j = 0; j < b; j++) {
            H[(g * b + i) * d + g * b + j] = (i === j ? 1 : 0) - (at(U, g, i) * at(U, g, j)) / nu ** 2 + (at(V, g, i) * at(V, g, j)) / nv ** 2;
          }
        }
        return H;
      };
      const [hin, hout] = [await h(e.uIn!, e.vIn!), await h(e.uOut, e.vOut!)];
      const d = new Float32Array(co! * ci! * kh! * kw!);
      for (let k = 0; k < kh!; k++) for (let q = 0; q < kw!; q++) for (let i = 0; i < ci!; i++) for (let o = 0; o < co!; o++) {
        let s = 0;
        for (let a = 0; a < ci!; a++) for (let b = 0; b < co!; b++) s += hin[i * ci! + a]! * at(w, k, q, a, b) * hout[b * co! + o]!;
        d[((o * ci! + i) * kh! + k) * kw! + q] = s - at(w, k, q, i, o);
      }
      return d;
    });
    m.dispose();
  });

  it('MoKA: per output pixel, y = conv(x, W) + b + α Σₑ softmax(patch·G)ₑ · patch·kron(Aₑ, Bₑ), on explicit patches; refuses to merge', async () => {
    const model = new OneConv(new Conv2d({ inChannels: 4, outChannels: 4, kernelSize: 3, stride: 2, padding: 1 }, new Rng(1)));
    injectAdapter(model, 'a', { method: 'moka', targets: ['conv'], experts: 3, alpha: 0.7 } as AdapterConfigBase, { rng: new Rng(2) });
    perturbAdapters(model, 5);
    const layer = model.conv as unknown as AdaptedLayer;
    const mk = layer.adapter('a') as MokaLayer;
    const x = tf.tensor4d(new Rng(9).normalArray(2 * 5 * 5 * 4), [2, 5, 5, 4]);
    const [X, W, bias, A, B, G] = await Promise.all([x, layer.base.weight, layer.base.bias!, mk.a, mk.b, mk.gate].map(arr));
    const { inM, inN, outL, outK } = mk.shape;
    const [N, H, Wd, C, O, K] = [2, 5, 5, 4, 4, 3];
    const out = new Float32Array(N * 3 * 3 * O);
    for (let n = 0; n < N; n++) for (let oh = 0; oh < 3; oh++) for (let ow = 0; ow < 3; ow++) {
      const patch: number[] = []; // Weft's flat order (k, l, c)
      for (let k = 0; k < 3; k++) for (let l = 0; l < 3; l++) for (let c = 0; c < C; c++) {
        const [ih, iw] = [oh * 2 + k - 1, ow * 2 + l - 1];
        patch.push(ih >= 0 && ih < H && iw >= 0 && iw < Wd ? at(X, n, ih, iw, c) : 0);
      }
      const logits = Array.from({ length: K }, (_, e) => patch.reduce((s, v, r) => s + v * at(G, r, e), 0));
      const mx = Math.max(...logits);
      const g = logits.map((z) => Math.exp(z - mx));
      const gs = g.reduce((a, b) => a + b, 0);
      for (let o = 0; o < O; o++) {
        let y = at(bias, o);
        for (let r = 0; r < patch.length; r++) y += patch[r]! * at(W, Math.floor(r / 12), Math.floor(r / 4) % 3, r % 4, o);
        for (let e = 0; e < K; e++) {
          let t = 0;
          for (let r = 0; r < patch.length; r++) {
            const [kl, c] = [Math.floor(r / C), r % C];
            t += patch[r]! * at(A, e, Math.floor(c / inN), Math.floor(o / outK)) * at(B, e, kl * inN + (c % inN), o % outK);
          }
          y += 0.7 * (g[e]! / gs) * t;
        }
        out[((n * 3 + oh) * 3 + ow) * O + o] = y;
      }
    }
    expect([inM, outL]).toEqual([2, 2]);
    expect(await maxDiff(layer.forward(x), tf.tensor(out, [N, 3, 3, O]))).toBeLessThan(1e-5);
    expect(() => mergeAdapters(model)).toThrow(/cannot be merged/);
    model.dispose();
  });
});

describe('adapters on a tfjs LayersModel Conv2D', () => {
  const build = () => {
    const init = (s: number) => tfl.initializers.randomNormal({ stddev: 0.3, seed: s });
    return tfl.sequential({
      layers: [
        tfl.layers.conv2d({ name: 'conv', inputShape: [5, 5, 2], filters: 4, kernelSize: 3, padding: 'same', kernelInitializer: init(1), biasInitializer: init(2) }),
        tfl.layers.flatten({ name: 'flat' }),
        tfl.layers.dense({ name: 'out', units: 3, kernelInitializer: init(3) }),
      ],
    });
  };
  for (const { label, config } of convAdapterCases()) {
    it(`${label}: changes the output, merge == unmerged (1e-5) or refuses, unload restores the model`, async () => {
      const model = build();
      const x = input(2);
      const y0 = model.predict(x) as tf.Tensor;
      // hyper: with SMALL's hidden=3 all three pre-activations of the hypernetwork's ReLU are negative at this seed (ΔW = 0 exactly).
      const cfg = config.method === 'hyper' ? { ...config, hidden: 8 } : config;
      const handle = injectIntoLayersModel(model, 'a', { ...cfg, targets: ['conv'] } as AdapterConfigBase, { rng: new Rng(2) });
      perturbAdapters(handle, 5);
      const y = model.predict(x) as tf.Tensor;
      expect(await maxDiff(y, y0)).toBeGreaterThan(1e-3);
      let refused: unknown = null;
      try { mergeAdapters(handle); } catch (e) { refused = e; }
      if (refused) expect(String(refused)).toMatch(/cannot be merged/);
      else {
        expect(await maxDiff(model.predict(x) as tf.Tensor, y)).toBeLessThan(1e-5);
        unmergeAdapters(handle);
      }
      handle.unload(); // the kernel after merge + unmerge: W to float32 round-off
      expect(await maxDiff(model.predict(x) as tf.Tensor, y0)).toBeLessThan(1e-5);
    });
  }
});

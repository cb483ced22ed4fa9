// A transformers MoE block loaded into Weft's MoE gives the block's output as transformers computes
// it, written out here per token in plain float64 from the same tensors (the reference): softmax
// router, top-k, `norm_topk_prob` renormalisation (or none), SwiGLU experts, Qwen2-MoE's
// σ(shared_expert_gate·x)·shared_expert(x). Weights are layer 0 of the tiny random checkpoints in
// test/fixtures/transformers (Mixtral, Qwen2-MoE, Qwen3-MoE, OLMoE; transformers 5.17). The fused
// `gate_up_proj` layouts are built from the same weights. Tolerance 1e-5 absolute (float32 sums of
// 32–48 products of O(1) values).
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ForwardContext, loadSafetensors, Rng } from '@weft/core';
import { loadTransformersMoE, moeConfigFromTransformers, MoE, transformersMoEStateDict, transformersMoEWeights } from '../src/index.js';

const dir = (m: string) => new URL(`../../../test/fixtures/transformers/${m}/`, import.meta.url);
const TOL = 1e-5;

function fixture(m: string): { config: Record<string, unknown>; tensors: Record<string, tf.Tensor>; arrays: Map<string, { shape: number[]; v: Float32Array }> } {
  const config = JSON.parse(readFileSync(new URL('config.json', dir(m)), 'utf8')) as Record<string, unknown>;
  const all = loadSafetensors(readFileSync(new URL('model.safetensors', dir(m))));
  const tensors: Record<string, tf.Tensor> = {};
  const arrays = new Map<string, { shape: number[]; v: Float32Array }>();
  for (const [k, t] of Object.entries(all)) {
    if (k.startsWith('model.layers.0.') && (k.includes('.mlp.') || k.includes('block_sparse_moe'))) {
      tensors[k] = t;
      arrays.set(k, { shape: t.shape, v: t.dataSync() as Float32Array });
    } else t.dispose();
  }
  return { config, tensors, arrays };
}

/** y = W x for a PyTorch [out, in] weight. */
function lin(w: { shape: number[]; v: Float32Array }, x: number[]): number[] {
  const [o, n] = w.shape as [number, number];
  return Array.from({ length: o }, (_, r) => x.reduce((s, xi, c) => s + w.v[r * n + c]! * xi, 0));
}
const silu = (z: number) => z / (1 + Math.exp(-z));

/** transformers' sparse MoE block on one token, from the checkpoint tensors. */
function reference(arrays: Map<string, { shape: number[]; v: Float32Array }>, prefix: string, cfg: Record<string, unknown>, x: number[]): number[] {
  const get = (k: string) => arrays.get(prefix + k)!;
  const mixtral = cfg.model_type === 'mixtral';
  const [gn, un, dn] = mixtral ? ['w1', 'w3', 'w2'] : ['gate_proj', 'up_proj', 'down_proj'];
  const logits = lin(get('gate.weight'), x);
  const m = Math.max(...logits);
  const ex = logits.map((l) => Math.exp(l - m));
  const probs = ex.map((v) => v / ex.reduce((a, b) => a + b, 0));
  const k = cfg.num_experts_per_tok as number;
  const top = probs.map((p, j) => [p, j] as const).sort((a, b) => b[0] - a[0]).slice(0, k);
  const norm = mixtral || cfg.norm_topk_prob === true ? top.reduce((s, [p]) => s + p, 0) : 1;
  const y = new Array<number>(x.length).fill(0);
  const mlp = (base: string) => {
    const g = lin(get(`${base}.${gn}.weight`), x).map(silu);
    const u = lin(get(`${base}.${un}.weight`), x);
    return lin(get(`${base}.${dn}.weight`), g.map((gi, j) => gi * u[j]!));
  };
  for (const [p, j] of top) mlp(`experts.${j}`).forEach((v, c) => (y[c] += (p / norm) * v));
  if (arrays.has(`${prefix}shared_expert.gate_proj.weight`)) {
    const s = mlp('shared_expert');
    const gate = 1 / (1 + Math.exp(-lin(get('shared_expert_gate.weight'), x)[0]!));
    s.forEach((v, c) => (y[c] += gate * v));
  }
  return y;
}

async function checkBlock(model: string, fused?: 'out-in' | 'in-out') {
  const { config, tensors, arrays } = fixture(model);
  const prefix = model === 'mixtral' ? 'model.layers.0.block_sparse_moe.' : 'model.layers.0.mlp.';
  const moe = new MoE(moeConfigFromTransformers(config), new Rng(1));
  let given = tensors;
  if (fused) {
    // Fuse the per-expert weights: gate_up [E, 2I, H] (transformers 5) or [E, H, 2I] (Llama-4); down [E, H, I] or [E, I, H].
    const [g, u, d] = model === 'mixtral' ? ['w1', 'w3', 'w2'] : ['gate_proj', 'up_proj', 'down_proj'];
    const e = moe.cfg.numExperts;
    const per = (n: string) => tf.stack(Array.from({ length: e }, (_, j) => tensors[`${prefix}experts.${j}.${n}.weight`]!));
    const gateUp = tf.concat([per(g), per(u)], 1); // [E, 2I, H]
    given = Object.fromEntries(Object.entries(tensors).filter(([k]) => !k.includes('.experts.')));
    given[`${prefix}experts.gate_up_proj`] = fused === 'out-in' ? gateUp : tf.transpose(gateUp, [0, 2, 1]);
    given[`${prefix}experts.down_proj`] = fused === 'out-in' ? per(d) : tf.transpose(per(d), [0, 2, 1]);
  }
  const report = await loadTransformersMoE(moe, given, prefix);
  expect(report.loaded.length).toBe(moe.parameters().length);
  const rng = new Rng(7);
  const xs = Array.from({ length: 6 }, () => rng.normalArray(moe.cfg.dim));
  const y = tf.tidy(() => moe.forward(tf.tensor2d(xs), new ForwardContext())).arraySync() as number[][];
  xs.forEach((x, t) => {
    const want = reference(arrays, prefix, config, x);
    want.forEach((v, c) => expect(Math.abs(y[t]![c]! - v)).toBeLessThan(TOL));
  });
  moe.dispose();
  tf.dispose(Object.values(tensors));
  if (fused) tf.dispose(Object.values(given));
}

describe('transformers MoE blocks load into MoE and compute what transformers computes', () => {
  it('Mixtral (block_sparse_moe, w1/w2/w3, renormalised top-2)', () => checkBlock('mixtral'));
  it('Qwen2-MoE (norm_topk_prob=false, sigmoid-gated shared expert)', () => checkBlock('qwen2_moe'));
  it('Qwen3-MoE (norm_topk_prob=true)', () => checkBlock('qwen3_moe'));
  it('OLMoE (norm_topk_prob=false)', () => checkBlock('olmoe'));
  it('fused gate_up_proj [E, 2I, H] with down_proj [E, H, I] (transformers 5)', () => checkBlock('qwen2_moe', 'out-in'));
  it('fused gate_up_proj [E, H, 2I] with down_proj [E, I, H] (Llama-4)', () => checkBlock('mixtral', 'in-out'));

  it('transformersMoEWeights (the map @weft/hf loads and saves with): each weight written as transformers stores it reads back exactly, Mixtral and Qwen2-MoE names', async () => {
    for (const [type, mixtral] of [['mixtral', true], ['qwen2_moe', false]] as const) {
      const { config, tensors } = fixture(type);
      const moe = new MoE(moeConfigFromTransformers(config), new Rng(1));
      const p = type === 'mixtral' ? 'model.layers.0.block_sparse_moe' : 'model.layers.0.mlp';
      const weights = transformersMoEWeights(moe, p, { mixtral });
      expect(new Set(weights.map((w) => w.variable)).size).toBe(moe.parameters().length); // every parameter, once
      for (const w of weights) {
        expect(w.forms[0]!.names.every((n) => n in tensors), `${w.path}: ${w.forms[0]!.names[0]}`).toBe(true); // the first form is the checkpoint's
        const hf = w.toHf(w.variable);
        hf.forEach((t, i) => expect(t.shape).toEqual(w.forms[0]!.shapes[i]));
        const back = w.forms[0]!.toWeft(hf);
        expect(Array.from(await back.data())).toEqual(Array.from(await w.variable.data()));
        tf.dispose([...hf, back]);
      }
      tf.dispose(Object.values(tensors));
      moe.dispose();
    }
  });

  it('config and tensor problems are refused, naming what is wrong, and nothing loads', async () => {
    expect(() => moeConfigFromTransformers({ model_type: 'llama' })).toThrow(/model_type="llama"; allowed: mixtral, qwen2_moe/);
    expect(() => moeConfigFromTransformers({ model_type: 'mixtral', hidden_act: 'gelu' })).toThrow(/hidden_act="gelu"/);
    const { config, tensors } = fixture('qwen2_moe');
    const moe = new MoE(moeConfigFromTransformers(config), new Rng(1));
    const before = moe.experts.parameters()[0]!.dataSync().slice();
    const p = 'model.layers.0.mlp.';
    const missing = { ...tensors };
    delete missing[`${p}shared_expert_gate.weight`];
    await expect(loadTransformersMoE(moe, missing, p)).rejects.toThrow(/"model.layers.0.mlp.shared_expert_gate.weight" is missing/);
    const extra = { ...tensors, [`${p}experts.9.gate_proj.weight`]: tf.zeros([16, 32]) };
    expect(() => transformersMoEStateDict(moe, extra, p)).toThrow(/no place for: model.layers.0.mlp.experts.9.gate_proj.weight/);
    const bad = { ...tensors, [`${p}gate.weight`]: tf.zeros([5, 32]) };
    expect(() => transformersMoEStateDict(moe, bad, p)).toThrow(/"model.layers.0.mlp.gate.weight" has shape \[5,32\]; the layer needs \[4,32\]/);
    expect(moe.experts.parameters()[0]!.dataSync()).toEqual(before);
    const n = tf.memory().numTensors;
    expect(() => transformersMoEStateDict(moe, bad, p)).toThrow();
    expect(tf.memory().numTensors).toBe(n);
    tf.dispose([extra[`${p}experts.9.gate_proj.weight`]!, bad[`${p}gate.weight`]!]);
    tf.dispose(Object.values(tensors));
    moe.dispose();
  });
});

describe('MoE sharedGate', () => {
  it('scales the shared experts by σ(x·w) per token (gated − ungated = (σ(x·w) − 1)·shared(x)); refused without shared experts', () => {
    const cfg = { dim: 4, numExperts: 4, topK: 2, hidden: 4, router: 'mixtral', sharedExperts: 1 } as const;
    const gated = new MoE({ ...cfg, sharedGate: true }, new Rng(2)); // the gate is built last: same other weights as below
    const plain = new MoE(cfg, new Rng(2));
    const x = tf.tensor2d(new Rng(3).normalArray(12), [3, 4]);
    const gap = tf.tidy(() => {
      const ctx = new ForwardContext();
      const diff = tf.sub(gated.forward(x, ctx), plain.forward(x, ctx));
      const want = tf.mul(tf.sub(tf.sigmoid(tf.matMul(x, gated.sharedGate!.weight)), 1), plain.shared!.forward(x, ctx));
      return tf.max(tf.abs(tf.sub(diff, want)));
    });
    expect(gap.dataSync()[0]).toBeLessThan(1e-6);
    expect(() => new MoE({ dim: 4, sharedGate: true })).toThrow(/sharedGate=true needs sharedExperts ≥ 1/);
    expect(() => new MoE({ dim: 4, sharedExperts: 1, sharedGate: 1 as unknown as boolean })).toThrow(/sharedGate/);
    tf.dispose([x, gap]);
    gated.dispose();
    plain.dispose();
  });
});

// UMoE (arXiv:2505.07260): the pre-mixing attention MoE against a naive per-pair computation of the
// paper's formula (1e-5), sparse = dense dispatch (outputs and gradients, 1e-5), causality and padding,
// and the block's attention/FFN expert sharing seen through the ledger and the gradients.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ForwardContext, parameterLedger, Rng, TinyTransformer } from '@weft/core';
import { describeBackends } from '@weft/core/testing';
import { PreMixingAttention, UMoEBlock, type PreMixingAttentionConfig } from '../src/index.js';

const TOL = 1e-5;
const [B, T, D] = [2, 5, 8];
const cfg: PreMixingAttentionConfig = { dim: D, numExperts: 4, topK: 2, hidden: 6, headDim: 3, queryRank: 2, router: 'mixtral' };

async function maxDiff(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const d = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))));
  const v = (await d.data())[0]!;
  d.dispose();
  return v;
}

const param = (m: PreMixingAttention, name: string) => m.namedParameters().find(([p]) => p === name)![1];

describeBackends('PreMixingAttention', () => {
  it('equals a naive per-pair computation of x̃ = softmax(q·Kᵀ/√h)·X, y = Σ gate·FFN_e(x̃) (causal, 1e-5)', async () => {
    for (const residualQuery of [true, false]) {
      const m = new PreMixingAttention({ ...cfg, residualQuery }, new Rng(3)).eval();
      const x = tf.tensor3d(new Rng(4).normalArray(B * T * D), [B, T, D]);
      const got = m.forward(x, new ForwardContext());
      const flat = tf.reshape(x, [B * T, D]) as tf.Tensor2D;
      const r = m.router.forward(flat, new ForwardContext());
      const [experts, tokens, gates] = [await r.expert.array(), await r.token.array(), await r.gate.array()];
      tf.dispose([r.expert, r.token, r.gate, r.probs, r.logits ?? [], r.choices ?? []]);
      const want = tf.tidy(() => {
        const rows: tf.Tensor[] = Array.from({ length: B * T }, () => tf.zeros([D]));
        const A = param(m, 'queryA'), Bq = param(m, 'queryB'), K = param(m, 'key');
        for (let p = 0; p < experts.length; p++) {
          const [e, n] = [experts[p]!, tokens[p]!];
          const [b, t] = [Math.floor(n / T), n % T];
          const xn = tf.slice(flat, [n, 0], [1, D]);
          let q = tf.matMul(tf.matMul(xn, tf.squeeze(tf.slice(A, [e, 0, 0], [1, D, 2]), [0])), tf.squeeze(tf.slice(Bq, [e, 0, 0], [1, 2, 3]), [0])); // (1, h)
          if (residualQuery) q = tf.add(q, tf.matMul(xn, param(m, 'queryResidual')));
          const seen = tf.slice(flat, [b * T, 0], [t + 1, D]); // causal: positions 0..t of sequence b
          const w = tf.softmax(tf.mul(tf.matMul(q, tf.matMul(seen, K), false, true), 1 / Math.sqrt(3))); // (1, t+1)
          const mixed = tf.matMul(w, seen); // (1, d)
          const out = m.experts.apply(tf.reshape(mixed, [1, 1, D]) as tf.Tensor3D, tf.tensor1d([e], 'int32'));
          rows[n] = tf.add(rows[n]!, tf.mul(tf.reshape(out, [D]), gates[p]!));
        }
        return tf.reshape(tf.stack(rows), [B, T, D]);
      });
      expect(await maxDiff(got, want)).toBeLessThan(TOL);
      tf.dispose([x, flat, got, want]);
      m.dispose();
    }
  });

  for (const mode of ['dropless', 'capacity position', 'capacity probability'] as const) {
    it(`sparse dispatch = dense reference, outputs and every gradient, with a shared expert (${mode}, 1e-5)`, async () => {
      const rng = new Rng(5);
      const x = tf.tensor3d(rng.normalArray(B * T * D), [B, T, D]);
      const probe = tf.tensor3d(rng.normalArray(B * T * D), [B, T, D]);
      const extra: Partial<PreMixingAttentionConfig> =
        mode === 'dropless' ? {} : { capacityFactor: 0.75, dropPolicy: mode === 'capacity position' ? 'position' : 'probability' };
      const run = (dispatch: 'sparse' | 'dense') => {
        const m = new PreMixingAttention({ ...cfg, ...extra, sharedExperts: 1, dispatch }, new Rng(9));
        const vars = m.trainableParameters();
        let y!: tf.Tensor;
        const { grads, value } = tf.variableGrads(() => {
          y = tf.keep(m.forward(x, new ForwardContext({ training: true, seed: 3 })));
          return tf.sum(tf.mul(y, probe)) as tf.Scalar;
        }, vars);
        value.dispose();
        return { m, y, grads: vars.map((v) => grads[v.name]!) };
      };
      const s = run('sparse');
      const d = run('dense');
      expect(await maxDiff(s.y, d.y)).toBeLessThan(TOL);
      for (let i = 0; i < s.grads.length; i++) {
        expect(await maxDiff(s.grads[i]!, d.grads[i]!), s.m.namedParameters()[i]?.[0]).toBeLessThan(TOL);
        const norm = tf.tidy(() => tf.sum(tf.abs(s.grads[i]!)));
        expect((await norm.data())[0]).toBeGreaterThan(0);
        norm.dispose();
      }
      tf.dispose([x, probe, s.y, d.y, ...s.grads, ...d.grads]);
      s.m.dispose();
      d.m.dispose();
    });
  }

  it('is causal, and padded positions change no other position (exact)', async () => {
    const m = new PreMixingAttention({ ...cfg, sharedExperts: 1 }, new Rng(3)).eval();
    const base = new Rng(6).normalArray(B * T * D);
    const changed = Float32Array.from(base);
    for (let i = 0; i < D; i++) changed[(T - 1) * D + i] = 5 + i; // batch 0, last position
    const mask = tf.tensor2d([[1, 1, 0, 1, 1], [1, 1, 1, 1, 1]], [B, T], 'int32');
    const atPadded = Float32Array.from(base);
    for (let i = 0; i < D; i++) atPadded[2 * D + i] = -3 + i; // batch 0, padded position 2
    const run = async (v: Float32Array, attentionMask: tf.Tensor | null) => {
      const x = tf.tensor3d(v, [B, T, D]);
      const y = m.forward({ x, attentionMask }, new ForwardContext());
      const out = await y.data();
      tf.dispose([x, y]);
      return out;
    };
    const [a, b] = [await run(base, null), await run(changed, null)];
    expect(Array.from(a.slice(0, (T - 1) * D))).toEqual(Array.from(b.slice(0, (T - 1) * D)));
    expect(Array.from(a.slice((T - 1) * D, T * D))).not.toEqual(Array.from(b.slice((T - 1) * D, T * D)));
    const [c, e] = [await run(base, mask), await run(atPadded, mask)];
    const others = (o: Float32Array) => Array.from(o).filter((_, i) => Math.floor(i / D) !== 2);
    expect(others(c)).toEqual(others(e));
    mask.dispose();
    m.dispose();
  });
});

describe('UMoEBlock', () => {
  it('stores one set of experts for attention and FFN (ledger: stored once, used twice); unshared stores two', () => {
    const shared = new UMoEBlock({ dim: D, numExperts: 4, hidden: 6, attention: { topK: 2, headDim: 3 }, ffn: { topK: 1 } }, new Rng(1));
    const unshared = new UMoEBlock({ dim: D, numExperts: 4, hidden: 6, attention: { topK: 2, headDim: 3 }, ffn: { topK: 1 }, shareExperts: false }, new Rng(1));
    expect(shared.ffn.experts).toBe(shared.attn.experts);
    const expertsSize = shared.attn.experts.parameters().reduce((s, v) => s + v.size, 0);
    const [ls, lu] = [parameterLedger(shared).totals, parameterLedger(unshared).totals];
    expect(lu.stored - ls.stored).toBe(expertsSize);
    expect(ls.effective).toBe(lu.effective);
    expect(ls.effective - ls.stored).toBe(expertsSize);
    // Active: the shared experts count (k_attn + k_ffn)/E = 3/4 once; unshared, 2/4 and 1/4 of two sets.
    expect(ls.active).toBeCloseTo(lu.active, 6);
    shared.dispose();
    unshared.dispose();
  });

  it('both layers train the shared experts: their gradient is the sum of what each layer alone gives (1e-5)', async () => {
    const block = new UMoEBlock({ dim: D, numExperts: 4, hidden: 6, attention: { topK: 2, headDim: 3, router: 'mixtral' }, ffn: { topK: 2, router: 'mixtral' } }, new Rng(2));
    const x = tf.tensor3d(new Rng(7).normalArray(B * T * D), [B, T, D]);
    const w1 = block.attn.experts.parameters()[0]!;
    const grad = (f: () => tf.Tensor) => tf.tidy(() => tf.grad(() => tf.sum(f()) as tf.Scalar)(w1));
    // Each part alone, and the block (x + attn(n1 x), then h + ffn(n2 h)) with its pieces' dependencies.
    const gAttn = grad(() => block.attn.forward(block.norm1.forward(x, new ForwardContext()), new ForwardContext()));
    const h = tf.tidy(() => tf.add(x, block.attn.forward(block.norm1.forward(x, new ForwardContext()), new ForwardContext())));
    const gFfn = grad(() => block.ffn.forward(block.norm2.forward(h, new ForwardContext()), new ForwardContext()));
    const total = tf.tidy(() => tf.grad(() => tf.sum(tf.add(block.attn.forward(block.norm1.forward(x, new ForwardContext()), new ForwardContext()), block.ffn.forward(block.norm2.forward(h, new ForwardContext()), new ForwardContext()))) as tf.Scalar)(w1));
    expect(await maxDiff(total, tf.add(gAttn, gFfn))).toBeLessThan(TOL);
    for (const g of [gAttn, gFfn]) expect((await tf.sum(tf.abs(g)).data())[0]).toBeGreaterThan(0);
    tf.dispose([x, h, gAttn, gFfn, total]);
    block.dispose();
  });

  it('trains as TinyTransformer blocks: the loss falls by > 20% in 40 Adam steps, no tensor leaks', async () => {
    const rng = new Rng(3);
    const blocks = [0, 1].map(() => new UMoEBlock({ dim: 16, numExperts: 4, hidden: 16, attention: { topK: 2, headDim: 8, router: 'mixtral' }, ffn: { topK: 2, router: 'mixtral' } }, rng));
    const model = new TinyTransformer({ vocabSize: 6, dim: 16, maxLen: 8, numHeads: 2 }, rng, { blocks });
    const opt = tf.train.adam(0.01);
    const ids = tf.tensor2d(Array.from({ length: 16 * 8 }, (_, i) => (i * 7 + Math.floor(i / 8)) % 6), [16, 8], 'int32');
    const losses: number[] = [];
    let afterFirst = 0;
    for (let s = 0; s < 40; s++) {
      const l = opt.minimize(() => {
        const ctx = new ForwardContext({ training: true, seed: s });
        const logits = model.forward(tf.slice(ids, [0, 0], [16, 7]), ctx) as tf.Tensor3D; // (B, 7, V)
        const target = tf.oneHot(tf.reshape(tf.slice(ids, [0, 1], [16, 7]), [-1]), 6);
        return tf.add(tf.losses.softmaxCrossEntropy(target, tf.reshape(logits, [-1, 6])), ctx.totalAuxLoss()) as tf.Scalar;
      }, true, model.trainableParameters())!;
      if (s === 0 || s === 39) losses.push((await l.data())[0]!);
      l.dispose();
      if (s === 1) afterFirst = tf.memory().numTensors; // Adam's slots exist from step 1
    }
    expect(tf.memory().numTensors).toBe(afterFirst);
    expect(losses[1]!).toBeLessThan(0.8 * losses[0]!);
    tf.dispose(ids);
    opt.dispose();
    model.dispose();
  });

  it('rejects bad input by name', () => {
    expect(() => new PreMixingAttention({ ...cfg, router: 'expert-choice' })).toThrow(/router='expert-choice' is expert-choice; each pair needs its own query, so use a token-choice router \(topk, /);
    expect(() => new PreMixingAttention({ ...cfg, headDim: 0 })).toThrow(/headDim=0 must be a positive integer/);
    expect(() => new PreMixingAttention({ ...cfg, queryRank: 1.5 })).toThrow(/queryRank=1.5/);
    expect(() => new UMoEBlock({ dim: D, shareExperts: 'yes' as unknown as boolean })).toThrow(/shareExperts="yes" must be true or false/);
    const m = new PreMixingAttention(cfg, new Rng(1));
    const x2 = tf.zeros([4, D]);
    expect(() => m.forward(x2)).toThrow(/input has shape \[4,8\]; expected \(batch, time, 8\)/);
    const x = tf.zeros([B, T, D]);
    const mask = tf.ones([B, T + 1]);
    expect(() => m.forward({ x, attentionMask: mask })).toThrow(/attentionMask has shape \[2,6\]; expected \[2, 5\]/);
    tf.dispose([x2, x, mask]);
    m.dispose();
  });
});

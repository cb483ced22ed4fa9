// σ-MoE (arXiv:2310.10837, MoEUT's FFN): the 'sigma' router in the MoE layer checked against a
// dense reference written here from the weights — every expert on every token, masked by the top-k
// sigmoid gates of LayerNorm(x)·W_S (tolerance 1e-5, outputs and gradients) — against finite
// differences of the layer (central, step 1e-2, float32: 2e-2 relative), and its training parts:
// expert dropout and the entropy balancing regulariser Σ p̄·log p̄.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ForwardContext, Rng } from '@weft/core';
import { MoE, SigmaRouter, sigmaMoE } from '@weft/moe';

const D = 6;
const E = 5;
const K = 2;
const H = 4;
const make = (seed: number, extra: Record<string, unknown> = {}) =>
  sigmaMoE({ numExperts: E, topK: K, hidden: H, ...extra })(D, new Rng(seed)) as MoE;
const maxAbs = async (a: tf.Tensor, b: tf.Tensor) => Math.max(...(await tf.abs(tf.sub(a, b)).data()));

/** The dense reference from the layer's own weights: y = Σ_e m_e·σ(n·W_S)_e·(GELU(x·W1_e + b1_e)·W2_e + b2_e), m = top-k mask. */
function reference(layer: MoE, x: tf.Tensor2D): tf.Tensor2D {
  const p = new Map(layer.namedParameters());
  const router = layer.router as SigmaRouter;
  const n = router.norm!.forward(x, new ForwardContext());
  const s = tf.sigmoid(tf.matMul(n, p.get('router.gate.weight')!)); // (N, E)
  const mask = tf.sum(tf.oneHot(tf.topk(s, K).indices, E), 1); // (N, K, E) -> (N, E)
  const outs = Array.from({ length: E }, (_, e) => {
    const w1 = tf.gather(p.get('experts.w1')!, e); // (D, H)
    const b1 = tf.gather(p.get('experts.b1')!, e);
    const w2 = tf.gather(p.get('experts.w2')!, e);
    const b2 = tf.gather(p.get('experts.b2')!, e);
    const h = tf.add(tf.matMul(x, w1), b1);
    const gelu = tf.mul(tf.mul(h, 0.5), tf.add(1, tf.erf(tf.div(h, Math.SQRT2)))); // exact GELU
    return tf.add(tf.matMul(gelu, w2), b2); // (N, D)
  });
  const gated = tf.mul(tf.stack(outs, 1), tf.expandDims(tf.mul(s, mask), 2)); // (N, E, D)
  return tf.sum(gated, 1) as tf.Tensor2D;
}

describe("σ-MoE: MoE with the 'sigma' router", () => {
  it('equals the dense masked reference, outputs and gradients (1e-5)', async () => {
    const layer = make(1, { entropyWeight: 0 });
    const x = tf.tensor2d(new Rng(2).normalArray(7 * D), [7, D]);
    expect(await maxAbs(layer.call(x), reference(layer, x))).toBeLessThan(1e-5);
    const vars = layer.parameters();
    const w = tf.tensor2d(new Rng(3).normalArray(7 * D), [7, D]);
    const gS = tf.variableGrads(() => tf.sum(tf.mul(layer.call(x), w)) as tf.Scalar, vars).grads;
    const gR = tf.variableGrads(() => tf.sum(tf.mul(reference(layer, x), w)) as tf.Scalar, vars).grads;
    for (const v of vars) expect(await maxAbs(gS[v.name]!, gR[v.name]!), v.name).toBeLessThan(1e-5);
    layer.dispose();
  });

  it('gates are the sigmoid scores, not renormalised, and the dense dispatch agrees', async () => {
    const sparse = make(4, { entropyWeight: 0 });
    const dense = make(4, { entropyWeight: 0, dispatch: 'dense' });
    const x = tf.tensor2d(new Rng(5).normalArray(9 * D), [9, D]);
    expect(await maxAbs(sparse.call(x), dense.call(x))).toBeLessThan(1e-5);
    const r = (sparse.router as SigmaRouter).forward(x, new ForwardContext());
    const sums = await tf.sum(tf.reshape(r.gate, [K, 9]), 0).data();
    expect(Math.max(...sums)).toBeLessThan(2); // k sigmoid values, each < 1: no softmax to 1
    expect(sums.some((v) => Math.abs(v - 1) > 1e-3)).toBe(true);
    sparse.dispose();
    dense.dispose();
  });

  it('gradients match central finite differences (step 1e-2, 2e-2 relative + 2e-3 absolute, float32)', async () => {
    const layer = make(6, { entropyWeight: 0 });
    const x = tf.tensor2d(new Rng(7).normalArray(4 * D), [4, D]);
    const f = () => tf.sum(tf.square(layer.call(x))) as tf.Scalar;
    for (const name of ['router.gate.weight', 'experts.w1', 'experts.w2']) {
      const v = new Map(layer.namedParameters()).get(name)!;
      const g = await tf.variableGrads(f, [v]).grads[v.name]!.data();
      const base = await v.data();
      const rng = new Rng(8);
      for (let t = 0; t < 6; t++) {
        const i = rng.int(base.length);
        const at = (delta: number) => { const b = Float32Array.from(base); b[i]! += delta; v.assign(tf.tensor(b, v.shape)); return f().dataSync()[0]!; };
        const fd = (at(1e-2) - at(-1e-2)) / 2e-2;
        v.assign(tf.tensor(base, v.shape));
        expect(Math.abs(fd - g[i]!), `${name}[${i}]`).toBeLessThan(2e-2 * Math.abs(fd) + 2e-3);
      }
    }
    layer.dispose();
  });

  it('expert dropout only in training: dropped experts are never chosen with a positive gate', async () => {
    const layer = make(9, { expertDropout: 0.6, entropyWeight: 0 });
    const x = tf.tensor2d(new Rng(10).normalArray(50 * D), [50, D]);
    const router = layer.router as SigmaRouter;
    const ev = router.forward(x, new ForwardContext({ training: false, seed: 1 }));
    const tr = router.forward(x, new ForwardContext({ training: true, seed: 1 }));
    const zeroEv = (await ev.gate.data()).filter((g) => g === 0).length;
    const zeroTr = (await tr.gate.data()).filter((g) => g === 0).length;
    expect(zeroEv).toBe(0);
    // With 5 experts and p = 0.6, fewer than 2 survive for about a third of tokens: those get gate 0.
    expect(zeroTr).toBeGreaterThan(5);
    expect(await maxAbs(layer.call(x), layer.call(x))).toBe(0); // eval is deterministic
    layer.dispose();
  });

  it('adds the entropy balancing regulariser Σ p̄·log p̄ with its weight in training', async () => {
    const layer = make(11, { entropyWeight: 0.05 });
    const x = tf.tensor2d(new Rng(12).normalArray(8 * D), [8, D]);
    const ctx = new ForwardContext({ training: true });
    const r = (layer.router as SigmaRouter).forward(x, ctx);
    const pbar = await tf.mean(r.probs, 0).data();
    const want = Array.from(pbar).reduce((a, p) => a + p * Math.log(p), 0);
    expect(ctx.auxLosses).toHaveLength(1);
    expect(ctx.auxLosses[0]!.name).toMatch(/\.entropy$/);
    expect(ctx.auxLosses[0]!.weight).toBe(0.05);
    expect(Math.abs((await ctx.auxLosses[0]!.value.data())[0]! - want)).toBeLessThan(1e-6);
    expect(want).toBeGreaterThanOrEqual(-Math.log(E) - 1e-6); // −entropy ≥ −log E, minimal when balanced
    const ev = new ForwardContext({ training: false });
    (layer.router as SigmaRouter).forward(x, ev);
    expect(ev.auxLosses).toHaveLength(0);
    layer.dispose();
  });

  it('refuses bad options with the nearest name', () => {
    expect(() => sigmaMoE({ expertDropot: 0.1 } as never)).toThrow(/expertDropout/);
    expect(() => make(1, { expertDropout: 1 })).toThrow(/expertDropout/);
  });
});

// Arrow routing: prototypes are the experts' top input-space singular directions, routing is a
// top-k softmax over |⟨x, prototype⟩| with temperature, the output mixes the selected experts'
// LoRA outputs (checked against a direct computation); general-knowledge subtraction (GenKnowSub,
// PEFT's use_gks) checked against its formula written out from the factors; and the experiment — a
// library of LoRAs trained on related tasks, routed zero-shot, beats the base model on a held-out
// related task, with and without subtracting a general LoRA (over seeds, WEFT_LONG_EXPERIMENTS=1).
// Measured (seeds 5-7): base 0.342 ± 0.025, Arrow 0.663 ± 0.069, Arrow + GKS 0.624 ± 0.013 — Arrow's
// claim (routing a library zero-shot beats the base) holds; GenKnowSub's gain does not at this scale.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { MLPClassifier, Rng, accuracy, concatDatasets, makeOptimizer, rotation, softmaxCrossEntropy, moons, toTensors, train, type Dataset, type Module } from '@weft/core';
import { AdaptedLayer, ArrowLayer, LoraLayer, addArrowRouter, injectAdapter, setActiveAdapters, svd } from '../src/index.js';
import { Tiny, maxDiff } from './adapters-helpers.js';

/** Seeded experiments on a paper's claim run with WEFT_LONG_EXPERIMENTS=1 (minutes each; the suite has a 25-minute budget). */
const LONG_EXPERIMENTS = process.env.WEFT_LONG_EXPERIMENTS === '1';

describe('Arrow router', () => {
  it('routes each token to its top-k experts by |⟨x, top singular direction⟩| and mixes their LoRA outputs', async () => {
    const model = new Tiny(new Rng(1));
    for (const [i, e] of ['e0', 'e1', 'e2'].entries()) injectAdapter(model, e, { method: 'lora', targets: ['fc1'], r: 2, alpha: 2, initWeights: false }, { rng: new Rng(10 + i) });
    const x = tf.tensor2d(new Rng(2).normalArray(4 * 8), [4, 8]);
    await addArrowRouter(model, 'arrow', ['e0', 'e1', 'e2'], { topK: 2, temperature: 0.5 });
    const layer = model.fc1 as unknown as AdaptedLayer;
    const arrow = layer.adapter('arrow') as ArrowLayer;
    const experts = ['e0', 'e1', 'e2'].map((e) => layer.adapter(e) as LoraLayer);
    // Prototypes: unit vectors, the top left singular vector of each ΔW (up to sign).
    const protos = await arrow.prototypes.data();
    for (let i = 0; i < 3; i++) {
      const { u, k } = svd(await experts[i]!.deltaWeight().data(), 8, 16);
      let dot = 0;
      for (let r = 0; r < 8; r++) dot += u[r * k]! * protos[r * 3 + i]!;
      expect(Math.abs(Math.abs(dot) - 1)).toBeLessThan(1e-5);
    }
    // Routing by hand.
    const xv = await x.data();
    const w = await arrow.routing(x).data();
    for (let n = 0; n < 4; n++) {
      const s = [0, 1, 2].map((i) => Math.abs([...Array(8).keys()].reduce((a, r) => a + xv[n * 8 + r]! * protos[r * 3 + i]!, 0)));
      const order = [0, 1, 2].sort((a, b) => s[b]! - s[a]!);
      const z = Math.exp(s[order[0]!]! / 0.5) + Math.exp(s[order[1]!]! / 0.5);
      expect(w[n * 3 + order[0]!]!).toBeCloseTo(Math.exp(s[order[0]!]! / 0.5) / z, 5);
      expect(w[n * 3 + order[1]!]!).toBeCloseTo(Math.exp(s[order[1]!]! / 0.5) / z, 5);
      expect(w[n * 3 + order[2]!]!).toBe(0);
    }
    // Output of the layer = base + Σ_e w_e · x A_e B_e s_e.
    const wt = arrow.routing(x);
    const want = tf.tidy(() => experts.reduce<tf.Tensor>((acc, e, i) => tf.add(acc, tf.mul(tf.slice(wt, [0, i], [-1, 1]), tf.mul(tf.matMul(tf.matMul(x, e.loraA), e.loraB), e.scaling))), tf.add(tf.matMul(x, layer.base.weight), layer.base.bias!)));
    expect(await maxDiff(layer.forward(x), want)).toBeLessThan(1e-5);
    expect(() => layer.merge()).toThrow(/cannot be merged/);
    await expect(addArrowRouter(model, 'bad', ['e0', 'nope'])).rejects.toThrow(/no adapter "nope"/);
    await expect(addArrowRouter(model, 'bad', ['e0'], { temperature: 0 })).rejects.toThrow(/temperature=0 must be a positive number/);
    model.dispose();
  });

  it("general-knowledge subtraction: experts' A and B less the general LoRAs' mean A and mean B (PEFT's gen_know_sub), in prototypes and outputs; the experts' own weights untouched", async () => {
    const model = new Tiny(new Rng(3));
    const lora = { method: 'lora', targets: ['fc1'], r: 2, alpha: 4, initWeights: false } as const;
    for (const [i, e] of ['e0', 'e1', 'e2', 'g0', 'g1'].entries()) injectAdapter(model, e, lora, { rng: new Rng(20 + i) });
    const layer = model.fc1 as unknown as AdaptedLayer;
    const get = async (n: string) => {
      const l = layer.adapter(n) as LoraLayer;
      return { a: Array.from(await l.loraA.data()), b: Array.from(await l.loraB.data()) }; // A [8, 2], B [2, 16] row-major
    };
    const [e0, e1, e2, g0, g1] = await Promise.all(['e0', 'e1', 'e2', 'g0', 'g1'].map(get));
    await addArrowRouter(model, 'arrow', ['e0', 'e1', 'e2'], { topK: 2, temperature: 0.7, general: ['g0', 'g1'] });
    const arrow = layer.adapter('arrow') as ArrowLayer;
    // Purified factors by hand: A_e − (A_g0 + A_g1)/2, B_e − (B_g0 + B_g1)/2.
    const pure = [e0!, e1!, e2!].map((e) => ({ a: e.a.map((v, j) => v - (g0!.a[j]! + g1!.a[j]!) / 2), b: e.b.map((v, j) => v - (g0!.b[j]! + g1!.b[j]!) / 2) }));
    const dw = pure.map(({ a, b }) => Float32Array.from({ length: 8 * 16 }, (_, q) => [0, 1].reduce((s, k) => s + a[Math.floor(q / 16) * 2 + k]! * b[k * 16 + (q % 16)]!, 0)));
    const protos = await arrow.prototypes.data();
    for (let i = 0; i < 3; i++) {
      const { u, k } = svd(dw[i]!, 8, 16);
      const dot = [...Array(8).keys()].reduce((s, r) => s + u[r * k]! * protos[r * 3 + i]!, 0);
      expect(Math.abs(Math.abs(dot) - 1)).toBeLessThan(1e-5);
    }
    // Output = base + Σ_e w_e · s · x A′_e B′_e, with w from the purified prototypes.
    const x = tf.tensor2d(new Rng(4).normalArray(5 * 8), [5, 8]);
    const [xv, w, wb, bb] = [await x.data(), await arrow.routing(x).data(), await layer.base.weight.data(), await layer.base.bias!.data()];
    const y = await layer.forward(x).data();
    let err = 0;
    for (let n = 0; n < 5; n++) for (let o = 0; o < 16; o++) {
      let want = bb[o]!;
      for (let r = 0; r < 8; r++) want += xv[n * 8 + r]! * wb[r * 16 + o]!;
      pure.forEach(({ a, b }, i) => {
        let d = 0;
        for (let k = 0; k < 2; k++) d += [...Array(8).keys()].reduce((s, r) => s + xv[n * 8 + r]! * a[r * 2 + k]!, 0) * b[k * 16 + o]!;
        want += w[n * 3 + i]! * 2 * d; // s = alpha / r = 2
      });
      err = Math.max(err, Math.abs(y[n * 16 + o]! - want));
    }
    expect(err).toBeLessThan(1e-5);
    // Plain Arrow over the same experts routes differently: the subtraction changes the prototypes.
    await addArrowRouter(model, 'plain', ['e0', 'e1', 'e2'], { topK: 2, temperature: 0.7 });
    expect(await maxDiff((layer.adapter('plain') as ArrowLayer).prototypes, arrow.prototypes)).toBeGreaterThan(1e-2);
    expect(await get('e0')).toEqual(e0); // the experts' variables are read, not overwritten
    await expect(addArrowRouter(model, 'bad', ['e0', 'g0'], { general: ['g0'] })).rejects.toThrow(/\["g0"\] are both experts and general adapters/);
    injectAdapter(model, 'g2', { ...lora, targets: ['fc2'] }, { rng: new Rng(30) });
    await expect(addArrowRouter(model, 'bad', ['e0'], { general: ['g2'] })).rejects.toThrow(/general adapter "g2" is not on "fc1"/);
    injectAdapter(model, 'g3', { ...lora, r: 3 }, { rng: new Rng(31) });
    await expect(addArrowRouter(model, 'bad', ['e0'], { general: ['g3'] })).rejects.toThrow(/general adapter "g3" at "fc1" has r=3, expert "e0" r=2/);
    tf.dispose(x);
    model.dispose();
  });
});

async function fit(model: Module, data: { x: tf.Tensor; y: tf.Tensor }, steps: number, lr: number, seed: number): Promise<void> {
  const rng = new Rng(seed);
  const n = data.x.shape[0]!;
  await train({
    model, steps, reportEvery: steps, optimizer: makeOptimizer({ name: 'adam', learningRate: lr }),
    batch: () => tf.tidy(() => {
      const idx = tf.tensor1d(Int32Array.from({ length: 128 }, () => rng.int(n)), 'int32');
      return { x: tf.gather(data.x, idx), y: tf.gather(data.y, idx) };
    }),
    loss: (logits, b) => softmaxCrossEntropy(logits, b.y),
  });
}

async function acc(model: Module, d: { x: tf.Tensor; y: tf.Tensor }): Promise<number> {
  const a = tf.tidy(() => accuracy(model.call(d.x), d.y));
  const v = (await a.data())[0]!;
  a.dispose();
  return v;
}

/** Two moons at `center`, rotated by `theta` (radians): one domain of the experiment. */
function domain(n: number, center: [number, number], theta: number, seed: number): Dataset {
  const ds = rotation(theta)(moons({ n, noise: 0.1 }, seed), 0);
  const x = Float32Array.from(ds.x as Float32Array, (v, i) => v + center[i % 2]!);
  return { ...ds, x };
}

describe('experiment: Arrow routing over a LoRA library', () => {
  it('a library of LoRAs for three related domains, routed zero-shot per token, beats the base on held-out data mixing the domains', async () => {
    const SEED = 5;
    // Three input regions 60° apart (|⟨x, u⟩| separates them), each a two-moons task rotated by its own angle.
    const centers: Array<[number, number]> = [0, 60, 120].map((a) => [4 * Math.cos((a * Math.PI) / 180), 4 * Math.sin((a * Math.PI) / 180)]);
    const thetas = [Math.PI / 4, Math.PI / 2, (3 * Math.PI) / 4];
    const model = new MLPClassifier({ inFeatures: 2, hidden: [64, 64], numClasses: 2 }, new Rng(SEED));
    await fit(model, toTensors(concatDatasets(centers.map((c, k) => domain(400, c, 0, SEED + k)))), 300, 0.01, 1);
    for (let k = 0; k < 3; k++) {
      injectAdapter(model, `d${k}`, { method: 'lora', targets: 'layers\\.[0-9]+', r: 2, alpha: 4 }, { rng: new Rng(k) });
      await fit(model, toTensors(domain(400, centers[k]!, thetas[k]!, SEED + 10 + k)), 150, 0.01, 10 + k);
    }
    const heldOut = toTensors(concatDatasets(centers.map((c, k) => domain(200, c, thetas[k]!, SEED + 100 + k))));
    const perExpert: Record<string, number> = {};
    for (let k = 0; k < 3; k++) {
      setActiveAdapters(model, `d${k}`);
      perExpert[`d${k}`] = await acc(model, heldOut);
    }
    setActiveAdapters(model, []);
    const baseAcc = await acc(model, heldOut);
    const routed: Record<string, number> = {};
    for (const [topK, temperature] of [[1, 1], [2, 0.5]] as const) {
      await addArrowRouter(model, `arrow${topK}`, ['d0', 'd1', 'd2'], { topK, temperature });
      routed[`top${topK},T=${temperature}`] = await acc(model, heldOut);
    }
    console.log(`[experiment arrow] seed=${SEED} held-out mix of 3 domains: base=${baseAcc.toFixed(3)} ${Object.entries(routed).map(([k, v]) => `arrow(${k})=${v.toFixed(3)}`).join(' ')} single experts ${Object.entries(perExpert).map(([k, v]) => `${k}=${v.toFixed(3)}`).join(' ')}`);
    expect(routed['top1,T=1']!).toBeGreaterThan(baseAcc + 0.05);
    model.dispose();
  }, 60_000);
});

describe('experiment: general-knowledge subtraction before Arrow routing (GenKnowSub, arXiv:2505.10939)', () => {
  // The task LoRAs and one general LoRA start from the same initial A (one seed), as PEFT's factor-wise
  // subtraction assumes; the general LoRA is tuned on general data — the base model's own training
  // mix (the knowledge every task LoRA also relearns, as Wikipedia text is for an LLM's task LoRAs).
  // Claim: the purified library routes zero-shot at least as well as the plain one on held-out tasks.
  it.runIf(LONG_EXPERIMENTS)('3 seeds: held-out accuracy of Arrow with and without subtracting a general LoRA', async () => {
    const rows: Array<{ seed: number; base: number; arrow: number; gks: number }> = [];
    const centers: Array<[number, number]> = [0, 60, 120].map((a) => [4 * Math.cos((a * Math.PI) / 180), 4 * Math.sin((a * Math.PI) / 180)]);
    const thetas = [Math.PI / 4, Math.PI / 2, (3 * Math.PI) / 4];
    for (const seed of [5, 6, 7]) {
      const model = new MLPClassifier({ inFeatures: 2, hidden: [64, 64], numClasses: 2 }, new Rng(seed));
      const general = toTensors(concatDatasets(centers.map((c, k) => domain(400, c, 0, seed + k))));
      await fit(model, general, 300, 0.01, seed);
      const lora = { method: 'lora', targets: 'layers\\.[0-9]+', r: 2, alpha: 4 } as const;
      for (let k = 0; k < 3; k++) {
        injectAdapter(model, `d${k}`, lora, { rng: new Rng(seed * 100) });
        await fit(model, toTensors(domain(400, centers[k]!, thetas[k]!, seed + 10 + k)), 150, 0.01, seed * 10 + k);
      }
      injectAdapter(model, 'g', lora, { rng: new Rng(seed * 100) });
      await fit(model, general, 150, 0.01, seed * 10 + 9);
      const heldOut = toTensors(concatDatasets(centers.map((c, k) => domain(200, c, thetas[k]!, seed + 100 + k))));
      setActiveAdapters(model, []);
      const base = await acc(model, heldOut);
      await addArrowRouter(model, 'arrow', ['d0', 'd1', 'd2'], { topK: 1 });
      const arrow = await acc(model, heldOut);
      await addArrowRouter(model, 'gks', ['d0', 'd1', 'd2'], { topK: 1, general: ['g'] });
      const gks = await acc(model, heldOut);
      rows.push({ seed, base, arrow, gks });
      tf.dispose([general.x, general.y, heldOut.x, heldOut.y]);
      model.dispose();
    }
    const stat = (k: 'base' | 'arrow' | 'gks') => {
      const v = rows.map((r) => r[k]);
      const m = v.reduce((a, b) => a + b, 0) / v.length;
      return { m, sd: Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1)) };
    };
    const fmt = (k: 'base' | 'arrow' | 'gks') => `${stat(k).m.toFixed(3)}±${stat(k).sd.toFixed(3)}`;
    console.log(`[experiment arrow-gks] held-out, 3 seeds: base=${fmt('base')} arrow=${fmt('arrow')} arrow+GKS=${fmt('gks')}; per seed ${rows.map((r) => `${r.seed}: ${r.base.toFixed(3)}/${r.arrow.toFixed(3)}/${r.gks.toFixed(3)}`).join(', ')}`);
    // Both route above the base model on every seed (Arrow's claim), whatever GKS does.
    for (const r of rows) expect(Math.min(r.arrow, r.gks)).toBeGreaterThan(r.base);
  }, 600_000);
});

// Arrow routing: prototypes are the experts' top input-space singular directions, routing is a
// top-k softmax over |⟨x, prototype⟩| with temperature, the output mixes the selected experts'
// LoRA outputs (checked against a direct computation); and the experiment — a library of LoRAs
// trained on related tasks, routed zero-shot, beats the base model on a held-out related task.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { MLPClassifier, Rng, accuracy, concatDatasets, makeOptimizer, rotation, softmaxCrossEntropy, moons, toTensors, train, type Dataset, type Module } from '@weft/core';
import { AdaptedLayer, ArrowLayer, LoraLayer, addArrowRouter, injectAdapter, setActiveAdapters, svd } from '../src/index.js';
import { Tiny, maxDiff } from './adapters-helpers.js';

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

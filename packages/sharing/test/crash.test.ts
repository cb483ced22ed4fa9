// CRaSh (arXiv:2310.15477): linear CKA against its definition through the centring matrix (HSIC),
// its invariances; clusters are contiguous and cut at the least similar consecutive layers; the
// emulator holds each group's representative; an adapter tuned on the emulator plugs into the full
// model. Claim: the plugged-in adapter beats the untuned full model. At this scale it does NOT hold
// (3 seeds, 2 clusters of the 5 middle layers): the emulator tunes well (0.969) but its adapter in
// the full model reaches 0.790, below the untuned full model's 0.841 — a toy MLP's consecutive layers
// are far less alike than an LLM's blocks (CKA cut after layer 1 every seed), so the emulator is not a
// stand-in for the full model. The test asserts what holds and prints the figures.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ForwardContext, MLPClassifier, Rng, accuracy, makeOptimizer, rotatedSpirals, softmaxCrossEntropy, split, splitByTask, toTensors, train } from '@weft/core';
import { crashClusters, crashEmulator, injectAdapter, linearCka, plugAdapter } from '../src/index.js';

/** HSIC-based linear CKA with the centring matrix H = I − 11ᵀ/n: tr(K H L H) / √(tr(K H K H) tr(L H L H)), K = XXᵀ. */
function ckaReference(x: number[][], y: number[][]): number {
  const n = x.length;
  const gram = (a: number[][]) => a.map((r) => a.map((s) => r.reduce((t, v, k) => t + v * s[k]!, 0)));
  const centre = (k: number[][]) => {
    const row = k.map((r) => r.reduce((s, v) => s + v, 0) / n), all = row.reduce((s, v) => s + v, 0) / n;
    return k.map((r, i) => r.map((v, j) => v - row[i]! - row[j]! + all));
  };
  const [K, L] = [centre(gram(x)), centre(gram(y))];
  const dot = (a: number[][], b: number[][]) => a.reduce((s, r, i) => s + r.reduce((t, v, j) => t + v * b[i]![j]!, 0), 0);
  return dot(K, L) / Math.sqrt(dot(K, K) * dot(L, L));
}

describe('CRaSh', () => {
  it('linear CKA equals its HSIC definition, is 1 under rotation and scale, and small for unrelated data', () => {
    const rng = new Rng(1);
    const n = 12;
    const x = Array.from({ length: n }, () => Array.from(rng.normalArray(4)));
    const y = Array.from({ length: n }, () => Array.from(rng.normalArray(3)));
    const flat = (m: number[][]) => Float32Array.from(m.flat());
    expect(linearCka(flat(x), flat(y), n)).toBeCloseTo(ckaReference(x, y), 5);
    const c = Math.cos(0.7), s = Math.sin(0.7);
    const rotated = x.map((r) => [3 * (c * r[0]! - s * r[1]!), 3 * (s * r[0]! + c * r[1]!), 3 * r[2]!, 3 * r[3]!]);
    expect(linearCka(flat(x), flat(rotated), n)).toBeCloseTo(1, 5);
    const big = 400;
    const u = Float32Array.from(new Rng(2).normalArray(big * 3)), v = Float32Array.from(new Rng(3).normalArray(big * 3));
    expect(linearCka(u, v, big)).toBeLessThan(0.05);
  });

  it('clusters are contiguous, cut at the least similar pairs; the emulator holds each group\'s first layer; adapters plug in by path', async () => {
    const m = new MLPClassifier({ inFeatures: 2, hidden: [16, 16, 16, 16, 16], numClasses: 2 }, new Rng(4));
    const x = tf.tensor2d(new Rng(5).normalArray(64 * 2), [64, 2]);
    const tensors = tf.memory().numTensors;
    const c = await crashClusters(m, x, 2);
    expect(tf.memory().numTensors).toBe(tensors); // the representations are read back, nothing kept
    expect(c.groups.flat()).toEqual([1, 2, 3, 4]);
    expect(c.groups).toHaveLength(2);
    const cut = c.groups[0]!.length - 1; // the pair (cut, cut + 1) of middle layers is split
    expect(c.similarity[cut]).toBe(Math.min(...c.similarity));
    const emu = await crashEmulator(m, c);
    for (const g of c.groups) for (const i of g) expect(Array.from(await emu.layers.at(i).weight.data())).toEqual(Array.from(await m.layers.at(g[0]!).weight.data()));
    expect(Array.from(await emu.layers.at(0).weight.data())).toEqual(Array.from(await m.layers.at(0).weight.data()));
    const cfg = { method: 'lora', targets: 'layers\\.[0-9]+', r: 2, initWeights: false } as const;
    injectAdapter(emu, 'a', cfg, { rng: new Rng(6) });
    injectAdapter(m, 'a', { ...cfg, initWeights: true }, { rng: new Rng(7) });
    expect(plugAdapter(emu, m, 'a')).toBe(2 * 6);
    expect(() => plugAdapter(emu, m, 'zz')).toThrow(/the emulator has no adapter "zz"/);
    await expect(crashClusters(m, x, 9)).rejects.toThrow(/clusters=9 must be an integer in \[1, 4\]/);
    m.dispose();
    emu.dispose();
  });

  // A seeded experiment on the paper's claim: runs with WEFT_LONG_EXPERIMENTS=1 (npm test's 25-minute budget).
  it.runIf(process.env.WEFT_LONG_EXPERIMENTS === '1')('the emulator tunes to the task; the plugged-in adapter vs the untuned full model is printed (the claim does not hold at this scale)', async () => {
    const res: Record<string, number[]> = { 'full model, untuned': [], 'emulator, tuned': [], 'CRaSh: emulator adapter in the full model': [], 'LoRA tuned on the full model': [] };
    const groups: string[] = [];
    for (const seed of [1, 2, 3]) {
      const [A, B] = splitByTask(rotatedSpirals({ n: 800, tasks: 2, maxAngle: Math.PI / 2, noise: 0.05 }, seed)); // B = 45°
      const pre = toTensors(A!);
      const [bTrain, bTest] = split(B!, [0.5, 0.5], seed).map((d) => toTensors(d));
      const config = { inFeatures: 2, hidden: [32, 32, 32, 32, 32, 32], numClasses: 2 };
      const full = new MLPClassifier(config, new Rng(seed));
      const fit = (m: MLPClassifier, d: { x: tf.Tensor; y: tf.Tensor }, steps: number) =>
        train({ model: m, steps, reportEvery: steps, optimizer: makeOptimizer({ name: 'adam', learningRate: 0.005 }), batch: () => d, loss: (z, b) => softmaxCrossEntropy(z, b.y) });
      const acc = async (m: MLPClassifier) => {
        const t = tf.tidy(() => accuracy(m.forward(bTest!.x, new ForwardContext()), bTest!.y));
        const v = (await t.data())[0]!;
        t.dispose();
        return v;
      };
      await fit(full, pre, 500);
      res['full model, untuned']!.push(await acc(full));
      const clusters = await crashClusters(full, pre.x as tf.Tensor2D, 2);
      groups.push(clusters.groups.map((g) => g.join('')).join('|'));
      const emu = await crashEmulator(full, clusters);
      const lora = { method: 'lora', targets: 'layers\\.[0-9]+', r: 4, alpha: 8, rankPattern: { 'layers\\.(0|6)': 2 } } as const;
      injectAdapter(emu, 'b', lora, { rng: new Rng(seed + 1) });
      await fit(emu, bTrain!, 200);
      res['emulator, tuned']!.push(await acc(emu));
      const weights = await Promise.all(full.parameters().map((v) => v.data()));
      injectAdapter(full, 'b', lora, { rng: new Rng(seed + 1) });
      plugAdapter(emu, full, 'b');
      res['CRaSh: emulator adapter in the full model']!.push(await acc(full));
      const ref = new MLPClassifier(config, new Rng(seed));
      ref.parameters().forEach((v, i) => v.assign(tf.tensor(weights[i]!, v.shape)));
      injectAdapter(ref, 'b', lora, { rng: new Rng(seed + 1) });
      await fit(ref, bTrain!, 200);
      res['LoRA tuned on the full model']!.push(await acc(ref));
      [full, emu, ref].forEach((m) => m.dispose());
      tf.dispose([pre, bTrain, bTest] as unknown as tf.TensorContainer);
    }
    const mean = (v: number[]) => v.reduce((p, q) => p + q, 0) / v.length;
    const sd = (v: number[]) => Math.sqrt(mean(v.map((x) => (x - mean(v)) ** 2)));
    console.log(`[experiment crash] accuracy on the 45° task (seeds 1-3; clusters ${groups.join(', ')}): ${Object.entries(res).map(([k, v]) => `${k} ${mean(v).toFixed(3)} ± ${sd(v).toFixed(3)} (${v.map((x) => x.toFixed(3)).join(' ')})`).join('; ')}`);
    expect(mean(res['emulator, tuned']!)).toBeGreaterThan(mean(res['full model, untuned']!));
    expect(res['CRaSh: emulator adapter in the full model']!.every(Number.isFinite)).toBe(true);
  }, 300_000);
});

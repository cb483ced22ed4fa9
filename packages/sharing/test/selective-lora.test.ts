// Fine Tuning without Catastrophic Forgetting via Selective Low Rank Adaptation (arXiv:2501.15377):
// TAPS' indicator gate over LoRA blocks (method "taps" with r set; the gate, the straight-through
// estimator and the sparsity penalty are tested in taps.test.ts). Claim: after tuning on task B,
// less forgetting of task A than plain LoRA. Toy: an MLP pretrained on spirals (A), tuned on the
// spirals rotated by 45° (B) with LoRA r=2 or Selective LoRA r=2 (λ = 0.05) on every layer; 3 seeds.
// At this scale the claim does NOT hold: Selective LoRA switches one of the three blocks off and
// reaches B as well as LoRA, but keeps less of A (0.893 ± 0.022 vs LoRA's 0.912 ± 0.015). The test
// asserts what does hold (the gate sparsifies, B is learnt as well) and prints the forgetting figures.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ForwardContext, MLPClassifier, Rng, accuracy, makeOptimizer, rotatedSpirals, softmaxCrossEntropy, split, splitByTask, toTensors, train } from '@weft/core';
import { AdaptedLayer, TapsLayer, adaptedLayers, injectAdapter } from '../src/index.js';

describe('Selective LoRA', () => {
  it.runIf(process.env.WEFT_LONG_EXPERIMENTS === '1')('tuned on B it switches blocks off and learns B as well as LoRA; forgetting of A is printed (the paper\'s claim does not hold at this scale)', async () => {
    const rows: Record<string, { a: number[]; b: number[] }> = { 'base': { a: [], b: [] }, 'LoRA r=2': { a: [], b: [] }, 'Selective LoRA r=2': { a: [], b: [] } };
    const active: number[] = [];
    for (const seed of [1, 2, 3]) {
      const [A, B] = splitByTask(rotatedSpirals({ n: 800, tasks: 2, maxAngle: Math.PI / 2, noise: 0.05 }, seed)); // task 1 = 45°
      const [aTrain, aTest] = split(A!, [0.5, 0.5], seed).map((d) => toTensors(d));
      const [bTrain, bTest] = split(B!, [0.5, 0.5], seed + 1).map((d) => toTensors(d));
      const make = () => new MLPClassifier({ inFeatures: 2, hidden: [32, 32], numClasses: 2 }, new Rng(seed));
      const fit = (m: MLPClassifier, d: { x: tf.Tensor; y: tf.Tensor }, steps: number) =>
        train({ model: m, steps, reportEvery: steps, optimizer: makeOptimizer({ name: 'adam', learningRate: 0.01 }), batch: () => d, loss: (z, b) => softmaxCrossEntropy(z, b.y) });
      const acc = async (m: MLPClassifier, d: { x: tf.Tensor; y: tf.Tensor }) => {
        const t = tf.tidy(() => accuracy(m.forward(d.x, new ForwardContext()), d.y));
        const v = (await t.data())[0]!;
        t.dispose();
        return v;
      };
      const base = make();
      await fit(base, aTrain!, 400);
      const weights = await Promise.all(base.parameters().map((v) => v.data()));
      rows['base']!.a.push(await acc(base, aTest!));
      rows['base']!.b.push(await acc(base, bTest!));
      for (const [label, config] of [
        ['LoRA r=2', { method: 'lora', r: 2, alpha: 4 }],
        ['Selective LoRA r=2', { method: 'taps', r: 2, sparsity: 0.05, threshold: 0.1, initScore: 1 }],
      ] as const) {
        const m = make();
        m.parameters().forEach((v, i) => v.assign(tf.tensor(weights[i]!, v.shape)));
        injectAdapter(m, 'b', { targets: ['layers.0', 'layers.1', 'layers.2'], ...config } as never, { rng: new Rng(seed + 5) });
        await fit(m, bTrain!, 200);
        rows[label]!.a.push(await acc(m, aTest!));
        rows[label]!.b.push(await acc(m, bTest!));
        if (label.startsWith('Selective')) {
          let on = 0;
          for (const [, l] of adaptedLayers(m)) if (await ((l as AdaptedLayer).adapter('b') as TapsLayer).active()) on++;
          active.push(on);
        }
        m.dispose();
      }
      base.dispose();
      tf.dispose([aTrain, aTest, bTrain, bTest] as unknown as tf.TensorContainer);
    }
    const mean = (v: number[]) => v.reduce((p, q) => p + q, 0) / v.length;
    const sd = (v: number[]) => Math.sqrt(mean(v.map((x) => (x - mean(v)) ** 2)));
    const f = (v: number[]) => `${mean(v).toFixed(3)} ± ${sd(v).toFixed(3)} (${v.map((x) => x.toFixed(3)).join(' ')})`;
    console.log(`[experiment selective-lora] ${Object.entries(rows).map(([k, r]) => `${k}: A ${f(r.a)}, B ${f(r.b)}`).join('; ')}; Selective LoRA blocks left on (of 3): ${active.join(' ')}`);
    expect(active.every((n) => n < 3)).toBe(true);
    expect(mean(rows['Selective LoRA r=2']!.b)).toBeGreaterThan(mean(rows['LoRA r=2']!.b) - 0.02);
  }, 300_000);
});

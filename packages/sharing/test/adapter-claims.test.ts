// Seeded toy experiments on the central claims of five adapter papers whose methods had reference
// tests only (3 seeds; a pretrained MLP 2-32-32-32-2 on spirals adapted to the spirals rotated by 90°,
// adapters on its two 32→32 layers, 200 Adam steps; held-out accuracy, mean ± half-range):
// - 3-in-1 (RoAd, arXiv:2409.00119): RoAd reaches LoRA's accuracy with a small fraction of its parameters.
// - ETHER (arXiv:2405.20271): hyperplane reflections reach LoRA-level accuracy with far fewer
//   parameters and are robust to the learning rate (a reflection's distance from the identity is bounded).
// - MoKA (arXiv:2508.03527): a gated mixture of Kronecker adapters beats a single Kronecker adapter (LoKr).
// - FedPara (arXiv:2108.06098): LoHa's Hadamard product of two rank-r factors reaches rank r² with the
//   parameters of a rank-2r LoRA — the numerical rank of the learnt ΔW is measured, and accuracy.
// - Residual adapters (arXiv:1705.08045): a per-domain series adapter comes close to full fine-tuning
//   with a fraction of its parameters.
// Runs with WEFT_LONG_EXPERIMENTS=1 (~55 s); each claim is printed with its figures.
//
// Measured (seeds 1-3): full fine-tuning 97.3 ± 0.5% (2274 trained); LoRA r 4 97.0 ± 0.6% (512), r 8
// 96.8 ± 0.8% (1024). Verdicts at this scale:
// - RoAd: road_1 77.8 ± 5.6% (64), road_2 87.3 ± 1.7% (128), road_4 89.6 ± 5.2% (256) — far fewer
//   parameters, but 7 to 19 points below LoRA: the claim does NOT hold here.
// - ETHER: ETHER 79.2 ± 5.5% (64), ETHER+ 90.8 ± 3.5% (256): below LoRA (does NOT hold); learning-rate
//   robustness HOLDS: over lr 0.002 / 0.02 / 0.2 ETHER+ spans 74.4 / 90.8 / 95.2% (20.8 points), LoRA r 4
//   87.9 / 97.0 / 52.2% (44.8 points; it diverges at 0.2, a reflection cannot).
// - MoKA: 97.5 ± 0.2% (896) vs LoKr 96.6 ± 0.1% (160): HOLDS, by 0.9 points, at 5.6× the parameters.
// - FedPara: LoHa r 4 reaches ΔW rank 12, 16, 16 (≤ r² = 16) with the parameters of LoRA r 8 (rank 8):
//   HOLDS; accuracy 97.3 ± 0.1% vs 96.8 ± 0.8% (equal within the spread).
// - Residual adapters: 95.5 ± 1.4% vs full fine-tuning's 97.3 ± 0.5%: close (1.8 points), but a 1×1
//   series adapter on a 32-wide layer trains 2048 of 2274 parameters — the parameter saving does not
//   show at this width (it is o² against the layer's whole network).
// Asserted: every adapter learns the task (> 60%), the parameter counts, LoHa's rank above LoRA's
// ceiling, and ETHER+'s smaller accuracy range over learning rates; the rest is printed.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { MLPClassifier, Rng, accuracy, makeOptimizer, parameterLedger, rotatedSpirals, softmaxCrossEntropy, split, splitByTask, toTensors, train, type Dataset, type Module } from '@weft/core';
import { adaptedLayers, injectAdapter, svd, type AdapterConfigBase } from '../src/index.js';
import { mean, meanSpread } from './wave2-helpers.js';

const LONG_EXPERIMENTS = process.env.WEFT_LONG_EXPERIMENTS === '1';
const TARGETS = 'layers\\.[12]';

async function fit(model: Module, data: { x: tf.Tensor; y: tf.Tensor }, steps: number, lr: number, seed: number): Promise<void> {
  const rng = new Rng(seed);
  const n = data.x.shape[0]!;
  const opt = makeOptimizer({ name: 'adam', learningRate: lr });
  await train({
    model, optimizer: opt, steps, reportEvery: steps,
    batch: () => tf.tidy(() => {
      const idx = tf.tensor1d(Int32Array.from({ length: 128 }, () => rng.int(n)), 'int32');
      return { x: tf.gather(data.x, idx), y: tf.gather(data.y, idx) };
    }),
    loss: (logits, b) => softmaxCrossEntropy(logits, b.y),
  });
  opt.dispose();
}

/** Singular values of ΔW above 1e-3 of the largest: the numerical rank. */
function numericalRank(delta: Float32Array, m: number, n: number): number {
  const s = svd(delta, m, n).s;
  return Array.from(s).filter((v) => v > 1e-3 * s[0]!).length;
}

describe('adapter claims at toy scale (RoAd, ETHER, MoKA, FedPara/LoHa, residual adapters)', () => {
  it.runIf(LONG_EXPERIMENTS)('prints each claim with its figures over 3 seeds; asserts the adapters learn the task', async () => {
    const runs: Array<[string, Record<string, unknown> | null, number]> = [
      ['full fine-tuning', null, 0.01],
      ['LoRA r 4', { method: 'lora', r: 4, alpha: 8 }, 0.02],
      ['LoRA r 8', { method: 'lora', r: 8, alpha: 16 }, 0.02],
      ['RoAd road_1', { method: 'road', variant: 'road_1', groupSize: 8 }, 0.02],
      ['RoAd road_2', { method: 'road', variant: 'road_2', groupSize: 8 }, 0.02],
      ['RoAd road_4', { method: 'road', variant: 'road_4', groupSize: 8 }, 0.02],
      ['ETHER', { method: 'ether' }, 0.02],
      ['ETHER+', { method: 'ether', plus: true }, 0.02],
      ['LoKr', { method: 'lokr', r: 4, alpha: 4 }, 0.02],
      ['MoKA (4 experts)', { method: 'moka', experts: 4 }, 0.02],
      ['LoHa r 4', { method: 'loha', r: 4, alpha: 8 }, 0.02],
      ['residual adapter (1×1 series)', { method: 'residual', bottleneck: null }, 0.02],
      // The learning-rate sweep of ETHER's robustness claim (0.02 is above).
      ['ETHER+ lr 0.002', { method: 'ether', plus: true }, 0.002],
      ['ETHER+ lr 0.2', { method: 'ether', plus: true }, 0.2],
      ['LoRA r 4 lr 0.002', { method: 'lora', r: 4, alpha: 8 }, 0.002],
      ['LoRA r 4 lr 0.2', { method: 'lora', r: 4, alpha: 8 }, 0.2],
    ];
    const acc: Record<string, number[]> = {};
    const params: Record<string, number> = {};
    const rank: Record<string, number[]> = {};
    for (const seed of [1, 2, 3]) {
      const family = rotatedSpirals({ n: 800, tasks: 3, maxAngle: Math.PI, noise: 0.05 }, seed); // 0°, 90°, 180°
      const tasks = splitByTask(family) as Dataset[];
      const widths = { inFeatures: 2, hidden: [32, 32, 32], numClasses: 2 };
      const base = new MLPClassifier(widths, new Rng(seed));
      await fit(base, toTensors(tasks[0]!), 300, 0.01, seed);
      const weights = await Promise.all(base.parameters().map((v) => v.data()));
      const [tr, te] = split(tasks[1]!, [0.5, 0.5], seed).map(toTensors) as [ReturnType<typeof toTensors>, ReturnType<typeof toTensors>];
      for (const [label, config, lr] of runs) {
        const m = new MLPClassifier(widths, new Rng(seed));
        m.parameters().forEach((v, i) => v.assign(tf.tensor(weights[i]!, v.shape)));
        if (config) injectAdapter(m, 'a', { ...config, targets: TARGETS } as AdapterConfigBase, { rng: new Rng(seed + 10) });
        params[label] = parameterLedger(m).totals.trainable;
        await fit(m, tr, 200, lr, seed + 20);
        const a = tf.tidy(() => accuracy(m.call(te.x), te.y));
        (acc[label] ??= []).push((await a.data())[0]!);
        a.dispose();
        if (label === 'LoHa r 4' || label === 'LoRA r 8') {
          const [, layer] = adaptedLayers(m)[0]!;
          const d = layer.adapter('a').deltaWeight();
          (rank[label] ??= []).push(numericalRank((await d.data()) as Float32Array, 32, 32));
          d.dispose();
        }
        m.dispose();
      }
      tf.dispose([tr, te] as unknown as tf.TensorContainer);
      base.dispose();
    }
    const row = (k: string) => `${k}: ${meanSpread(acc[k]!)} (${params[k]} trained)`;
    const lrSpread = (ks: string[]) => Math.max(...ks.map((k) => mean(acc[k]!))) - Math.min(...ks.map((k) => mean(acc[k]!)));
    const etherSpread = lrSpread(['ETHER+ lr 0.002', 'ETHER+', 'ETHER+ lr 0.2']);
    const loraSpread = lrSpread(['LoRA r 4 lr 0.002', 'LoRA r 4', 'LoRA r 4 lr 0.2']);
    console.log([
      '[experiment adapter-claims] rotated spirals 90°, MLP 2-32-32-32-2, adapters on the two 32→32 layers, 200 steps (seeds 1-3)',
      ...runs.map(([k]) => row(k)),
      `ETHER+ accuracy range over lr 0.002/0.02/0.2: ${(100 * etherSpread).toFixed(1)} points; LoRA r 4: ${(100 * loraSpread).toFixed(1)} points`,
      `numerical rank of the learnt ΔW (layers.1): LoHa r 4 ${rank['LoHa r 4']!.join(', ')}; LoRA r 8 ${rank['LoRA r 8']!.join(', ')}`,
    ].join('\n'));
    // What is asserted: every adapter learns the rotated task beyond the frozen base's chance level, and
    // the parameter counts the claims rest on.
    for (const [k] of runs) if (!k.includes('lr 0.')) expect(mean(acc[k]!), k).toBeGreaterThan(0.6);
    expect(params['RoAd road_1']).toBe(2 * 32); // θ and α for each of 16 pairs, on 2 layers
    expect(params['LoRA r 4']).toBe(2 * 4 * (32 + 32));
    expect(etherSpread).toBeLessThan(loraSpread);
    expect(params['LoHa r 4']).toBe(params['LoRA r 8']);
    expect(Math.min(...rank['LoHa r 4']!)).toBeGreaterThan(8); // rank above a same-parameter LoRA's ceiling
  }, 1_200_000);
});

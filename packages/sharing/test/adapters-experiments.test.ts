// The experiments (seeded, on the node project's default backend): LoRA r=4 against full
// fine-tuning on a related task. Numbers are printed for the report.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  MLPClassifier, Rng, accuracy, makeOptimizer, parameterLedger, rotatedSpirals, softmaxCrossEntropy, split, splitByTask, toTensors, train,
  type Dataset, type Module,
} from '@weft/core';
import { injectAdapter } from '../src/index.js';

async function fit(model: Module, data: { x: tf.Tensor; y: tf.Tensor }, steps: number, lr: number, seed: number): Promise<void> {
  const rng = new Rng(seed);
  const n = data.x.shape[0]!;
  await train({
    model, steps, reportEvery: steps, optimizer: makeOptimizer({ name: 'adam', learningRate: lr }),
    batch: () => {
      const idx = tf.tensor1d(Int32Array.from({ length: 128 }, () => rng.int(n)), 'int32');
      const b = { x: tf.gather(data.x, idx), y: tf.gather(data.y, idx) };
      idx.dispose();
      return b;
    },
    loss: (logits, b) => softmaxCrossEntropy(logits, b.y),
  });
}

async function acc(model: Module, data: { x: tf.Tensor; y: tf.Tensor }): Promise<number> {
  const a = tf.tidy(() => accuracy(model.call(data.x), data.y));
  const v = (await a.data())[0]!;
  a.dispose();
  return v;
}

describe('experiment: LoRA r=4 vs full fine-tuning on a related task', () => {
  it('pretrain on spirals (MLP 2-128-128-2), fine-tune on the spirals rotated by 90°: LoRA reaches ≥ 95% of full fine-tuning accuracy, training ≤ 10% of the parameters', async () => {
    const SEED = 7;
    const family = rotatedSpirals({ n: 1200, tasks: 2, maxAngle: Math.PI, noise: 0.05 }, SEED); // task 1 = rotated by π/2
    const [pre, post] = splitByTask(family) as [Dataset, Dataset];
    const [preTrain] = split(pre, [0.8], SEED);
    const [postTrain, postTest] = split(post, [0.5, 0.5], SEED);
    const d = { pre: toTensors(preTrain!), train: toTensors(postTrain!), test: toTensors(postTest!) };
    const base = new MLPClassifier({ inFeatures: 2, hidden: [128, 128], numClasses: 2 }, new Rng(SEED));
    await fit(base, d.pre, 400, 0.005, 1);
    const baseOnNew = await acc(base, d.test);
    const weights = await Promise.all(base.parameters().map((v) => v.data()));
    const clone = () => {
      const m = new MLPClassifier({ inFeatures: 2, hidden: [128, 128], numClasses: 2 }, new Rng(SEED));
      m.parameters().forEach((v, i) => v.assign(tf.tensor(weights[i]!, v.shape)));
      return m;
    };
    const full = clone();
    await fit(full, d.train, 200, 0.002, 2);
    const fullAcc = await acc(full, d.test);
    const lora = clone();
    // r = 4 on the hidden Linear; the 2-input first Linear allows at most r = 2 (a rotation of the
    // input plane is exactly a rank-2 change there); the head stays frozen.
    injectAdapter(lora, 'task', { method: 'lora', targets: ['0', '1'], r: 4, alpha: 8, rankPattern: { 'layers\\.0': 2 } }, { rng: new Rng(3) });
    const t = parameterLedger(lora).totals;
    await fit(lora, d.train, 200, 0.01, 2);
    const loraAcc = await acc(lora, d.test);
    console.log(`[experiment lora-vs-full] seed=${SEED} base on rotated task=${baseOnNew.toFixed(3)} full FT=${fullAcc.toFixed(3)} LoRA r=4=${loraAcc.toFixed(3)} ratio=${(loraAcc / fullAcc).toFixed(3)} trainable=${t.trainable}/${t.stored} (${((100 * t.trainable) / t.stored).toFixed(2)}%)`);
    expect(t.trainable / t.stored).toBeLessThanOrEqual(0.1);
    expect(fullAcc).toBeGreaterThan(baseOnNew + 0.1);
    expect(loraAcc / fullAcc).toBeGreaterThanOrEqual(0.95);
    [base, full, lora].forEach((m) => m.dispose());
    tf.dispose([d.pre, d.train, d.test] as unknown as tf.TensorContainer);
  }, 60_000);
});

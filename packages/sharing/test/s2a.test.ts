// S2A (arXiv:2503.08154): the masked ReLU's value and gradient equal ReLU's (finite differences not
// needed: the derivative is exact), the side tuner trains only its own parameters, and the claim:
// memory held for the backward pass (bytes alive after the forward of a training step) below LoRA's at
// a similar accuracy (rotated spirals, 3 seeds). Measured: 2.34 MB vs 4.66 MB (2.0× less) at 0.970 vs
// 0.975 — less memory holds, the paper's fourfold reduction does not at this scale (its 4-bit packing
// and prompt/bias modules are not here; tfjs keeps a bool mask in a byte).
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ForwardContext, MLPClassifier, Rng, accuracy, makeOptimizer, rotatedSpirals, softmaxCrossEntropy, split, splitByTask, toTensors } from '@weft/core';
import { S2ASideTuner, injectAdapter, maskedRelu } from '../src/index.js';
import { maxDiff } from './adapters-helpers.js';

describe('S2A', () => {
  it('masked ReLU has ReLU\'s value and gradient and saves a bool mask', async () => {
    const x = tf.tensor1d([-2, -0.5, 0.5, 3]);
    expect(await maxDiff(maskedRelu(x), tf.relu(x))).toBe(0);
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(maskedRelu(t), tf.tensor1d([1, 2, 3, 4]))))(x);
    expect(Array.from(await g.data())).toEqual([0, 0, 3, 4]);
  });

  it('a training step and an inference forward of the side tuner leave no tensor behind', () => {
    const side = new S2ASideTuner(new MLPClassifier({ inFeatures: 2, hidden: [8, 8], numClasses: 2 }, new Rng(1)), { bottleneck: 4 }, new Rng(2));
    const x = tf.randomNormal([5, 2]);
    const y = tf.tensor1d([0, 1, 0, 1, 1], 'int32');
    const before = tf.memory().numTensors;
    for (let s = 0; s < 3; s++) {
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => softmaxCrossEntropy(side.forward(x, new ForwardContext({ training: true })), y) as tf.Scalar, side.trainableParameters());
        expect(Object.keys(grads).length).toBe(3); // down0, down1, up
      });
      tf.tidy(() => side.forward(x)).dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    side.dispose();
    side.backbone.dispose();
    tf.dispose([x, y]);
  });

  // A seeded experiment on the paper's claim: runs with WEFT_LONG_EXPERIMENTS=1 (npm test's 25-minute budget).
  it.runIf(process.env.WEFT_LONG_EXPERIMENTS === '1')('claim: the side module holds fewer bytes for the backward pass than LoRA at a similar accuracy (3 seeds)', async () => {
    const res: Record<string, { acc: number[]; bytes: number[]; trainable: number }> = {};
    for (const seed of [1, 2, 3]) {
      const [A, B] = splitByTask(rotatedSpirals({ n: 800, tasks: 2, maxAngle: Math.PI / 2, noise: 0.05 }, seed));
      const pre = toTensors(A!);
      const [bTrain, bTest] = split(B!, [0.5, 0.5], seed).map((d) => toTensors(d));
      const make = () => new MLPClassifier({ inFeatures: 2, hidden: [128, 128], numClasses: 2 }, new Rng(seed));
      const base = make();
      const ce = (z: tf.Tensor, y: tf.Tensor) => softmaxCrossEntropy(z, y);
      const run = async (label: string, model: { forward(x: tf.Tensor, c?: ForwardContext): tf.Tensor; trainableParameters(): tf.Variable[] }, steps: number) => {
        const opt = makeOptimizer({ name: 'adam', learningRate: 0.01 });
        let held = 0;
        for (let s = 0; s < steps; s++) {
          tf.tidy(() => {
            const before = tf.memory().numBytes;
            const { value, grads } = tf.variableGrads(() => {
              const loss = ce(model.forward(bTrain!.x, new ForwardContext({ training: true })), bTrain!.y);
              held = Math.max(held, tf.memory().numBytes - before); // alive after the forward: what the backward will read
              return loss;
            }, model.trainableParameters());
            opt.applyGradients(grads);
            value.dispose();
          });
        }
        const a = tf.tidy(() => accuracy(model.forward(bTest!.x, new ForwardContext()), bTest!.y));
        const acc = (await a.data())[0]!;
        a.dispose();
        const r = (res[label] ??= { acc: [], bytes: [], trainable: model.trainableParameters().reduce((p, v) => p + v.size, 0) });
        r.acc.push(acc);
        r.bytes.push(held);
      };
      const preOpt = makeOptimizer({ name: 'adam', learningRate: 0.01 });
      for (let k = 0; k < 300; k++) preOpt.minimize(() => ce(base.forward(pre.x, new ForwardContext({ training: true })), pre.y) as tf.Scalar, false, base.trainableParameters());
      const weights = await Promise.all(base.parameters().map((v) => v.data()));
      const copy = () => {
        const m = make();
        m.parameters().forEach((v, i) => v.assign(tf.tensor(weights[i]!, v.shape)));
        return m;
      };
      const lora = copy();
      injectAdapter(lora, 'b', { method: 'lora', targets: 'layers\\.[0-9]+', r: 4, alpha: 8, rankPattern: { 'layers\\.(0|2)': 2 } }, { rng: new Rng(seed + 1) });
      await run('LoRA r=4 (every layer)', lora, 200);
      const side = new S2ASideTuner(copy(), { bottleneck: 16 }, new Rng(seed + 1));
      await run('S2A side module (bottleneck 16)', side, 200);
      [base, lora, side.backbone].forEach((m) => m.dispose());
      tf.dispose([pre, bTrain, bTest] as unknown as tf.TensorContainer);
    }
    const mean = (v: number[]) => v.reduce((p, q) => p + q, 0) / v.length;
    console.log(`[experiment s2a] ${Object.entries(res).map(([k, r]) => `${k}: accuracy ${mean(r.acc).toFixed(3)} (${r.acc.map((x) => x.toFixed(3)).join(' ')}), bytes held for backward ${Math.round(mean(r.bytes))}, ${r.trainable} trained params`).join('; ')}`);
    const [lora, side] = [res['LoRA r=4 (every layer)']!, res['S2A side module (bottleneck 16)']!];
    expect(mean(side.bytes)).toBeLessThan(mean(lora.bytes));
    expect(mean(side.acc)).toBeGreaterThan(mean(lora.acc) - 0.03);
  }, 300_000);
});

// Adapter layers that record statistics (TAPS' gate) keep one per adapted layer: under the trainer
// each is keyed by the adapter layer's path in the model, so TAPS' chosen layers can all be read.
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { MLPClassifier, Rng, makeOptimizer, softmaxCrossEntropy, train } from '@weft/core';
import { injectAdapter } from '@weft/sharing';

it("TAPS records one gate per adapted layer, keyed by the layer's path", async () => {
  const model = new MLPClassifier({ inFeatures: 4, hidden: [8, 8], numClasses: 3 }, new Rng(1));
  const paths = injectAdapter(model, 'taps', { method: 'taps', targets: ['layers.0', 'layers.1', 'layers.2'] }, { rng: new Rng(2) });
  expect(paths.length).toBe(3);
  const opt = makeOptimizer({ name: 'adam', learningRate: 0.01 });
  const run = await train({
    model, optimizer: opt, steps: 2, reportEvery: 2,
    batch: () => ({ x: tf.randomNormal([6, 4], 0, 1, 'float32', 3), y: tf.tensor1d([0, 1, 2, 0, 1, 2], 'int32') }),
    loss: (logits, b) => softmaxCrossEntropy(logits, b.y),
  });
  const gates = Object.keys(run.history.at(-1)!.stats).filter((k) => k.endsWith('/active')).sort();
  expect(gates.length).toBe(3);
  for (const [i, p] of paths.entries()) expect(gates[i]!.startsWith(`${p}.`)).toBe(true);
  opt.dispose();
  model.dispose();
});

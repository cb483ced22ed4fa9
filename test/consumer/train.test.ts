// A user's project: it depends on @weft/core by name (package.json "workspace:*", as an app
// depends on a published version), so this import resolves through the package's `exports`
// map to the built dist/ — the same files a user gets.
import * as tf from '@tensorflow/tfjs-core';
import { Linear, Module, Rng, initBackend, makeOptimizer, parameterLedger, train, type ForwardContext } from '@weft/core';
import { expect, it } from 'vitest';

class TwoLayer extends Module {
  readonly fc1: Linear;
  readonly fc2: Linear;
  constructor(rng: Rng) {
    super();
    this.fc1 = this.addModule('fc1', new Linear({ inFeatures: 2, outFeatures: 16 }, rng));
    this.fc2 = this.addModule('fc2', new Linear({ inFeatures: 16, outFeatures: 1 }, rng));
  }
  forward(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    return this.fc2.forward(tf.tanh(this.fc1.forward(x, ctx)), ctx);
  }
}

it('imports the built @weft/core by name and trains a model with it', async () => {
  const resolved = import.meta.resolve?.('@weft/core') ?? '';
  expect(resolved === '' || resolved.includes('/dist/')).toBe(true);
  const report = await initBackend({ prefer: ['wasm', 'cpu'] });
  expect(['wasm', 'cpu']).toContain(report.backend);

  // XOR-like regression target: y = x0·x1.
  const rng = new Rng(5);
  const x = rng.uniformArray(2 * 128, -1, 1);
  const y = new Float32Array(128).map((_, i) => x[2 * i]! * x[2 * i + 1]!);
  const model = new TwoLayer(new Rng(1));
  expect(parameterLedger(model).totals.stored).toBe(2 * 16 + 16 + 16 + 1);
  const optimizer = makeOptimizer({ name: 'adam', learningRate: 0.03 });
  const result = await train({
    steps: 300,
    model,
    optimizer,
    batch: () => ({ x: tf.tensor2d(x, [128, 2]), y: tf.tensor2d(y, [128, 1]) }),
    loss: (out, b) => tf.losses.meanSquaredError(b.y, out) as tf.Scalar,
    reportEvery: 50,
  });
  expect(result.finalLoss).toBeLessThan(result.history[0]!.loss / 3);
  optimizer.dispose();
  model.dispose();
});

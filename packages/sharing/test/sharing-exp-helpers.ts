// Shared helpers of the hashed-sharing experiments (not a test file: no `.test.` in the name).
import * as tf from '@tensorflow/tfjs-core';
import { NonFiniteLossError, accuracy, softmaxCrossEntropy, train, type Module, type Rng } from '@weft/core';

/** Train `model` on (x, y) with random mini-batches; returns the held-out accuracy, or NaN if the loss diverged. */
export async function fit(
  model: Module,
  data: { x: tf.Tensor; y: tf.Tensor },
  test: { x: tf.Tensor; y: tf.Tensor },
  opts: { steps: number; batch: number; optimizer: tf.Optimizer; rng: Rng; afterStep?: () => void },
): Promise<{ acc: number; diverged: boolean; finalLoss: number }> {
  const n = data.x.shape[0]!;
  let diverged = false;
  let finalLoss = NaN;
  try {
    const r = await train({
      model, optimizer: opts.optimizer, steps: opts.steps, reportEvery: 25,
      batch: () => {
        const idx = tf.tensor1d(Int32Array.from({ length: opts.batch }, () => opts.rng.int(n)), 'int32');
        return { x: tf.gather(data.x, idx), y: tf.gather(data.y, idx) };
      },
      loss: (out, b) => softmaxCrossEntropy(out, b.y),
      ...(opts.afterStep ? { onProgress: () => opts.afterStep!() } : {}),
    });
    finalLoss = r.finalLoss;
  } catch (e) {
    if (!(e instanceof NonFiniteLossError)) throw e;
    diverged = true;
  }
  opts.optimizer.dispose();
  if (diverged) return { acc: NaN, diverged, finalLoss };
  const acc = tf.tidy(() => accuracy(model.call(test.x), test.y));
  const value = (await acc.data())[0]!;
  acc.dispose();
  return { acc: value, diverged, finalLoss };
}

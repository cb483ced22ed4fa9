// Shared helpers of the wave-2 sharing experiments (not a test file: no `.test.` in the name):
// seeded training of a sequence model with a held-out token accuracy, and mean ± spread over seeds.
import * as tf from '@tensorflow/tfjs-core';
import { IGNORE_INDEX, Rng, accuracy, makeOptimizer, softmaxCrossEntropy, train, type Module } from '@weft/core';

/** Train `model` with Adam on random batches of (x, y) and return the held-out accuracy (tokens with IGNORE_INDEX targets left out) and the final training loss. */
export async function fitSequence(
  model: Module,
  data: { x: tf.Tensor; y: tf.Tensor },
  test: { x: tf.Tensor; y: tf.Tensor },
  opts: { steps: number; seed: number; batch?: number; lr?: number },
): Promise<{ acc: number; finalLoss: number }> {
  const rng = new Rng(opts.seed + 1000);
  const n = data.x.shape[0]!;
  const batch = opts.batch ?? 32;
  const opt = makeOptimizer({ name: 'adam', learningRate: opts.lr ?? 3e-3 });
  const r = await train({
    model, optimizer: opt, steps: opts.steps, reportEvery: opts.steps,
    batch: () => {
      const idx = tf.tensor1d(Int32Array.from({ length: batch }, () => rng.int(n)), 'int32'); // (B,)
      return { x: tf.gather(data.x, idx), y: tf.gather(data.y, idx) };
    },
    loss: (out, b) => softmaxCrossEntropy(out, b.y, { ignoreIndex: IGNORE_INDEX }),
  });
  opt.dispose();
  model.eval();
  const acc = tf.tidy(() => accuracy(model.call(test.x), test.y, IGNORE_INDEX));
  const value = (await acc.data())[0]!;
  acc.dispose();
  model.train();
  return { acc: value, finalLoss: r.finalLoss };
}

/** "mean ± half-range" of `xs` (the spread over seeds), with `digits` decimals (× 100 when `pct`). */
export function meanSpread(xs: number[], pct = true, digits = 1): string {
  const k = pct ? 100 : 1;
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const half = (Math.max(...xs) - Math.min(...xs)) / 2;
  return `${(mean * k).toFixed(digits)} ± ${(half * k).toFixed(digits)}${pct ? '%' : ''}`;
}

/** Mean of `xs`. */
export const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

// One real training run on every backend, compared with the same run on cpu: an MLP on two
// spirals and a tiny Transformer on a sequence task, same seed, same batches. The loss must
// fall, the run must leak nothing, and the loss curve must follow cpu's.
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import {
  MLPClassifier, Rng, TinyTransformer, initBackend, makeOptimizer, reverseTask, softmaxCrossEntropy, spirals, toTensors, train,
  type Dataset, type Module,
} from '@weft/core';
import { describeBackends } from '@weft/core/testing';

interface Run {
  losses: number[];
  growth: number;
}

async function run(make: (rng: Rng) => Module<any, tf.Tensor>, ds: Dataset, steps: number, lr: number): Promise<Run> {
  const model = make(new Rng(3));
  const data = toTensors(ds);
  const optimizer = makeOptimizer({ name: 'adam', learningRate: lr });
  const opts = {
    model,
    optimizer,
    batch: () => data,
    loss: (logits: tf.Tensor, b: typeof data) => softmaxCrossEntropy(logits, b.y),
    reportEvery: 5,
  };
  await train({ ...opts, steps: 1 });
  const before = tf.memory().numTensors;
  const result = await train({ ...opts, steps });
  const growth = tf.memory().numTensors - before;
  optimizer.dispose();
  tf.dispose(data as unknown as tf.TensorContainer);
  model.dispose();
  return { losses: result.history.map((h) => h.loss), growth };
}

const cases = [
  {
    name: 'MLP on two spirals',
    make: (rng: Rng) => new MLPClassifier({ inFeatures: 2, hidden: [16, 16], numClasses: 2 }, rng),
    data: () => spirals({ n: 128 }, 1),
    steps: 30,
    lr: 0.02,
  },
  {
    name: 'TinyTransformer on sequence reversal',
    make: (rng: Rng) => new TinyTransformer({ vocabSize: 9, maxLen: 8, dim: 16, depth: 1, numHeads: 2, head: 'lm' }, rng),
    data: () => reverseTask({ n: 16, length: 4, vocabSize: 8 }, 2),
    steps: 15,
    lr: 0.01,
  },
];

describeBackends('training run with parity to cpu', (backend) => {
  for (const c of cases) {
    it(c.name, async () => {
      const here = await run(c.make, c.data(), c.steps, c.lr);
      expect(here.growth).toBe(0);
      expect(here.losses.at(-1)!).toBeLessThan(here.losses[0]!);
      if (backend === 'cpu') return;
      await initBackend({ prefer: ['cpu'], fallback: false });
      const ref = await run(c.make, c.data(), c.steps, c.lr);
      await initBackend({ prefer: [backend], fallback: false });
      // Float32 on different kernels: the curves agree to 1e-3 (relative, for losses > 1) over
      // these few steps; WebGL's shader math (exp, log, pow in GLSL) is looser: 5e-3.
      const tol = backend === 'webgl' ? 5e-3 : 1e-3;
      for (let i = 0; i < ref.losses.length; i++) expect(Math.abs(here.losses[i]! - ref.losses[i]!)).toBeLessThan(tol * Math.max(1, ref.losses[i]!));
    });
  }
});

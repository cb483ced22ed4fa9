// Experiment (issue 3): on the core `sort` task, a 6-slot all-shared Transformer (ALBERT-style)
// reaches at least 90% of the unshared 6-block model's accuracy with 1/6 of its stored block
// parameters. Seeded, wasm backend (Node's CPU default); numbers are printed for the report.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  IGNORE_INDEX, Rng, TinyTransformer, accuracy, makeOptimizer, parameterLedger, softmaxCrossEntropy, sortTask, split, toTensors, train,
} from '@weft/core';
import { sharedTransformer } from '@weft/sharing';

const SEED = 1;
const STEPS = 200;
const BATCH = 32;

async function trainAndEval(model: TinyTransformer, data: { x: tf.Tensor; y: tf.Tensor }, test: { x: tf.Tensor; y: tf.Tensor }) {
  const rng = new Rng(SEED + 7);
  const n = data.x.shape[0]!;
  const opt = makeOptimizer({ name: 'adam', learningRate: 3e-3 });
  await train({
    model, optimizer: opt, steps: STEPS, reportEvery: 100,
    batch: () => {
      const idx = tf.tensor1d(Int32Array.from({ length: BATCH }, () => rng.int(n)), 'int32');
      return { x: tf.gather(data.x, idx), y: tf.gather(data.y, idx) };
    },
    loss: (out, b) => softmaxCrossEntropy(out, b.y, { ignoreIndex: IGNORE_INDEX }),
  });
  opt.dispose();
  model.eval();
  const acc = tf.tidy(() => accuracy(model.call(test.x), test.y, IGNORE_INDEX));
  const value = (await acc.data())[0]!;
  acc.dispose();
  return value;
}

describe('experiment: 6-slot all-shared Transformer vs unshared on sort', () => {
  // The timeout covers a loaded machine; alone on 2 cores the test takes the time it prints.
  // A seeded experiment on the paper's claim: runs with WEFT_LONG_EXPERIMENTS=1 (npm test's 25-minute budget).
  it.runIf(process.env.WEFT_LONG_EXPERIMENTS === '1')('reaches ≥ 90% of the unshared accuracy with 1/6 of the block parameters', { timeout: 600_000 }, async () => {
    const ds = sortTask({ n: 2000, length: 5, vocabSize: 6 }, SEED);
    const [trainDs, testDs] = split(ds, [0.8, 0.2], SEED);
    const tr = toTensors(trainDs!);
    const te = toTensors(testDs!);
    const cfg = { vocabSize: ds.vocabSize!, maxLen: 10, dim: 16, depth: 6, numHeads: 2 };
    const t0 = performance.now();
    const unshared = new TinyTransformer(cfg, new Rng(SEED));
    const shared = sharedTransformer({ ...cfg, plan: 'all-shared' }, new Rng(SEED));
    const accUnshared = await trainAndEval(unshared, tr, te);
    const accShared = await trainAndEval(shared, tr, te);
    const blockU = unshared.blocks.items.reduce((s, b) => s + b.parameters().reduce((a, v) => a + v.size, 0), 0);
    const blockS = shared.blocks.at(0).parameters().reduce((a, v) => a + v.size, 0);
    const lu = parameterLedger(unshared).totals;
    const ls = parameterLedger(shared).totals;
    console.log(
      `sort (L=5, V=6), ${STEPS} Adam steps, seed ${SEED}: unshared acc ${(accUnshared * 100).toFixed(1)}% (stored ${lu.stored}), ` +
        `all-shared acc ${(accShared * 100).toFixed(1)}% (stored ${ls.stored}, effective ${ls.effective}); ratio ${(accShared / accUnshared).toFixed(3)}; ` +
        `block params ${blockS} vs ${blockU}; ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    expect(blockS * 6).toBe(blockU);
    expect(ls.effective).toBe(lu.stored);
    expect(accUnshared).toBeGreaterThan(0.5); // the baseline learned the task
    expect(accShared).toBeGreaterThanOrEqual(0.9 * accUnshared);
    tf.dispose([tr, te] as never);
    unshared.dispose();
    shared.dispose();
  });
});

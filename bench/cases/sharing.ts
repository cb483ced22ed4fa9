// @weft/sharing benchmark cases: a 6-slot all-shared Transformer's training step against the
// unshared one (sharing must not cost speed), its stored/effective ratio, and a ROAST layer's
// training step against a dense Linear at compression 8 (the gather and its scatter-add gradient
// must not dominate). Pairs are measured interleaved in one run on Weft's wasm backend.
import * as tf from '@tensorflow/tfjs-core';
import { IGNORE_INDEX, Linear, Rng, TinyTransformer, initBackend, parameterLedger, softmaxCrossEntropy, train, type Module } from '@weft/core';
import { HashedLinear, sharedTransformer } from '@weft/sharing';
import { medianMs, type BenchCase } from '../case.js';

async function useWasm(): Promise<void> {
  const r = await initBackend({ prefer: ['wasm'], fallback: false });
  if (r.backend !== 'wasm') throw new Error(`bench needs wasm: ${JSON.stringify(r.reasons)}`);
}

const med = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1]!;
const TRANSFORMER = { vocabSize: 16, maxLen: 16, dim: 64, depth: 6, numHeads: 4 };

function tokenBatch(seed: number) {
  const rng = new Rng(seed);
  const x = tf.tensor2d(Int32Array.from({ length: 32 * 16 }, () => rng.int(16)), [32, 16], 'int32');
  const y = tf.tensor2d(Int32Array.from({ length: 32 * 16 }, () => rng.int(16)), [32, 16], 'int32');
  return { x, y };
}

/** Mean ms per step of the trainer over `steps` steps. */
async function stepMs<B>(model: Module<any, any>, opt: tf.Optimizer, batch: B, loss: (o: tf.Tensor, b: B) => tf.Scalar, steps: number): Promise<number> {
  const t0 = performance.now();
  await train({ model, optimizer: opt, steps, batch: () => batch, loss, reportEvery: steps });
  return (performance.now() - t0) / steps;
}

export const cases: BenchCase[] = [
  {
    name: 'sharing.step_shared_vs_unshared',
    unit: 'ratio',
    backend: 'wasm',
    target: 1.05,
    better: 'lower',
    async run() {
      await useWasm();
      const b = tokenBatch(1);
      const shared = sharedTransformer({ ...TRANSFORMER, plan: 'all-shared' }, new Rng(1));
      const unshared = new TinyTransformer(TRANSFORMER, new Rng(1));
      const optS = tf.train.adam(1e-3);
      const optU = tf.train.adam(1e-3);
      const loss = (o: tf.Tensor, bt: typeof b) => softmaxCrossEntropy(o, bt.y, { ignoreIndex: IGNORE_INDEX });
      await stepMs(shared, optS, b, loss, 3);
      await stepMs(unshared, optU, b, loss, 3);
      const s: number[] = [];
      const u: number[] = [];
      for (let r = 0; r < 7; r++) {
        u.push(await stepMs(unshared, optU, b, loss, 10));
        s.push(await stepMs(shared, optS, b, loss, 10));
      }
      tf.dispose([b.x, b.y]);
      optS.dispose();
      optU.dispose();
      shared.dispose();
      unshared.dispose();
      return { value: med(s) / med(u), detail: { sharedStepMs: med(s), unsharedStepMs: med(u), model: TRANSFORMER, batch: 32, stepsPerRep: 10, reps: 7 } };
    },
  },
  {
    name: 'sharing.stored_ratio',
    unit: 'ratio',
    backend: 'none',
    target: null,
    better: 'lower',
    async run() {
      await useWasm();
      const m = sharedTransformer({ ...TRANSFORMER, plan: 'all-shared' }, new Rng(1));
      const t = parameterLedger(m).totals;
      const block = m.blocks.at(0).parameters().reduce((s, v) => s + v.size, 0);
      const rest = t.stored - block;
      const expected = (rest + block) / (rest + 6 * block);
      m.dispose();
      if (t.effective !== rest + 6 * block) throw new Error(`sharing.stored_ratio: effective ${t.effective} ≠ ${rest} + 6·${block}`);
      return { value: t.stored / t.effective, detail: { stored: t.stored, effective: t.effective, blockParams: block, unsharedParts: rest, expected, blockRatio: 1 / 6 } };
    },
  },
  {
    name: 'sharing.roast_step_vs_dense',
    unit: 'ratio',
    backend: 'wasm',
    target: 1.5,
    better: 'lower',
    async run() {
      await useWasm();
      const [I, O, B] = [512, 512, 256];
      const rng = new Rng(2);
      const x = tf.tensor2d(rng.normalArray(B * I), [B, I]);
      const t = tf.tensor2d(rng.normalArray(B * O), [B, O]);
      const dense = new Linear({ inFeatures: I, outFeatures: O }, new Rng(3));
      const roast = new HashedLinear({ inFeatures: I, outFeatures: O, method: 'roast', compression: 8, chunkSize: 32 }, new Rng(3));
      const optD = tf.train.sgd(1e-3);
      const optR = tf.train.sgd(1e-3);
      const mse = (o: tf.Tensor, bt: { x: tf.Tensor; y: tf.Tensor }) => tf.losses.meanSquaredError(bt.y, o) as tf.Scalar;
      const batch = { x, y: t };
      await stepMs(dense, optD, batch, mse, 3);
      await stepMs(roast, optR, batch, mse, 3);
      const d: number[] = [];
      const r: number[] = [];
      for (let k = 0; k < 7; k++) {
        d.push(await stepMs(dense, optD, batch, mse, 10));
        r.push(await stepMs(roast, optR, batch, mse, 10));
      }
      // The hashed part alone: gather the 262k weights and scatter-add their gradient.
      const gatherMs = await medianMs(async () => {
        const g = tf.tidy(() => tf.grad((a: tf.Tensor) => tf.sum(roast.weightsFrom(a).weight))(roast.memory.weight));
        await g.data();
        g.dispose();
      }, 10);
      tf.dispose([x, t]);
      optD.dispose();
      optR.dispose();
      dense.dispose();
      roast.dispose();
      return { value: med(r) / med(d), detail: { roastStepMs: med(r), denseStepMs: med(d), gatherAndScatterMs: gatherMs, inFeatures: I, outFeatures: O, batch: B, compression: 8, chunkSize: 32 } };
    },
  },
];

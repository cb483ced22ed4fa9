// @weft/sharing benchmark cases: a 6-slot all-shared Transformer's training step against the
// unshared one (sharing must not cost speed), its stored/effective ratio, and a ROAST layer's
// training step against a dense Linear at compression 8 (the gather and its scatter-add gradient
// must not dominate). Pairs are measured interleaved in one run on Weft's wasm backend.
import * as tf from '@tensorflow/tfjs-core';
import { ForwardContext, IGNORE_INDEX, Linear, Rng, TransformerBlock, TinyTransformer, initBackend, parameterLedger, softmaxCrossEntropy, train, type Module } from '@weft/core';
import { HashedLinear, RecurrentBlock, sharedTransformer } from '@weft/sharing';
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
  {
    // ACT that really skips halted tokens (haltedTokens: 'gathered') against the same shared block
    // at fixed depth maxSteps, forward + backward, at a halting rate of about 50% (average depth ≈
    // maxSteps / 2). The halting unit's bias is set once so the depth is ≈ 2 of 4; weights are not
    // updated, so the rate stays put. The active tokens are packed into rows of T (several sequences a
    // row), so the rows the block runs on (reported) fall about as the token-steps do (0.55 of fixed
    // depth's; padding each sequence to the busiest one gave 0.78). The forward alone is timed too.
    // ACT's own bookkeeping (halting unit, remainders, weighted state sums: ≈ 700 more small kernels
    // per training step than fixed depth, as many in 'masked') is a fixed cost the skipped rows must
    // pay for; at this toy size it is of the order of the saving.
    name: 'sharing.act_step_vs_fixed_depth',
    unit: 'ratio',
    backend: 'wasm',
    target: null,
    better: 'lower',
    async run() {
      await useWasm();
      const [Bn, T, D, S] = [32, 16, 64, 4];
      const make = (halting: 'act' | 'fixed', haltedTokens: 'gathered' | 'masked' = 'gathered') => {
        const rng = new Rng(5);
        return new RecurrentBlock(new TransformerBlock({ dim: D, numHeads: 4 }, rng), { dim: D, maxSteps: S, halting, haltedTokens }, rng);
      };
      const act = make('act');
      const masked = make('act', 'masked'); // the same ACT without the skipping
      const fixed = make('fixed');
      const x = tf.tensor3d(new Rng(6).normalArray(Bn * T * D), [Bn, T, D]);
      const probe = tf.tensor3d(new Rng(7).normalArray(Bn * T * D), [Bn, T, D]);
      // Halting unit: weights spread the depths over tokens, then the bias is bisected to depth ≈ S/2.
      act.halt!.weight.assign(tf.tidy(() => tf.mul(tf.tensor(new Rng(8).normalArray(D), [D, 1]), 0.5)));
      const depthAt = async (b: number) => {
        act.halt!.bias!.assign(tf.tidy(() => tf.fill([1], b)));
        const ctx = new ForwardContext({ collectStats: true });
        tf.tidy(() => { act.forward(x, ctx); });
        const st = await ctx.readStats();
        return { depth: st['ut.avg_depth'] as number, rows: st['ut.block_rows'] as number };
      };
      let lo = -6, hi = 6;
      for (let i = 0; i < 14; i++) {
        const mid = (lo + hi) / 2;
        if ((await depthAt(mid)).depth > S / 2) lo = mid; else hi = mid;
      }
      const { depth, rows } = await depthAt((lo + hi) / 2);
      masked.halt!.weight.assign(act.halt!.weight);
      masked.halt!.bias!.assign(act.halt!.bias!);
      const forward = (m: RecurrentBlock) => async () => {
        const y = tf.tidy(() => tf.sum(m.forward(x, new ForwardContext({ training: true }))));
        await y.data();
        y.dispose();
      };
      const step = (m: RecurrentBlock) => async () => {
        const g = tf.tidy(() => {
          const ctx = new ForwardContext({ training: true });
          const { value, grads } = tf.variableGrads(() => {
            const y = m.forward(x, ctx);
            const aux = ctx.auxLosses.reduce((s, a) => tf.add(s, tf.mul(a.value, a.weight)), tf.scalar(0));
            return tf.add(tf.mean(tf.mul(y, probe)), aux) as tf.Scalar;
          }, m.trainableParameters());
          return [value, ...Object.values(grads)];
        });
        await g[0]!.data();
        tf.dispose(g);
      };
      const a: number[] = [];
      const mk: number[] = [];
      const f: number[] = [];
      await step(act)();
      await step(masked)();
      await step(fixed)();
      const af: number[] = [];
      const ff: number[] = [];
      for (let k = 0; k < 7; k++) {
        a.push(await medianMs(step(act), 3, 0));
        mk.push(await medianMs(step(masked), 3, 0));
        f.push(await medianMs(step(fixed), 3, 0));
        af.push(await medianMs(forward(act), 3, 0));
        ff.push(await medianMs(forward(fixed), 3, 0));
      }
      tf.dispose([x, probe]);
      act.dispose();
      masked.dispose();
      fixed.dispose();
      return {
        value: med(a) / med(f),
        detail: { actStepMs: med(a), actMaskedStepMs: med(mk), fixedStepMs: med(f), actForwardMs: med(af), fixedForwardMs: med(ff), avgDepth: depth, haltedShare: 1 - depth / S, blockRowsShare: rows / (S * Bn * T), batch: Bn, time: T, dim: D, maxSteps: S },
      };
    },
  },
];

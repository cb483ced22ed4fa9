// Distributed neural architectures (DistributedModules, @weft/moe) on wasm: a training step
// (forward + backward, compute loss on) with the FFN modules dispatched sparsely (each runs only on
// the tokens that chose it, the layer's default) / the dense masked path (every module on every
// token), measured interleaved in one run.
// - moe.dna_sparse_vs_dense: a pool of 4 FFN modules, 4 hops (ideal about 1/4: one FFN pass per hop
//   instead of four, plus routing and dispatch).
//   detail.mixedRatio: a pool of 2 attention + 4 FFN modules (attention runs on every token either way).
import * as tf from '@tensorflow/tfjs-core';
import { ForwardContext, Rng, initBackend } from '@weft/core';
import { DistributedModules } from '@weft/moe';
import { medianMs, type BenchCase } from '../case.js';

const [B, T, DIM, HIDDEN, HOPS] = [16, 32, 64, 256, 4];

/** A forward+backward step of `m` on `x`. */
function stepOf(m: DistributedModules, x: tf.Tensor3D): () => Promise<void> {
  const vars = m.trainableParameters();
  return async () => {
    const g = tf.tidy(() => {
      const { grads, value } = tf.variableGrads(() => {
        const ctx = new ForwardContext({ training: true, seed: 1 });
        return tf.add(tf.sum(m.forward(x, ctx)), ctx.totalAuxLoss()) as tf.Scalar;
      }, vars);
      value.dispose();
      return Object.values(grads);
    });
    await g[0]!.data();
    tf.dispose(g);
  };
}

/** Median ms of each function, measured round-robin. */
async function interleaved(fns: Array<() => Promise<void>>, rounds = 5, reps = 3): Promise<number[]> {
  const all = fns.map(() => [] as number[]);
  for (const f of fns) await medianMs(f, 1, 2);
  for (let r = 0; r < rounds; r++) for (const [i, f] of fns.entries()) all[i]!.push(await medianMs(f, reps, 0));
  return all.map((a) => [...a].sort((p, q) => p - q)[a.length >> 1]!);
}

export const cases: BenchCase[] = [
  {
    name: 'moe.dna_sparse_vs_dense',
    unit: 'ratio',
    backend: 'wasm',
    target: null,
    better: 'lower',
    async run() {
      const r = await initBackend({ prefer: ['wasm'], fallback: false });
      if (r.backend !== 'wasm') throw new Error(`bench needs wasm: ${JSON.stringify(r.reasons)}`);
      const x = tf.tensor3d(new Rng(2).normalArray(B * T * DIM), [B, T, DIM]);
      const make = (attention: number, dispatch: 'sparse' | 'dense') =>
        new DistributedModules({ dim: DIM, attention, ffn: 4, numHeads: 4, ffnHidden: HIDDEN, hops: HOPS, dispatch }, new Rng(1));
      const layers = [make(0, 'sparse'), make(0, 'dense'), make(2, 'sparse'), make(2, 'dense')];
      const [fs, fd, ms, md] = await interleaved(layers.map((m) => stepOf(m, x)));
      for (const m of layers) m.dispose();
      x.dispose();
      return {
        value: fs! / fd!,
        detail: { ffnSparseMs: fs, ffnDenseMs: fd, mixedSparseMs: ms, mixedDenseMs: md, mixedRatio: ms! / md!, ideal: 1 / 4, tokens: B * T, dim: DIM, hidden: HIDDEN, hops: HOPS, pool: '4 FFN (mixed: + 2 attention)' },
      };
    },
  },
];

// Timing shared by the MoE bench cases (bench/cases/moe.ts, bench/cases/dna.ts): the wasm backend,
// one training step of a layer, and several steps timed round-robin in one run.
import * as tf from '@tensorflow/tfjs-core';
import { ForwardContext, initBackend, type Module } from '@weft/core';
import { medianMs } from './case.js';

/** Switch to the wasm backend, or throw with the reasons it is not there. */
export async function useWasm(): Promise<void> {
  const r = await initBackend({ prefer: ['wasm'], fallback: false });
  if (r.backend !== 'wasm') throw new Error(`bench needs wasm: ${JSON.stringify(r.reasons)}`);
}

/** A forward+backward step of `m` on `x` (training context, aux losses on); awaits one gradient so the step has finished. */
export function stepOf(m: Module<tf.Tensor, tf.Tensor>, x: tf.Tensor): () => Promise<void> {
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

/** Median ms of each function, measured round-robin `rounds` times `reps` each after one warm-up each. */
export async function interleaved(fns: Array<() => Promise<void>>, rounds = 5, reps = 3): Promise<number[]> {
  const all = fns.map(() => [] as number[]);
  for (const f of fns) await medianMs(f, 1, 2);
  for (let r = 0; r < rounds; r++) for (const [i, f] of fns.entries()) all[i]!.push(await medianMs(f, reps, 0));
  return all.map((a) => [...a].sort((p, q) => p - q)[a.length >> 1]!);
}

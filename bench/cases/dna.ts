// Distributed neural architectures (DistributedModules, @weft/moe) on wasm: a training step
// (forward + backward, compute loss on) with sparse dispatch (the layer's default: each module runs
// only on the tokens that chose it) / the dense masked path (every module on every token, the same
// values), measured interleaved in one run.
// - moe.dna_sparse_vs_dense: a pool of 4 FFN modules, 4 hops (ideal about 1/4: one FFN pass per hop
//   instead of four, plus routing and dispatch).
//   detail.mixedRatio: a pool of 2 attention + 4 FFN modules.
// - moe.dna_attention_sparse_vs_dense: a pool of 4 attention modules, 4 hops, T = 128, capacity
//   factor 2 of the uniform share T/5 (C = 52 of 128 tokens per module): each module's projections
//   on C tokens and scores over C² instead of T and T², plus the gather and scatter; ideal about
//   C/T ≈ 0.41 for the projections, (C/T)² ≈ 0.17 for the scores.
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@weft/core';
import { DistributedModules } from '@weft/moe';
import { type BenchCase } from '../case.js';
import { interleaved, stepOf, useWasm } from '../moe-timing.js';

const [B, T, DIM, HIDDEN, HOPS] = [16, 32, 64, 256, 4];
const [AB, AT] = [4, 128]; // the attention case: 4 sequences of 128 tokens

export const cases: BenchCase[] = [
  {
    name: 'moe.dna_sparse_vs_dense',
    unit: 'ratio',
    backend: 'wasm',
    target: null,
    better: 'lower',
    async run() {
      await useWasm();
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
  {
    name: 'moe.dna_attention_sparse_vs_dense',
    unit: 'ratio',
    backend: 'wasm',
    target: null,
    better: 'lower',
    async run() {
      await useWasm();
      const x = tf.tensor3d(new Rng(3).normalArray(AB * AT * DIM), [AB, AT, DIM]);
      const make = (dispatch: 'sparse' | 'dense') =>
        new DistributedModules({ dim: DIM, attention: 4, ffn: 0, numHeads: 4, hops: HOPS, dispatch }, new Rng(1));
      const [sparse, dense] = [make('sparse'), make('dense')];
      const C = sparse.attentionSlots(AT);
      const [s, d] = await interleaved([stepOf(sparse, x), stepOf(dense, x)]);
      sparse.dispose();
      dense.dispose();
      x.dispose();
      return {
        value: s! / d!,
        detail: { sparseMs: s, denseMs: d, capacity: C, tokensPerSequence: AT, sequences: AB, idealProjections: C / AT, idealScores: (C / AT) ** 2, dim: DIM, hops: HOPS, pool: '4 attention + skip', attentionCapacity: 2 },
      };
    },
  },
];

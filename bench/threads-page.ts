// Runs inside a cross-origin-isolated page of the demos' dev server (driven by bench/threads-probe.ts):
// starts tfjs wasm with a given thread count, checks that Weft's SIMD batched product (the kernel of
// the grouped matrix product) runs on the threaded build's shared memory and equals a plain JS
// product, and times an n×n matMul (tfjs's XNNPACK kernel, which is the part that uses the threads).
import * as tf from '@tensorflow/tfjs-core';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { Rng, TinyTransformer, initBackend, makeOptimizer, mse, softmaxCrossEntropy, train, type Module } from '@weft/core';
import { MoE, Regressor } from '@weft/moe';
import { simdBatchMatMulFor } from '../packages/core/src/kernels/batch-mat-mul-simd.js';
import { GROUPED_MAT_MUL } from '../packages/core/src/kernels/grouped-mat-mul.js';
import { heapMemory } from '../packages/core/src/kernels/wasm-module.js';

/** What one page found (see {@link probeThreads}). */
export interface ThreadsProbe {
  crossOriginIsolated: boolean;
  /** tfjs's XNNPACK thread count after init. */
  threads: number;
  /** Whether the wasm heap is a SharedArrayBuffer (the threaded build). */
  sharedHeap: boolean;
  /** Whether Weft's SIMD batched-product kernel compiled against that heap. */
  simdBmm: boolean;
  /** Largest |Weft's grouped product − plain JS product| over a (5, 7, 13)·(3, 13, 11) case. */
  groupedMaxAbsError: number;
  /** Median ms of one n×n matMul (data read back). */
  matmulMs: number;
}

/** Deterministic values in [-1, 1) (a 32-bit LCG), so the check needs no tfjs randomness. */
function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** Start wasm with `threads` threads (Weft's `wasmThreads`, past tfjs's cap), then measure; one call per page. */
export async function probeThreads(threads: number, n: number, reps: number): Promise<ThreadsProbe> {
  const report = await initBackend({ prefer: ['wasm'], fallback: false, wasmThreads: threads });
  if (report.backend !== 'wasm') throw new Error(`threads probe: got backend ${report.backend}, not wasm`);
  const backend = tf.backend();
  const memory = heapMemory(backend);

  // y[g] = x[g]·w[group[g]], x (G, b, K), w (E, K, N): Weft's kernel vs a triple loop.
  const [G, b, K, E, N] = [5, 7, 13, 3, 11];
  const xv = values(G * b * K, 1), wv = values(E * K * N, 2), groups = [2, 0, 1, 2, 0];
  const x = tf.tensor3d(xv, [G, b, K]), w = tf.tensor3d(wv, [E, K, N]), group = tf.tensor1d(groups, 'int32');
  const y = tf.engine().runKernel(GROUPED_MAT_MUL, { x, w, group }, {}) as tf.Tensor;
  const got = await y.data();
  let err = 0;
  for (let g = 0; g < G; g++)
    for (let i = 0; i < b; i++)
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += xv[(g * b + i) * K + k]! * wv[(groups[g]! * K + k) * N + j]!;
        err = Math.max(err, Math.abs(s - got[(g * b + i) * N + j]!));
      }
  tf.dispose([x, w, group, y]);

  const p = tf.tensor2d(values(n * n, 3), [n, n]), q = tf.tensor2d(values(n * n, 4), [n, n]);
  const once = async () => {
    const r = tf.matMul(p, q);
    await r.data();
    r.dispose();
  };
  for (let i = 0; i < 3; i++) await once();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await once();
    times.push(performance.now() - t0);
  }
  tf.dispose([p, q]);
  times.sort((u, v) => u - v);
  return {
    crossOriginIsolated: self.crossOriginIsolated,
    threads: getThreadsCount(),
    sharedHeap: memory !== null && typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer,
    simdBmm: simdBatchMatMulFor(backend) !== null,
    groupedMaxAbsError: err,
    matmulMs: times[Math.floor(times.length / 2)]!,
  };
}

/** The demo models {@link probeTraining} times: the pages' defaults, and the issue's larger sizes. */
export const TRAINING_MODELS = ['sharingTransformer', 'moePage', 'transformer64', 'moe64'] as const;
export type TrainingModel = (typeof TRAINING_MODELS)[number];

/** A model, one fixed batch and its loss. */
function trainingSetup(name: TrainingModel): { model: Module<tf.Tensor, tf.Tensor>; x: tf.Tensor; y: tf.Tensor; loss: (out: tf.Tensor, y: tf.Tensor) => tf.Scalar } {
  const rng = new Rng(1);
  const tokens = (batch: number, seq: number, vocab: number, seed: number) => tf.tensor2d(Int32Array.from(values(batch * seq, seed), (v) => Math.floor(((v + 1) / 2) * vocab)), [batch, seq], 'int32');
  if (name === 'sharingTransformer' || name === 'transformer64') {
    // sharing.html's Transformer (width 32, depth 6, 4 heads, sequences of 10, batch 64) or the profile's (d=64, T=32, 2 blocks, batch 8).
    const [dim, depth, seq, batch, vocab] = name === 'sharingTransformer' ? [32, 6, 10, 64, 7] : [64, 2, 32, 8, 64];
    const model = new TinyTransformer({ vocabSize: vocab, maxLen: seq, dim, depth, numHeads: 4 }, rng) as unknown as Module<tf.Tensor, tf.Tensor>;
    return { model, x: tokens(batch, seq, vocab, 5), y: tokens(batch, seq, vocab, 6), loss: (out, y) => softmaxCrossEntropy(out, y) };
  }
  if (name === 'moePage') {
    // moe.html's default: a regressor around one MoE layer (d=16, 8 experts, top-2, hidden 16, mixtral router), batch 128 of 2-D points.
    const model = new Regressor(2, 1, 16, (r) => new MoE({ dim: 16, numExperts: 8, topK: 2, hidden: 16, router: 'mixtral' }, r), rng) as unknown as Module<tf.Tensor, tf.Tensor>;
    return { model, x: tf.tensor2d(values(128 * 2, 5), [128, 2]), y: tf.tensor2d(values(128, 6), [128, 1]), loss: (out, y) => mse(out, y) };
  }
  // The bench's dropless layer: 512 tokens, d=64, 64 experts, top-2, hidden 256.
  const model = new MoE({ dim: 64, numExperts: 64, topK: 2, hidden: 256, capacityFactor: null }, rng) as unknown as Module<tf.Tensor, tf.Tensor>;
  return { model, x: tf.tensor2d(values(512 * 64, 5), [512, 64]), y: tf.tensor2d(values(512 * 64, 6), [512, 64]), loss: (out, y) => mse(out, y) };
}

/** Steps per second of Weft's trainer (Adam, as the pages) on each model, with `threads` threads; one call per page. */
export async function probeTraining(threads: number, steps: number, models: readonly TrainingModel[] = TRAINING_MODELS): Promise<{ threads: number; stepsPerSecond: Record<string, number> }> {
  const report = await initBackend({ prefer: ['wasm'], fallback: false, wasmThreads: threads });
  if (report.backend !== 'wasm') throw new Error(`threads probe: got backend ${report.backend}, not wasm`);
  const stepsPerSecond: Record<string, number> = {};
  for (const name of models) {
    const { model, x, y, loss } = trainingSetup(name);
    const optimizer = makeOptimizer({ name: 'adam', learningRate: 1e-3 });
    const run = (n: number) => train({ model, optimizer, steps: n, batch: () => ({ x, y }), loss: (out) => loss(out, y), reportEvery: n });
    await run(5); // warm-up: optimizer slots, kernel set-up
    const t0 = performance.now();
    await run(steps);
    stepsPerSecond[name] = (steps * 1000) / (performance.now() - t0);
    optimizer.dispose();
    model.dispose();
    tf.dispose([x, y]);
  }
  return { threads: getThreadsCount(), stepsPerSecond };
}

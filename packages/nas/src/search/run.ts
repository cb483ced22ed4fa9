// Run a search with core's trainer: the searcher's bilevel step is the trainer's custom `step`
// hook; each step draws a seeded training batch and a validation batch (gathered on the device,
// no readback), so a page can watch progress, abort, and read α between reports.
import * as tf from '@tensorflow/tfjs-core';
import { Rng, checkKnownKeys, configKeys, train, type TrainProgress, type TrainResult } from '@weft/core';
import type { Batch, SearchBatch, Searcher } from './bilevel.js';

/** Options of {@link runSearch}. */
export interface RunSearchOptions<R> {
  /** The searcher (from createCellSearch / createEntangledSearch). */
  searcher: Searcher<R>;
  /** Training split (weights). Tensors stay the caller's. */
  train: Batch;
  /** Validation split (architecture). */
  val: Batch;
  /** Steps. */
  steps: number;
  /** Batch size of both splits (clamped to the split sizes). Default 64. */
  batchSize?: number;
  /** Seed of the batch draws and of the trainer's contexts. Default 0. */
  seed?: number;
  /** Steps between reports. Default 10. */
  reportEvery?: number;
  /** Progress callback (loss = training loss; metrics.valLoss). */
  onProgress?: (p: TrainProgress) => void | Promise<void>;
  /** Stop early. */
  signal?: AbortSignal;
}

const RUN_SEARCH_KEYS = configKeys<RunSearchOptions<unknown>>({
  searcher: true, train: true, val: true, steps: true, batchSize: true, seed: true, reportEvery: true, onProgress: true, signal: true,
});

/** What {@link runSearch} returns. */
export interface RunSearchResult<R> {
  /** The architecture found (SPOS ranks its candidates on the whole validation split). */
  result: R;
  /** The trainer's result. */
  training: TrainResult;
  /** Wall time, s. */
  seconds: number;
}

/** Seeded index batches drawn up front (plain arrays; uploaded per step inside the step's tidy). */
function drawIndices(n: number, size: number, steps: number, rng: Rng): Int32Array[] {
  return Array.from({ length: steps }, () => Int32Array.from({ length: size }, () => rng.int(n)));
}

/** Run `steps` search steps, then read the result. */
export async function runSearch<R>(o: RunSearchOptions<R>): Promise<RunSearchResult<R>> {
  checkKnownKeys('runSearch', o, RUN_SEARCH_KEYS);
  const { searcher, steps } = o;
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`runSearch: steps=${steps} must be an integer ≥ 1`);
  const bs = o.batchSize ?? 64;
  if (!Number.isInteger(bs) || bs < 1) throw new Error(`runSearch: batchSize=${bs} must be an integer ≥ 1`);
  const nT = o.train.x.shape[0]!;
  const nV = o.val.x.shape[0]!;
  if (nT < 1 || nV < 1) throw new Error(`runSearch: train has ${nT} and val has ${nV} examples; both need at least 1`);
  const rng = new Rng(o.seed ?? 0);
  const ti = drawIndices(nT, Math.min(bs, nT), steps, rng.fork('train'));
  const vi = drawIndices(nV, Math.min(bs, nV), steps, rng.fork('val'));
  const pick = (b: Batch, idx: Int32Array): Batch => {
    const i = tf.tensor1d(idx, 'int32');
    return { x: tf.gather(b.x, i), y: tf.gather(b.y, i) };
  };
  await searcher.ready?.();
  const t0 = performance.now();
  const training = await train<SearchBatch>({
    steps,
    batch: (i) => ({ train: pick(o.train, ti[i]!), val: pick(o.val, vi[i]!) }),
    step: (b, s) => searcher.step(b, s),
    reportEvery: o.reportEvery ?? 10,
    onProgress: o.onProgress,
    signal: o.signal,
    seed: o.seed ?? 0,
  });
  const result = await searcher.result(o.val);
  return { result, training, seconds: (performance.now() - t0) / 1000 };
}

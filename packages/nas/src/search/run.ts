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
  // One trainer run, or two around the searcher's pause; step numbers and the contexts' seeds
  // (seed + step) continue across the pause as in one run.
  const p = searcher.pauseAt;
  const cuts = p !== undefined && searcher.atPause && p > 0 && p < steps ? [0, p, steps] : [0, steps];
  const runs: TrainResult[] = [];
  for (let c = 0; c + 1 < cuts.length; c++) {
    const from = cuts[c]!;
    if (from > 0) {
      if (runs.at(-1)!.stoppedBy === 'abort') break;
      const b = tf.tidy(() => pick(o.train, ti[from]!) as unknown as tf.TensorContainer) as unknown as Batch;
      try {
        await searcher.atPause!(b);
      } finally {
        tf.dispose([b.x, b.y]);
      }
    }
    runs.push(
      await train<SearchBatch>({
        steps: cuts[c + 1]! - from,
        batch: (i) => ({ train: pick(o.train, ti[from + i]!), val: pick(o.val, vi[from + i]!) }),
        step: (b, s) => searcher.step(b, { ...s, step: s.step + from }),
        reportEvery: o.reportEvery ?? 10,
        onProgress: o.onProgress ? (q) => o.onProgress!({ ...q, step: q.step + from }) : undefined,
        signal: o.signal,
        seed: (o.seed ?? 0) + from,
      }),
    );
  }
  const last = runs.at(-1)!;
  const done = runs.reduce((n, r) => n + r.steps, 0);
  const training: TrainResult = runs.length === 1 ? last : {
    ...last,
    steps: done,
    history: runs.flatMap((r, k) => r.history.map((h) => ({ ...h, step: h.step + cuts[k]! }))),
    skippedSteps: runs.reduce((n, r) => n + r.skippedSteps, 0),
    stepsPerSecond: done / Math.max(1e-9, (performance.now() - t0) / 1000),
  };
  const result = await searcher.result(o.val);
  return { result, training, seconds: (performance.now() - t0) / 1000 };
}

// The one shape every toy dataset has (plain typed arrays, so data exists before a backend does
// and is identical on every backend), and the array-level operations on it: subset, split,
// shuffled batches, concatenation and per-task views.
import { Rng } from '../random.js';
import { describeValue } from '../config.js';

/** What a dataset's targets are. */
export type DatasetTask = 'classification' | 'regression' | 'sequence';

/** A typed array a dataset stores: float32 features/targets or int32 labels/tokens. */
export type DataArray = Float32Array | Int32Array;

/**
 * Target value at positions that are not scored (the PyTorch / Hugging Face convention).
 * `tf.oneHot` maps it to an all-zero row, so `-sum(oneHot(y, C) * logSoftmax(logits))` already
 * ignores those positions; divide by the number of scored positions (`y !== IGNORE_INDEX`).
 */
export const IGNORE_INDEX = -100;

/**
 * A toy dataset: N examples, stored row-major.
 *
 * Conventions by `task`:
 * - `classification`: `x` float32 `[N, ...features]`, `y` int32 `[N]` in `[0, numClasses)`.
 * - `regression`: `x` float32 `[N, ...features]`, `y` float32 `[N, outputs]`.
 * - `sequence`: `x` int32 tokens `[N, T]` in `[0, vocabSize)`; `y` int32 either `[N]` (one class
 *   per sequence, for a classifier reading the sequence) or `[N, T]` (one target per position, for
 *   a language model or a token tagger) holding {@link IGNORE_INDEX} where a position is not scored.
 *   `numClasses` is the width of the output softmax.
 */
export interface Dataset {
  /** Registry name of the generator that made it (e.g. `'spirals'`). */
  name: string;
  /** What the targets are; see the interface doc for the shape conventions. */
  task: DatasetTask;
  /** Inputs, row-major, `xShape[0] = N`. */
  x: DataArray;
  /** Shape of `x`. */
  xShape: number[];
  /** Targets, row-major, `yShape[0] = N`. */
  y: DataArray;
  /** Shape of `y`. */
  yShape: number[];
  /** Number of classes (classification and sequence tasks): the output width. */
  numClasses?: number;
  /** Input vocabulary size including special tokens (sequence tasks). */
  vocabSize?: number;
  /**
   * Per-example side arrays (`[N]`, or `[N, k]` flattened row-major), carried through `subset`,
   * `split` and `batches`: e.g. `cluster` ids, `task` ids, shape `center`s.
   */
  extra?: Record<string, DataArray>;
  /** Dataset-level constants (JSON-serialisable): special token ids, cluster centers, task angles. */
  meta?: Record<string, number | string | boolean | number[] | string[]>;
}

/** Number of examples in a dataset. */
export function numExamples(ds: Dataset): number {
  return ds.xShape[0]!;
}

/** Width of one row of `array` in a dataset of `n` examples (product of the non-leading dims). */
function rowWidth(array: DataArray, n: number, what: string): number {
  if (n === 0) return 0;
  if (array.length % n !== 0) throw new Error(`Dataset: ${what} has ${array.length} elements, not a multiple of N=${n}`);
  return array.length / n;
}

function gatherRows<A extends DataArray>(array: A, width: number, indices: ArrayLike<number>): A {
  const out = new (array.constructor as new (n: number) => A)(indices.length * width);
  for (let i = 0; i < indices.length; i++) {
    const src = indices[i]! * width;
    out.set(array.subarray(src, src + width), i * width);
  }
  return out;
}

/** The examples of `ds` at `indices` (copied, in that order; repeats allowed). */
export function subset(ds: Dataset, indices: ArrayLike<number>): Dataset {
  const n = numExamples(ds);
  for (let i = 0; i < indices.length; i++) {
    const k = indices[i]!;
    if (!Number.isInteger(k) || k < 0 || k >= n) {
      throw new Error(`subset: indices[${i}]=${k} must be an integer in [0, ${n - 1}]`);
    }
  }
  const m = indices.length;
  const out: Dataset = {
    ...ds,
    x: gatherRows(ds.x, rowWidth(ds.x, n, 'x'), indices),
    xShape: [m, ...ds.xShape.slice(1)],
    y: gatherRows(ds.y, rowWidth(ds.y, n, 'y'), indices),
    yShape: [m, ...ds.yShape.slice(1)],
  };
  if (ds.extra) {
    out.extra = {};
    for (const [key, array] of Object.entries(ds.extra)) {
      out.extra[key] = gatherRows(array, rowWidth(array, n, `extra.${key}`), indices);
    }
  }
  return out;
}

function toRng(where: string, rng: Rng | number): Rng {
  if (rng instanceof Rng) return rng;
  if (!Number.isFinite(rng)) throw new Error(`${where}: rng=${rng} must be an Rng or a finite seed`);
  return new Rng(rng);
}

/**
 * Shuffle `ds` and cut it into consecutive parts of the given fractions, e.g. `[0.8, 0.1, 0.1]`
 * for train/val/test, or `[0.5, 0.5]` for the two halves of a bilevel (DARTS) search. Fractions
 * must be positive and sum to at most 1 (the rest is dropped). Sizes are rounded at cumulative
 * boundaries, so they always add up. Not stratified.
 */
export function split(ds: Dataset, fractions: readonly number[], rng: Rng | number): Dataset[] {
  if (!Array.isArray(fractions) || fractions.length === 0) {
    throw new Error(`split: fractions=${describeValue(fractions)} must be a non-empty array of numbers in (0, 1]`);
  }
  let total = 0;
  for (const [i, f] of fractions.entries()) {
    if (!Number.isFinite(f) || f <= 0 || f > 1) throw new Error(`split: fractions[${i}]=${describeValue(f)} must be a number in (0, 1]`);
    total += f;
  }
  if (total > 1 + 1e-9) throw new Error(`split: fractions=${describeValue(fractions)} sum to ${total}; they must sum to at most 1`);
  const n = numExamples(ds);
  const order = toRng('split', rng).permutation(n);
  const parts: Dataset[] = [];
  let start = 0;
  let cumulative = 0;
  for (const f of fractions) {
    cumulative += f;
    const end = Math.min(n, Math.round(Math.min(cumulative, 1) * n));
    parts.push(subset(ds, order.subarray(start, end)));
    start = end;
  }
  return parts;
}

/** Options of {@link batches} and {@link batchIndices}. */
export interface BatchOptions {
  /** Shuffle each epoch with this generator (or seed). Default: no shuffling, examples in order. */
  rng?: Rng | number;
  /** Drop the last batch of an epoch when it is smaller than `batchSize`. Default: false. */
  dropLast?: boolean;
  /** Number of passes over the data; `Infinity` for an endless stream. Default: 1. */
  epochs?: number;
}

/** Index batches over `n` examples: the building block of {@link batches}, or for `tf.gather` on data already on the device. */
export function* batchIndices(n: number, batchSize: number, options: BatchOptions = {}): Generator<Int32Array> {
  if (!Number.isInteger(n) || n < 0) throw new Error(`batchIndices: n=${n} must be an integer ≥ 0`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batches: batchSize=${batchSize} must be an integer ≥ 1`);
  const epochs = options.epochs ?? 1;
  if (!(epochs === Infinity || (Number.isInteger(epochs) && epochs >= 0))) {
    throw new Error(`batches: epochs=${epochs} must be an integer ≥ 0 or Infinity`);
  }
  const dropLast = options.dropLast ?? false;
  if (epochs === Infinity && (n === 0 || (dropLast && n < batchSize))) {
    throw new Error(`batches: an endless stream over n=${n} examples with batchSize=${batchSize}, dropLast=${dropLast} would yield nothing forever`);
  }
  const rng = options.rng === undefined ? null : toRng('batches', options.rng);
  for (let epoch = 0; epoch < epochs; epoch++) {
    let order: Int32Array;
    if (rng) order = rng.permutation(n);
    else {
      order = new Int32Array(n);
      for (let i = 0; i < n; i++) order[i] = i;
    }
    for (let start = 0; start < n; start += batchSize) {
      const end = Math.min(n, start + batchSize);
      if (dropLast && end - start < batchSize) break;
      yield order.slice(start, end);
    }
  }
}

/**
 * Mini-batches of `ds` as small datasets (plain arrays; turn one into tensors with `toTensors`
 * and dispose them after the step). Shuffled per epoch when `options.rng` is given.
 */
export function* batches(ds: Dataset, batchSize: number, options: BatchOptions = {}): Generator<Dataset> {
  for (const indices of batchIndices(numExamples(ds), batchSize, options)) yield subset(ds, indices);
}

/**
 * Concatenate datasets with the same task, dtypes and per-example shapes (e.g. the tasks of a
 * family). `extra` arrays present in every part are concatenated; `meta` comes from the first.
 */
export function concatDatasets(parts: readonly Dataset[], name = parts[0]?.name ?? 'concat'): Dataset {
  if (parts.length === 0) throw new Error('concatDatasets: parts=[] must hold at least one dataset');
  const first = parts[0]!;
  const same = (a: number[], b: number[]) => a.length === b.length && a.every((v, i) => i === 0 || v === b[i]);
  for (const [i, p] of parts.entries()) {
    if (p.task !== first.task || p.x.constructor !== first.x.constructor || p.y.constructor !== first.y.constructor ||
        !same(p.xShape, first.xShape) || !same(p.yShape, first.yShape)) {
      throw new Error(`concatDatasets: parts[${i}] (${p.task}, x ${describeValue(p.xShape)}, y ${describeValue(p.yShape)}) ` +
        `does not match parts[0] (${first.task}, x ${JSON.stringify(first.xShape)}, y ${JSON.stringify(first.yShape)})`);
    }
  }
  const cat = <A extends DataArray>(arrays: A[]): A => {
    const out = new (arrays[0]!.constructor as new (n: number) => A)(arrays.reduce((s, a) => s + a.length, 0));
    let offset = 0;
    for (const a of arrays) {
      out.set(a, offset);
      offset += a.length;
    }
    return out;
  };
  const n = parts.reduce((s, p) => s + numExamples(p), 0);
  const out: Dataset = {
    ...first,
    name,
    x: cat(parts.map((p) => p.x)),
    xShape: [n, ...first.xShape.slice(1)],
    y: cat(parts.map((p) => p.y)),
    yShape: [n, ...first.yShape.slice(1)],
  };
  if (first.extra) {
    out.extra = {};
    for (const key of Object.keys(first.extra)) {
      if (parts.every((p) => p.extra?.[key] && p.extra[key]!.constructor === first.extra![key]!.constructor)) {
        out.extra[key] = cat(parts.map((p) => p.extra![key]!));
      }
    }
  }
  return out;
}

/** The per-task datasets of a multi-task dataset (one with an int32 `extra.task`), in task order. */
export function splitByTask(ds: Dataset): Dataset[] {
  const task = ds.extra?.task;
  if (!(task instanceof Int32Array)) throw new Error(`splitByTask: dataset "${ds.name}" has no int32 extra.task`);
  const numTasks = typeof ds.meta?.numTasks === 'number' ? ds.meta.numTasks : task.reduce((m, t) => Math.max(m, t + 1), 0);
  const members: number[][] = Array.from({ length: numTasks }, () => []);
  for (let i = 0; i < task.length; i++) members[task[i]!]!.push(i);
  return members.map((idx) => subset(ds, idx));
}

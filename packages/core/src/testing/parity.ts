// backendParity: run the same computation on several backends (same seed, values made in JS)
// and report how far the outputs drift from the first backend's.
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, type BackendName } from '../backend.js';
import { Rng } from '../random.js';

/** Options of {@link backendParity}. */
export interface BackendParityOptions {
  /** Seed of the `Rng` handed to the function on every backend. Default: 0. */
  seed?: number;
}

/** What {@link backendParity} measured. */
export interface BackendParityResult {
  /** The backends, the first being the reference. */
  backends: BackendName[];
  /** Each backend's outputs, flattened, in the order the function returned them. */
  outputs: Partial<Record<BackendName, Float32Array[]>>;
  /** Per backend: max |output − reference output| over every element. */
  diffs: Partial<Record<BackendName, number>>;
  /** The largest of `diffs`. */
  maxAbsDiff: number;
  /** Max |difference| / max(|reference|, 1e-6), elementwise, over every backend. */
  maxRelDiff: number;
}

/**
 * Run `fn` once per backend (each made active in turn, Weft's kernels registered) with a fresh
 * `Rng(seed)`. Build every weight and input from that rng so all backends see the same numbers.
 * Returned tensors are read with `await data()` and disposed; the previous backend is restored.
 */
export async function backendParity(
  fn: (rng: Rng, backend: BackendName) => tf.Tensor | tf.Tensor[] | Promise<tf.Tensor | tf.Tensor[]>,
  backends: BackendName[],
  options: BackendParityOptions = {},
): Promise<BackendParityResult> {
  if (!Array.isArray(backends) || backends.length === 0) throw new Error('backendParity: backends must list at least one backend');
  const previous = tf.getBackend();
  const result: BackendParityResult = { backends, outputs: {}, diffs: {}, maxAbsDiff: 0, maxRelDiff: 0 };
  let shapes: number[][] | null = null;
  try {
    for (const b of backends) {
      const report = await initBackend({ prefer: [b], fallback: false });
      if (report.backend !== b) throw new Error(`backendParity: backend ${b} did not initialise: ${report.reasons[b] ?? ''}`);
      const out = await fn(new Rng(options.seed ?? 0), b);
      const list = Array.isArray(out) ? out : [out];
      const data: Float32Array[] = [];
      for (const t of list) data.push(Float32Array.from(await t.data()));
      const these = list.map((t) => [...t.shape]);
      tf.dispose(list);
      if (!shapes) shapes = these;
      else if (JSON.stringify(shapes) !== JSON.stringify(these)) {
        throw new Error(`backendParity: ${b} returned shapes ${JSON.stringify(these)}, ${backends[0]} returned ${JSON.stringify(shapes)}`);
      }
      result.outputs[b] = data;
      const ref = result.outputs[backends[0]!]!;
      let diff = 0;
      for (let k = 0; k < data.length; k++) {
        for (let i = 0; i < data[k]!.length; i++) {
          const d = Math.abs(data[k]![i]! - ref[k]![i]!);
          const dd = Number.isNaN(d) ? Infinity : d;
          diff = Math.max(diff, dd);
          result.maxRelDiff = Math.max(result.maxRelDiff, dd / Math.max(Math.abs(ref[k]![i]!), 1e-6));
        }
      }
      result.diffs[b] = diff;
      result.maxAbsDiff = Math.max(result.maxAbsDiff, diff);
    }
  } finally {
    if (previous && tf.getBackend() !== previous) await tf.setBackend(previous);
  }
  return result;
}

// Parameter Competition Balancing for Model Merging (PCB-Merging, arXiv:2410.02396): each entry of
// each task vector gets a score = intra-balancing exp(T · minmax(|τᵢ|)²) × inter-balancing
// tanh(τᵢ ⊙ Σⱼ τⱼ); entries below the top-`ratio` score of their task are dropped, the rest weighted
// by their min-max-normalised score, and the merge is Σ wᵢ sᵢ τᵢ / Σ sᵢ. Departures: scores are
// normalised per layer (the paper over the whole flattened model); no outlier clamping of |τ|.
import { checkNumber } from '@weft/core/internal';
import { registerMergeMethod } from './registry.js';

/** Options of "pcb". */
export interface PcbOptions {
  /** Fraction of each task's entries kept (its highest balanced scores), in (0, 1]. Default: 0.1 (the paper's K). */
  ratio: number;
}

/** Min-max normalisation to [0, 1] (all zeros when constant). */
function minMax(x: Float64Array): Float64Array {
  let lo = Infinity, hi = -Infinity;
  for (const v of x) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  return x.map((v) => (hi > lo ? (v - lo) / (hi - lo) : 0));
}

/** PCB's balanced score of every entry of every task (before dropping), as Float64Arrays. */
export function pcbScores(tasks: Float32Array[]): Float64Array[] {
  const n = tasks[0]!.length, T = tasks.length;
  const sum = new Float64Array(n);
  for (const t of tasks) t.forEach((v, j) => (sum[j]! += v));
  return tasks.map((t) => {
    const intra = minMax(Float64Array.from(t, Math.abs));
    return intra.map((v, j) => Math.exp(T * v * v) * Math.tanh(t[j]! * sum[j]!));
  });
}

registerMergeMethod('pcb', {
  label: 'PCB-Merging',
  paper: 'Parameter Competition Balancing for Model Merging (arXiv:2410.02396)',
  defaults: { ratio: 0.1 } satisfies PcbOptions,
  check: (o: PcbOptions, where) => {
    const ratio = checkNumber(where, 'ratio', o.ratio, 0, 1);
    if (ratio === 0) throw new Error(`${where}: ratio=0 must be > 0 (the fraction of entries kept)`);
    return { ratio };
  },
  merge(tasks, weights, o: PcbOptions) {
    const n = tasks[0]!.length;
    const scales = pcbScores(tasks).map((score) => {
      // Clamp below the top-ratio threshold, then min-max: dropped entries get 0, the best 1.
      const sorted = Float64Array.from(score).sort();
      const floor = sorted[Math.min(n - 1, Math.floor(n * (1 - o.ratio)))]!;
      return minMax(score.map((v) => Math.max(v, floor)));
    });
    const out = new Float32Array(n);
    for (let j = 0; j < n; j++) {
      let num = 0, den = 0;
      tasks.forEach((t, i) => {
        num += weights[i]! * scales[i]![j]! * t[j]!;
        den += scales[i]![j]!;
      });
      out[j] = num / Math.max(den, 1e-12);
    }
    return out;
  },
});

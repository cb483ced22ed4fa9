// One benchmark case: measured side by side in one run, reported as a ratio (or a plain
// figure when there is nothing to compare with). `pnpm bench` runs every case of
// bench/cases/*.ts and writes bench/results.json keyed by case name.

/** What a case reports. */
export interface BenchResult {
  /** The figure, usually a ratio of two times measured in the same run. */
  value: number;
  /** Free-form numbers behind the figure (the raw times, sizes, repetitions). */
  detail: Record<string, unknown>;
}

/** A benchmark case. */
export interface BenchCase {
  /** Key in results.json, e.g. `core.segment_sum_speedup`. */
  name: string;
  /** What the figure is, e.g. "ratio" or "s". */
  unit: string;
  /** The tfjs backend the case ran on (set by the case; "cpu+wasm" when it compares two). */
  backend: string;
  /** The target the issue sets, or null to just report. */
  target: number | null;
  /** Whether lower or higher is better. */
  better: 'lower' | 'higher';
  /** Measure. The runner calls it once; the case does its own warm-up and repetitions. */
  run(): Promise<BenchResult>;
}

/** Median wall time in ms of `fn` over `reps` runs after `warmup` runs. */
export async function medianMs(fn: () => Promise<void> | void, reps: number, warmup = 2): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

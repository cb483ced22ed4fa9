// leakCheck: run a step repeatedly and assert tf.memory().numTensors stays flat after warm-up
// (the first steps may allocate lasting state: optimizer slots, cached constants).
import * as tf from '@tensorflow/tfjs-core';

/** Options of {@link leakCheck}. */
export interface LeakCheckOptions {
  /** Measured steps. Default: 5. */
  steps?: number;
  /** Steps run before the baseline is taken. Default: 2. */
  warmup?: number;
  /** Tensors a step may leave above the baseline. Default: 0. */
  tolerance?: number;
}

/** The tensor counts {@link leakCheck} saw. */
export interface LeakCheckResult {
  /** numTensors after warm-up. */
  baseline: number;
  /** numTensors after each measured step. */
  counts: number[];
  /** Last count minus the baseline. */
  leaked: number;
}

/**
 * Run `step` `warmup` times, take tf.memory().numTensors as the baseline, run it `steps` more
 * times, and throw if any count exceeds baseline + tolerance. Returns the counts.
 */
export async function leakCheck(step: () => Promise<void> | void, options: LeakCheckOptions = {}): Promise<LeakCheckResult> {
  const steps = options.steps ?? 5;
  const warmup = options.warmup ?? 2;
  const tolerance = options.tolerance ?? 0;
  if (!Number.isInteger(steps) || steps <= 0) throw new Error(`leakCheck: steps=${steps} must be a positive integer`);
  if (!Number.isInteger(warmup) || warmup < 0) throw new Error(`leakCheck: warmup=${warmup} must be a non-negative integer`);
  if (!Number.isInteger(tolerance) || tolerance < 0) throw new Error(`leakCheck: tolerance=${tolerance} must be a non-negative integer`);
  for (let i = 0; i < warmup; i++) await step();
  const baseline = tf.memory().numTensors;
  const counts: number[] = [];
  for (let i = 0; i < steps; i++) {
    await step();
    counts.push(tf.memory().numTensors);
  }
  const result = { baseline, counts, leaked: counts[counts.length - 1]! - baseline };
  if (counts.some((c) => c > baseline + tolerance)) {
    throw new Error(`leakCheck: tensors grew after warm-up: baseline ${baseline}, counts after each step [${counts.join(', ')}] (tolerance ${tolerance})`);
  }
  return result;
}

// Sine regression in 1-D, and a family of sines with random amplitude, phase (and optionally
// frequency) per task, as in MAML's sinusoid benchmark (amplitude in [0.1, 5], phase in [0, π],
// x in [-5, 5]) for meta-learning and multi-task adapters.
import type { Rng } from '../random.js';
import { checkInt, checkNumber, checkOrdered, checkSize } from '../check.js';
import { resolveConfig } from '../config.js';
import { datasetRng } from './rng.js';
import type { Dataset } from './dataset.js';

/** Config of {@link sine}. */
export interface SineConfig {
  /** Number of points. Default 200. */
  n: number;
  /** Angular frequency ω in y = A sin(ω x + φ). Default 1. */
  frequency: number;
  /** Amplitude A. Default 1. */
  amplitude: number;
  /** Phase φ in radians. Default 0. */
  phase: number;
  /** Standard deviation of Gaussian noise added to y. Default 0.05. */
  noise: number;
  /** Lower end of the uniform x range. Default -5. */
  xMin: number;
  /** Upper end of the uniform x range. Default 5. */
  xMax: number;
}

/** Defaults of {@link SineConfig}. */
export const SINE_DEFAULTS: SineConfig = { n: 200, frequency: 1, amplitude: 1, phase: 0, noise: 0.05, xMin: -5, xMax: 5 };

function checkRange(where: string, c: { n: number; noise: number; xMin: number; xMax: number }): void {
  checkInt(where, 'n', c.n, 1);
  checkNumber(where, 'noise', c.noise, 0);
  checkNumber(where, 'xMin', c.xMin);
  checkNumber(where, 'xMax', c.xMax);
  checkOrdered(where, 'xMin', c.xMin, 'xMax', c.xMax);
}

function fill(rng: Rng, x: Float32Array, y: Float32Array, from: number, n: number, a: number, w: number, p: number, c: { noise: number; xMin: number; xMax: number }): void {
  for (let i = from; i < from + n; i++) {
    const xi = rng.uniform(c.xMin, c.xMax);
    x[i] = xi;
    y[i] = a * Math.sin(w * xi + p) + rng.normal(0, c.noise);
  }
}

/** One sine: x float32 `[N, 1]` uniform in [xMin, xMax], y float32 `[N, 1]` = A sin(ω x + φ) + noise. */
export function sine(config?: Partial<SineConfig>, seed: number | Rng = 0): Dataset {
  const c = resolveConfig('sine', SINE_DEFAULTS, config);
  checkRange('sine', c);
  checkNumber('sine', 'frequency', c.frequency);
  checkNumber('sine', 'amplitude', c.amplitude);
  checkNumber('sine', 'phase', c.phase);
  checkSize('sine', `n=${c.n}`, c.n);
  const rng = datasetRng('sine', seed, 'sine');
  const x = new Float32Array(c.n);
  const y = new Float32Array(c.n);
  fill(rng, x, y, 0, c.n, c.amplitude, c.frequency, c.phase, c);
  return { name: 'sine', task: 'regression', x, xShape: [c.n, 1], y, yShape: [c.n, 1] };
}

/** Config of {@link sineFamily}. */
export interface SineFamilyConfig {
  /** Number of tasks (sines). Default 10. */
  tasks: number;
  /** Points per task. Default 50. */
  n: number;
  /** Amplitudes are uniform in [amplitudeMin, amplitudeMax]. Default 0.1. */
  amplitudeMin: number;
  /** Default 5. */
  amplitudeMax: number;
  /** Phases are uniform in [phaseMin, phaseMax]. Default 0. */
  phaseMin: number;
  /** Default π. */
  phaseMax: number;
  /** Frequencies are uniform in [frequencyMin, frequencyMax]. Default 1. */
  frequencyMin: number;
  /** Default 1. */
  frequencyMax: number;
  /** Standard deviation of Gaussian noise added to y. Default 0. */
  noise: number;
  /** Lower end of the uniform x range. Default -5. */
  xMin: number;
  /** Upper end of the uniform x range. Default 5. */
  xMax: number;
}

/** Defaults of {@link SineFamilyConfig}. */
export const SINE_FAMILY_DEFAULTS: SineFamilyConfig = {
  tasks: 10, n: 50, amplitudeMin: 0.1, amplitudeMax: 5, phaseMin: 0, phaseMax: Math.PI,
  frequencyMin: 1, frequencyMax: 1, noise: 0, xMin: -5, xMax: 5,
};

/**
 * A family of sines, all tasks in one dataset (task k's points are contiguous): x float32
 * `[tasks·n, 1]`, y float32 `[tasks·n, 1]`, `extra.task` int32; `meta.amplitudes`, `meta.phases`,
 * `meta.frequencies` per task. Use `splitByTask` for one dataset per task.
 */
export function sineFamily(config?: Partial<SineFamilyConfig>, seed: number | Rng = 0): Dataset {
  const where = 'sineFamily';
  const c = resolveConfig(where, SINE_FAMILY_DEFAULTS, config);
  checkInt(where, 'tasks', c.tasks, 1, 100_000);
  checkRange(where, c);
  for (const [lo, hi] of [['amplitudeMin', 'amplitudeMax'], ['phaseMin', 'phaseMax'], ['frequencyMin', 'frequencyMax']] as const) {
    checkNumber(where, lo, c[lo]);
    checkNumber(where, hi, c[hi]);
    checkOrdered(where, lo, c[lo], hi, c[hi]);
  }
  const total = c.tasks * c.n;
  checkSize(where, `tasks=${c.tasks} × n=${c.n}`, total);
  const rng = datasetRng(where, seed, 'sineFamily');
  const x = new Float32Array(total);
  const y = new Float32Array(total);
  const task = new Int32Array(total);
  const amplitudes: number[] = [];
  const phases: number[] = [];
  const frequencies: number[] = [];
  for (let k = 0; k < c.tasks; k++) {
    const a = rng.uniform(c.amplitudeMin, c.amplitudeMax);
    const p = rng.uniform(c.phaseMin, c.phaseMax);
    const w = rng.uniform(c.frequencyMin, c.frequencyMax);
    amplitudes.push(a);
    phases.push(p);
    frequencies.push(w);
    fill(rng, x, y, k * c.n, c.n, a, w, p, c);
    task.fill(k, k * c.n, (k + 1) * c.n);
  }
  return {
    name: 'sine-family', task: 'regression', x, xShape: [total, 1], y, yShape: [total, 1],
    extra: { task }, meta: { numTasks: c.tasks, amplitudes, phases, frequencies },
  };
}

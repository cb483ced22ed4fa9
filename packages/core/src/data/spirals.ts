// Interleaved spirals in 2-D (the classic "two spirals" benchmark, with K arms as in CS231n):
// arm k is r = t·radius, θ = 2π·turns·t + 2πk/K for t uniform in [0, 1], plus Gaussian noise.
import type { Rng } from '../random.js';
import { checkInt, checkNumber, checkSize } from '../check.js';
import { resolveConfig } from '../config.js';
import { datasetRng } from './rng.js';
import type { Dataset } from './dataset.js';

/** Config of {@link spirals}. */
export interface SpiralsConfig {
  /** Number of points (split evenly between arms; label = i mod arms). Default 1000. */
  n: number;
  /** Number of arms = classes. Default 2. */
  arms: number;
  /** Turns of each arm from center to rim. Default 1.5. */
  turns: number;
  /** Radius at the outer end of an arm. Default 1. */
  radius: number;
  /** Standard deviation of the Gaussian noise added to each coordinate. Default 0.05. */
  noise: number;
}

/** Defaults of {@link SpiralsConfig}. */
export const SPIRALS_DEFAULTS: SpiralsConfig = { n: 1000, arms: 2, turns: 1.5, radius: 1, noise: 0.05 };

/** Interleaved spirals: x float32 `[N, 2]`, y int32 `[N]` (arm index). */
export function spirals(config?: Partial<SpiralsConfig>, seed: number | Rng = 0): Dataset {
  const c = resolveConfig('spirals', SPIRALS_DEFAULTS, config);
  checkInt('spirals', 'n', c.n, 1);
  checkInt('spirals', 'arms', c.arms, 2, 64);
  checkNumber('spirals', 'turns', c.turns, 0, 100);
  checkNumber('spirals', 'radius', c.radius, Number.MIN_VALUE);
  checkNumber('spirals', 'noise', c.noise, 0);
  checkSize('spirals', `n=${c.n}`, 2 * c.n);
  const rng = datasetRng('spirals', seed, 'spirals');
  const x = new Float32Array(2 * c.n);
  const y = new Int32Array(c.n);
  for (let i = 0; i < c.n; i++) {
    const k = i % c.arms;
    const t = rng.next();
    const theta = 2 * Math.PI * (c.turns * t + k / c.arms);
    x[2 * i] = c.radius * t * Math.cos(theta) + rng.normal(0, c.noise);
    x[2 * i + 1] = c.radius * t * Math.sin(theta) + rng.normal(0, c.noise);
    y[i] = k;
  }
  return { name: 'spirals', task: 'classification', x, xShape: [c.n, 2], y, yShape: [c.n], numClasses: c.arms };
}

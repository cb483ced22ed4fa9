// Two interleaving half circles (scikit-learn's make_moons), shifted by (-0.5, -0.25) so the data
// is centered at the origin.
import type { Rng } from '../random.js';
import { checkInt, checkNumber, checkSize } from '../check.js';
import { resolveConfig } from '../config.js';
import { datasetRng } from './rng.js';
import type { Dataset } from './dataset.js';

/** Config of {@link moons}. */
export interface MoonsConfig {
  /** Number of points (label = i mod 2, so the two moons are balanced). Default 1000. */
  n: number;
  /** Standard deviation of the Gaussian noise added to each coordinate. Default 0.1. */
  noise: number;
}

/** Defaults of {@link MoonsConfig}. */
export const MOONS_DEFAULTS: MoonsConfig = { n: 1000, noise: 0.1 };

/** Two moons: x float32 `[N, 2]`, y int32 `[N]` (0 = upper moon, 1 = lower moon). */
export function moons(config?: Partial<MoonsConfig>, seed: number | Rng = 0): Dataset {
  const c = resolveConfig('moons', MOONS_DEFAULTS, config);
  checkInt('moons', 'n', c.n, 1);
  checkNumber('moons', 'noise', c.noise, 0);
  checkSize('moons', `n=${c.n}`, 2 * c.n);
  const rng = datasetRng('moons', seed, 'moons');
  const x = new Float32Array(2 * c.n);
  const y = new Int32Array(c.n);
  for (let i = 0; i < c.n; i++) {
    const k = i % 2;
    const t = Math.PI * rng.next();
    const px = k === 0 ? Math.cos(t) : 1 - Math.cos(t);
    const py = k === 0 ? Math.sin(t) : 0.5 - Math.sin(t);
    x[2 * i] = px - 0.5 + rng.normal(0, c.noise);
    x[2 * i + 1] = py - 0.25 + rng.normal(0, c.noise);
    y[i] = k;
  }
  return { name: 'moons', task: 'classification', x, xShape: [c.n, 2], y, yShape: [c.n], numClasses: 2 };
}

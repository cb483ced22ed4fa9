// XOR in 2-D: points in the four quadrants of [-1, 1]², label 1 where the signs differ.
import type { Rng } from '../random.js';
import { checkInt, checkNumber, checkSize } from '../check.js';
import { resolveConfig } from '../config.js';
import { datasetRng } from './rng.js';
import type { Dataset } from './dataset.js';

/** Config of {@link xor}. */
export interface XorConfig {
  /** Number of points (label = i mod 2, so balanced). Default 1000. */
  n: number;
  /** Gap kept free around both axes: |coordinate| is uniform in [margin, 1]. Default 0.05. */
  margin: number;
  /** Standard deviation of the Gaussian noise added after labelling (may cross an axis). Default 0. */
  noise: number;
}

/** Defaults of {@link XorConfig}. */
export const XOR_DEFAULTS: XorConfig = { n: 1000, margin: 0.05, noise: 0 };

/** XOR: x float32 `[N, 2]`, y int32 `[N]` (1 when sign(x₀) ≠ sign(x₁) before noise). */
export function xor(config?: Partial<XorConfig>, seed: number | Rng = 0): Dataset {
  const c = resolveConfig('xor', XOR_DEFAULTS, config);
  checkInt('xor', 'n', c.n, 1);
  checkNumber('xor', 'margin', c.margin, 0, 0.99);
  checkNumber('xor', 'noise', c.noise, 0);
  checkSize('xor', `n=${c.n}`, 2 * c.n);
  const rng = datasetRng('xor', seed, 'xor');
  const x = new Float32Array(2 * c.n);
  const y = new Int32Array(c.n);
  for (let i = 0; i < c.n; i++) {
    const k = i % 2;
    const s0 = rng.next() < 0.5 ? -1 : 1;
    const s1 = k === 0 ? s0 : -s0;
    x[2 * i] = s0 * rng.uniform(c.margin, 1) + rng.normal(0, c.noise);
    x[2 * i + 1] = s1 * rng.uniform(c.margin, 1) + rng.normal(0, c.noise);
    y[i] = k;
  }
  return { name: 'xor', task: 'classification', x, xShape: [c.n, 2], y, yShape: [c.n], numClasses: 2 };
}

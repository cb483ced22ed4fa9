// Two concentric circles (scikit-learn's make_circles): a class no linear model can separate.
import type { Rng } from '../random.js';
import { checkInt, checkNumber, checkSize } from '../check.js';
import { resolveConfig } from '../config.js';
import { datasetRng } from './rng.js';
import type { Dataset } from './dataset.js';

/** Config of {@link circles}. */
export interface CirclesConfig {
  /** Number of points (label = i mod 2, so balanced). Default 1000. */
  n: number;
  /** Inner radius as a fraction of the outer radius 1, in (0, 1). Default 0.5. */
  factor: number;
  /** Standard deviation of the Gaussian noise added to each coordinate. Default 0.05. */
  noise: number;
}

/** Defaults of {@link CirclesConfig}. */
export const CIRCLES_DEFAULTS: CirclesConfig = { n: 1000, factor: 0.5, noise: 0.05 };

/** Concentric circles: x float32 `[N, 2]`, y int32 `[N]` (0 = outer circle, 1 = inner circle). */
export function circles(config?: Partial<CirclesConfig>, seed: number | Rng = 0): Dataset {
  const c = resolveConfig('circles', CIRCLES_DEFAULTS, config);
  checkInt('circles', 'n', c.n, 1);
  checkNumber('circles', 'factor', c.factor, 0, 1);
  if (c.factor === 0 || c.factor === 1) throw new Error(`circles: factor=${c.factor} must be strictly between 0 and 1`);
  checkNumber('circles', 'noise', c.noise, 0);
  checkSize('circles', `n=${c.n}`, 2 * c.n);
  const rng = datasetRng('circles', seed, 'circles');
  const x = new Float32Array(2 * c.n);
  const y = new Int32Array(c.n);
  for (let i = 0; i < c.n; i++) {
    const k = i % 2;
    const r = k === 0 ? 1 : c.factor;
    const t = 2 * Math.PI * rng.next();
    x[2 * i] = r * Math.cos(t) + rng.normal(0, c.noise);
    x[2 * i + 1] = r * Math.sin(t) + rng.normal(0, c.noise);
    y[i] = k;
  }
  return { name: 'circles', task: 'classification', x, xShape: [c.n, 2], y, yShape: [c.n], numClasses: 2 };
}

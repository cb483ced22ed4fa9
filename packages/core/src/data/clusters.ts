// Gaussian clusters ("blobs"): C isotropic Gaussians in d dimensions whose centers lie on a
// sphere of radius `spread` (evenly spaced on a circle when d = 2, random directions when d ≥ 3).
import type { Rng } from '../random.js';
import { checkInt, checkNumber, checkSize } from '../check.js';
import { resolveConfig } from '../config.js';
import { datasetRng } from './rng.js';
import type { Dataset } from './dataset.js';

/** Config of {@link clusters}. */
export interface ClustersConfig {
  /** Number of points (label = i mod clusters, so balanced). Default 1000. */
  n: number;
  /** Number of clusters = classes. Default 3. */
  clusters: number;
  /** Dimension of the points. Default 2. */
  dim: number;
  /** Distance of every center from the origin. Default 2. */
  spread: number;
  /** Standard deviation of each cluster along every axis. Default 0.5. */
  std: number;
}

/** Defaults of {@link ClustersConfig}. */
export const CLUSTERS_DEFAULTS: ClustersConfig = { n: 1000, clusters: 3, dim: 2, spread: 2, std: 0.5 };

/**
 * `count` centers in `dim` dimensions at distance `spread` from the origin, flattened `[count, dim]`:
 * evenly spaced in [-spread, spread] for d = 1, evenly spaced on a circle (random rotation) for
 * d = 2, random directions for d ≥ 3.
 */
export function clusterCenters(rng: Rng, count: number, dim: number, spread: number): Float32Array {
  const centers = new Float32Array(count * dim);
  if (dim === 1) {
    for (let k = 0; k < count; k++) centers[k] = count === 1 ? 0 : spread * (-1 + (2 * k) / (count - 1));
  } else if (dim === 2) {
    const offset = 2 * Math.PI * rng.next();
    for (let k = 0; k < count; k++) {
      centers[2 * k] = spread * Math.cos(offset + (2 * Math.PI * k) / count);
      centers[2 * k + 1] = spread * Math.sin(offset + (2 * Math.PI * k) / count);
    }
  } else {
    for (let k = 0; k < count; k++) {
      let norm = 0;
      for (let j = 0; j < dim; j++) {
        const v = rng.normal();
        centers[k * dim + j] = v;
        norm += v * v;
      }
      norm = Math.sqrt(norm) || 1;
      for (let j = 0; j < dim; j++) centers[k * dim + j] = (centers[k * dim + j]! * spread) / norm;
    }
  }
  return centers;
}

/** Gaussian clusters: x float32 `[N, dim]`, y int32 `[N]` (cluster index); `meta.centers` is `[clusters, dim]` flattened. */
export function clusters(config?: Partial<ClustersConfig>, seed: number | Rng = 0): Dataset {
  const c = resolveConfig('clusters', CLUSTERS_DEFAULTS, config);
  checkInt('clusters', 'n', c.n, 1);
  checkInt('clusters', 'clusters', c.clusters, 1, 1024);
  checkInt('clusters', 'dim', c.dim, 1, 4096);
  checkNumber('clusters', 'spread', c.spread, 0);
  checkNumber('clusters', 'std', c.std, 0);
  checkSize('clusters', `n=${c.n} × dim=${c.dim}`, c.n * c.dim);
  const rng = datasetRng('clusters', seed, 'clusters');
  const centers = clusterCenters(rng, c.clusters, c.dim, c.spread);
  const x = new Float32Array(c.n * c.dim);
  const y = new Int32Array(c.n);
  for (let i = 0; i < c.n; i++) {
    const k = i % c.clusters;
    for (let j = 0; j < c.dim; j++) x[i * c.dim + j] = centers[k * c.dim + j]! + rng.normal(0, c.std);
    y[i] = k;
  }
  return {
    name: 'clusters', task: 'classification', x, xShape: [c.n, c.dim], y, yShape: [c.n], numClasses: c.clusters,
    meta: { centers: Array.from(centers) },
  };
}

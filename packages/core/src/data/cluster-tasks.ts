// Gaussian clusters with a different target function per cluster, for mixture-of-experts:
// a dense model must fit C unrelated functions at once, an MoE can give each cluster an expert.
// Each cluster c has its own random f_c applied to local coordinates z = (x - μ_c) / std
// (so every f_c sees inputs ~ N(0, I)): linear f_c(z) = W_c z + b_c, or a random one-hidden-layer
// tanh network. The cluster id is returned in `extra.cluster` so routing can be scored against it.
import type { Rng } from '../random.js';
import { checkInt, checkNumber, checkOneOf, checkSize } from '../check.js';
import { resolveConfig } from '../config.js';
import { datasetRng } from './rng.js';
import { clusterCenters } from './clusters.js';
import type { Dataset } from './dataset.js';

/** Config of {@link clusterTasks}. */
export interface ClusterTasksConfig {
  /** Number of points (cluster = i mod clusters, so balanced). Default 2000. */
  n: number;
  /** Number of clusters, each with its own target function. Default 4. */
  clusters: number;
  /** Input dimension. Default 2. */
  dim: number;
  /** Distance of every cluster center from the origin (see `clusters`). Default 3. */
  spread: number;
  /** Standard deviation of each cluster along every axis. Default 0.5. */
  std: number;
  /** `'regression'`: y float32 `[N, outputs]`; `'classification'`: y = argmax of f_c, int32 `[N]`. Default `'regression'`. */
  task: 'regression' | 'classification';
  /** Regression output width, or number of classes (≥ 2) for classification. Default 1. */
  outputs: number;
  /** `'linear'` (W z + b) or `'nonlinear'` (W₂ tanh(W₁ z + b₁) + b₂). Default `'linear'`. */
  target: 'linear' | 'nonlinear';
  /** Hidden width of the nonlinear targets. Default 16. */
  hidden: number;
  /** Standard deviation of Gaussian noise added to f_c (before the argmax for classification). Default 0. */
  noise: number;
}

/** Defaults of {@link ClusterTasksConfig}. */
export const CLUSTER_TASKS_DEFAULTS: ClusterTasksConfig = {
  n: 2000, clusters: 4, dim: 2, spread: 3, std: 0.5, task: 'regression', outputs: 1, target: 'linear', hidden: 16, noise: 0,
};

/**
 * Clusters with per-cluster targets: x float32 `[N, dim]`; y float32 `[N, outputs]` (regression)
 * or int32 `[N]` (classification); `extra.cluster` int32 `[N]`; `meta.centers` `[clusters, dim]`.
 */
export function clusterTasks(config?: Partial<ClusterTasksConfig>, seed: number | Rng = 0): Dataset {
  const where = 'clusterTasks';
  const c = resolveConfig(where, CLUSTER_TASKS_DEFAULTS, config);
  checkInt(where, 'n', c.n, 1);
  checkInt(where, 'clusters', c.clusters, 1, 1024);
  checkInt(where, 'dim', c.dim, 1, 4096);
  checkNumber(where, 'spread', c.spread, 0);
  checkNumber(where, 'std', c.std, Number.MIN_VALUE);
  checkOneOf(where, 'task', c.task, ['regression', 'classification'] as const);
  checkInt(where, 'outputs', c.outputs, c.task === 'classification' ? 2 : 1, 1024);
  checkOneOf(where, 'target', c.target, ['linear', 'nonlinear'] as const);
  checkInt(where, 'hidden', c.hidden, 1, 1024);
  checkNumber(where, 'noise', c.noise, 0);
  checkSize(where, `n=${c.n} × dim=${c.dim}`, c.n * Math.max(c.dim, c.outputs));
  const width = c.target === 'linear' ? c.dim : c.hidden;
  checkSize(where, 'the target functions', c.clusters * (c.dim * c.hidden + width * c.outputs));

  const rng = datasetRng(where, seed, 'clusterTasks');
  const centers = clusterCenters(rng, c.clusters, c.dim, c.spread);
  // Per cluster: W1 [dim, hidden], b1 [hidden] (nonlinear only); W [width, outputs], b [outputs].
  const fns = Array.from({ length: c.clusters }, () => {
    const w1 = c.target === 'nonlinear' ? rng.normalArray(c.dim * c.hidden, 0, 2 / Math.sqrt(c.dim)) : null;
    const b1 = c.target === 'nonlinear' ? rng.normalArray(c.hidden, 0, 0.5) : null;
    const w = rng.normalArray(width * c.outputs, 0, 1 / Math.sqrt(width));
    const b = rng.normalArray(c.outputs, 0, 1);
    return { w1, b1, w, b };
  });

  const x = new Float32Array(c.n * c.dim);
  const cluster = new Int32Array(c.n);
  const y = c.task === 'regression' ? new Float32Array(c.n * c.outputs) : new Int32Array(c.n);
  const z = new Float64Array(c.dim);
  const h = new Float64Array(width);
  const out = new Float64Array(c.outputs);
  for (let i = 0; i < c.n; i++) {
    const k = i % c.clusters;
    cluster[i] = k;
    for (let j = 0; j < c.dim; j++) {
      z[j] = rng.normal();
      x[i * c.dim + j] = centers[k * c.dim + j]! + c.std * z[j]!;
    }
    const f = fns[k]!;
    if (f.w1 && f.b1) {
      for (let u = 0; u < c.hidden; u++) {
        let s = f.b1[u]!;
        for (let j = 0; j < c.dim; j++) s += z[j]! * f.w1[j * c.hidden + u]!;
        h[u] = Math.tanh(s);
      }
    } else h.set(z);
    for (let o = 0; o < c.outputs; o++) {
      let s = f.b[o]!;
      for (let u = 0; u < width; u++) s += h[u]! * f.w[u * c.outputs + o]!;
      out[o] = s + rng.normal(0, c.noise);
    }
    if (c.task === 'regression') for (let o = 0; o < c.outputs; o++) y[i * c.outputs + o] = out[o]!;
    else {
      let best = 0;
      for (let o = 1; o < c.outputs; o++) if (out[o]! > out[best]!) best = o;
      y[i] = best;
    }
  }
  return {
    name: 'cluster-tasks', task: c.task, x, xShape: [c.n, c.dim], y,
    yShape: c.task === 'regression' ? [c.n, c.outputs] : [c.n],
    ...(c.task === 'classification' ? { numClasses: c.outputs } : {}),
    extra: { cluster },
    meta: { centers: Array.from(centers), numClusters: c.clusters },
  };
}

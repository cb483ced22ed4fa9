// ROME: Robustifying Memory-Efficient NAS via Topology Disentanglement and Gradient Accumulation
// (arXiv 2011.11233), §1, after Understanding and Robustifying DARTS (arXiv 1909.09656): DARTS
// collapse — as search goes on, the derived genotype fills with parameter-free operations,
// skip-connections first, and single-path methods (GDAS) collapse too. Measured on a supernet's edge
// weights: the share of the derived (top-2) genotype's normal-cell edges that are skip_connect, and
// that are parameter-free (skip, pools; `none` is never derived). `trackCollapse` records both over
// a search through runSearch's progress reports.
import type { CellKind } from './supernet.js';
import { parseGenotype } from './genotype.js';
import { isParametric } from './ops.js';
import type { CellSpaceConfig } from './space.js';

/** The collapse measures of one derived genotype. */
export interface CollapseShare {
  /** Share of the normal cell's derived edges that are skip_connect. */
  skip: number;
  /** Share that are parameter-free ops (skip_connect, pools, …). */
  parameterFree: number;
}

/** Collapse measures of the genotype derived from edge weights (softmax α per edge, as `edgeWeights()` gives). */
export function collapseShare(weights: Record<CellKind, number[][]>, space: CellSpaceConfig): CollapseShare {
  const g = parseGenotype(weights, space);
  const ops = g.normal.map(([op]) => op);
  return {
    skip: ops.filter((op) => op === 'skip_connect').length / ops.length,
    parameterFree: ops.filter((op) => !isParametric(op, space.space)).length / ops.length,
  };
}

/** One point of a collapse trajectory. */
export interface CollapsePoint extends CollapseShare {
  step: number;
}

/**
 * A progress callback for runSearch that records the collapse measures of `net` at every report;
 * `points` fills as the search runs.
 */
export function trackCollapse(net: { edgeWeights(): Promise<Record<CellKind, number[][]>>; space: CellSpaceConfig }): { points: CollapsePoint[]; onProgress: (p: { step: number }) => Promise<void> } {
  const points: CollapsePoint[] = [];
  return {
    points,
    onProgress: async (p) => {
      points.push({ step: p.step, ...collapseShare(await net.edgeWeights(), net.space) });
    },
  };
}

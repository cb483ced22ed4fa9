// Parameter Efficient Merging for Multimodal Large Language Models with Complementary Parameter
// Adaptation (CoPA-Merging, arXiv:2502.17159), reconstructed from the paper's description (its exact
// formulas were not available here): (1) each task's ΔW is pruned to its top-`density` entries (the
// kept entries keep their direction) and rescaled by σ₁(ΔW)/σ₁(pruned ΔW), compensating the gap the
// pruning opens in the leading singular value; (2) cross-task normalisation: each entry of Σ wᵢ sᵢ
// pruned(ΔWᵢ) is divided by the number of tasks that kept it.
import { checkNumber } from '@weft/core/internal';
import { svd } from '../svd.js';
import { magnitudePrune } from './prune.js';
import { registerMergeMethod } from './registry.js';

/** Options of "copa". */
export interface CopaOptions {
  /** Fraction of each task vector's entries kept, in (0, 1]. Default: 0.2. */
  density: number;
}

/** σ₁ of a rows×cols matrix. */
function topSingular(x: Float32Array, rows: number, cols: number): number {
  return svd(x, rows, cols).s[0] ?? 0;
}

registerMergeMethod('copa', {
  label: 'CoPA-Merging',
  paper: 'Parameter Efficient Merging for Multimodal Large Language Models with Complementary Parameter Adaptation (arXiv:2502.17159)',
  defaults: { density: 0.2 } satisfies CopaOptions,
  check: (o: CopaOptions, where) => {
    const density = checkNumber(where, 'density', o.density, 0, 1);
    if (density === 0) throw new Error(`${where}: density=0 must be > 0 (the fraction of entries kept)`);
    return { density };
  },
  merge(tasks, weights, o: CopaOptions, ctx) {
    const n = tasks[0]!.length;
    const sum = new Float32Array(n), count = new Float32Array(n);
    tasks.forEach((t, i) => {
      const p = magnitudePrune(t, o.density);
      const sp = topSingular(p, ctx.rows, ctx.cols);
      const scale = sp > 0 ? topSingular(t, ctx.rows, ctx.cols) / sp : 0;
      p.forEach((v, j) => {
        if (v === 0) return;
        sum[j]! += weights[i]! * scale * v;
        count[j]! += 1;
      });
    });
    return sum.map((v, j) => v / Math.max(count[j]!, 1));
  },
});

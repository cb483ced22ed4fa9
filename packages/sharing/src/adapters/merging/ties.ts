// TIES-Merging: Resolving Interference When Merging Models (arXiv:2306.01708): trim each task
// vector to its top-density entries, elect each entry's sign, average the agreeing weighted values.
import { checkNumber, checkOneOf } from '@weft/core/internal';
import { disjointMerge, magnitudePrune, type MajoritySignMethod } from './prune.js';
import { registerMergeMethod } from './registry.js';

/** Options of "ties-merging". */
export interface TiesOptions {
  /** Fraction of each task vector's entries kept (trim), in [0, 1]. Default: 0.5. */
  density: number;
  /** Sign election: 'total' (sign of Σ τ) or 'frequency' (sign of Σ sign τ). Default: 'total'. */
  majoritySign: MajoritySignMethod;
}

/** Check TIES' options. */
export function checkTiesOptions(o: TiesOptions, where: string): TiesOptions {
  checkOneOf(where, 'majoritySign', o.majoritySign, ['total', 'frequency'] as const);
  return { density: checkNumber(where, 'density', o.density, 0, 1), majoritySign: o.majoritySign };
}

registerMergeMethod('ties-merging', {
  label: 'TIES-Merging',
  paper: 'TIES-Merging: Resolving Interference When Merging Models (arXiv:2306.01708)',
  defaults: { density: 0.5, majoritySign: 'total' } satisfies TiesOptions,
  check: checkTiesOptions,
  merge: (tasks, weights, o: TiesOptions) => disjointMerge(tasks.map((t) => magnitudePrune(t, o.density)), weights, o.majoritySign),
});

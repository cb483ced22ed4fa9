// Language Models are Super Mario: Absorbing Abilities from Homologous Models as a Free Lunch
// (DARE, arXiv:2311.03099): drop each task-vector entry with probability 1 − density and rescale
// the kept ones by 1/density, then add (dare) or TIES-merge (dare-ties). Seeded masks.
import { checkNumber, checkOneOf } from '@weft/core/internal';
import { disjointMerge, randomPrune, weightedSum, type MajoritySignMethod } from './prune.js';
import { registerMergeMethod } from './registry.js';

/** Options of "dare". */
export interface DareOptions {
  /** Keep probability, in (0, 1]. Default: 0.5. */
  density: number;
}

/** Options of "dare-ties". */
export interface DareTiesOptions extends DareOptions {
  /** Sign election: 'total' or 'frequency'. Default: 'total'. */
  majoritySign: MajoritySignMethod;
}

const density = (where: string, d: number) => {
  checkNumber(where, 'density', d, 0, 1);
  if (d === 0) throw new Error(`${where}: density=0 must be > 0 (DARE rescales the kept entries by 1/density)`);
  return d;
};

registerMergeMethod('dare', {
  label: 'DARE',
  paper: 'Language Models are Super Mario: Absorbing Abilities from Homologous Models as a Free Lunch (arXiv:2311.03099)',
  defaults: { density: 0.5 } satisfies DareOptions,
  check: (o: DareOptions, where) => ({ density: density(where, o.density) }),
  merge: (tasks, weights, o: DareOptions, ctx) => weightedSum(tasks.map((t) => randomPrune(t, o.density, ctx.rng)), weights),
});

registerMergeMethod('dare-ties', {
  label: 'DARE + TIES',
  paper: 'Language Models are Super Mario (arXiv:2311.03099) with TIES-Merging (arXiv:2306.01708)',
  defaults: { density: 0.5, majoritySign: 'total' } satisfies DareTiesOptions,
  check: (o: DareTiesOptions, where) => {
    checkOneOf(where, 'majoritySign', o.majoritySign, ['total', 'frequency'] as const);
    return { density: density(where, o.density), majoritySign: o.majoritySign };
  },
  merge: (tasks, weights, o: DareTiesOptions, ctx) => disjointMerge(tasks.map((t) => randomPrune(t, o.density, ctx.rng)), weights, o.majoritySign),
});

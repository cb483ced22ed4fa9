// Editing Models with Task Arithmetic (arXiv:2212.04089): τ = Σ wᵢ τᵢ on each layer's ΔW, and the
// magnitude-pruned variant (each τᵢ keeps its ⌊density·n⌋ largest entries first; PEFT's
// magnitude_prune applied to ΔW rather than to the LoRA factors).
import { checkNumber } from '@weft/core/internal';
import { magnitudePrune, weightedSum } from './prune.js';
import { registerMergeMethod } from './registry.js';

/** Options of "magnitude-prune". */
export interface MagnitudePruneOptions {
  /** Fraction of each task vector's entries kept, in [0, 1]. Default: 0.5. */
  density: number;
}

registerMergeMethod('task-arithmetic', {
  label: 'Task arithmetic',
  paper: 'Editing Models with Task Arithmetic (arXiv:2212.04089)',
  defaults: {},
  merge: (tasks, weights) => weightedSum(tasks, weights),
});

registerMergeMethod('magnitude-prune', {
  label: 'Magnitude-pruned task arithmetic',
  paper: 'Editing Models with Task Arithmetic (arXiv:2212.04089), pruned as in TIES-Merging (arXiv:2306.01708)',
  defaults: { density: 0.5 } satisfies MagnitudePruneOptions,
  check: (o: MagnitudePruneOptions, where) => ({ density: checkNumber(where, 'density', o.density, 0, 1) }),
  merge: (tasks, weights, o: MagnitudePruneOptions) => weightedSum(tasks.map((t) => magnitudePrune(t, o.density)), weights),
});

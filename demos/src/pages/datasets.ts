// The datasets the 2-D pages offer, read from @weft/core's dataset registry: every registered
// single-task classification dataset of 2-D points. A registry entry does not declare its task
// or shape, so each is made once (with its defaults, ~60 ms for the whole registry) and looked at.
import { DATASETS } from '@weft/core';

let cached: [string, ...string[]] | null = null;

/** Registry names of the single-task 2-D classification datasets, in registry order. */
export function twoDimClassification(): [string, ...string[]] {
  if (cached) return cached;
  const names = Object.entries(DATASETS)
    .filter(([, entry]) => {
      const d = entry.make(undefined, 0);
      // A multi-task family (rotated spirals, permuted labels) carries `extra.task`: the same point
      // has a different label per task, which a single classifier cannot learn.
      return d.task === 'classification' && d.xShape.length === 2 && d.xShape[1] === 2 && d.extra?.['task'] === undefined;
    })
    .map(([name]) => name);
  if (names.length === 0) throw new Error('demos: the dataset registry has no 2-D classification dataset');
  cached = names as [string, ...string[]];
  return cached;
}

// The random generator a dataset draws from.
import { Rng } from '../random.js';

/** The generator a dataset draws from: a fork named after the dataset, so datasets made from one seed are independent. */
export function datasetRng(where: string, seed: number | Rng, name: string): Rng {
  if (seed instanceof Rng) return seed.fork(name);
  if (!Number.isFinite(seed)) throw new Error(`${where}: seed=${seed} must be a finite number or an Rng`);
  return new Rng(seed).fork(name);
}

// The dataset registry: name → {description, defaults, make(config, seed)}, so demo pages can
// list the datasets and put a name, a config and a seed in the URL.
import { circles, CIRCLES_DEFAULTS } from './circles.js';
import { CLUSTER_TASKS_DEFAULTS, clusterTasks } from './cluster-tasks.js';
import { clusters, CLUSTERS_DEFAULTS } from './clusters.js';
import { resolveConfig, describeValue } from '../config.js';
import type { Dataset } from './dataset.js';
import { MODULAR_ADDITION_DEFAULTS, modularAddition } from './modular-addition.js';
import { moons, MOONS_DEFAULTS } from './moons.js';
import { PERMUTED_LABELS_DEFAULTS, permutedLabels, ROTATED_SPIRALS_DEFAULTS, rotatedSpirals } from './multitask.js';
import { PARITY_DEFAULTS, parityTask } from './parity.js';
import { copyTask, reverseTask, SEQUENCE_DEFAULTS, sortTask } from './sequences.js';
import { shapes, SHAPES_DEFAULTS } from './shapes.js';
import { sine, SINE_DEFAULTS, SINE_FAMILY_DEFAULTS, sineFamily } from './sine.js';
import { spirals, SPIRALS_DEFAULTS } from './spirals.js';
import { xor, XOR_DEFAULTS } from './xor.js';

/** A registered dataset generator. */
export interface DatasetEntry<C extends object = object> {
  /** One line for a menu. */
  description: string;
  /** The full default config (JSON-serialisable). */
  defaults: C;
  /** Make the dataset from a partial config (validated; unknown keys rejected) and a seed. */
  make(config: Partial<C> | undefined, seed: number): Dataset;
}

/** Config of the `permuted-labels` registry entry: a registered classification dataset and the family's config. */
export interface PermutedLabelsEntryConfig {
  /** Registry name of the base classification dataset. Default `'clusters'`. */
  base: string;
  /** Config of the base dataset (its defaults where absent). Default `{}`. */
  baseConfig: Record<string, unknown>;
  /** Number of tasks; see `permutedLabels`. Default 4. */
  tasks: number;
}

const entry = <C extends object>(description: string, defaults: C, make: (config: Partial<C> | undefined, seed: number) => Dataset): DatasetEntry<C> =>
  ({ description, defaults, make });

/** Every dataset by name. Add one with {@link registerDataset}. */
export const DATASETS: Record<string, DatasetEntry> = {
  spirals: entry('Interleaved 2-D spirals, one class per arm', SPIRALS_DEFAULTS, spirals),
  moons: entry('Two interleaving half circles', MOONS_DEFAULTS, moons),
  circles: entry('Two concentric circles', CIRCLES_DEFAULTS, circles),
  xor: entry('XOR of the signs of two coordinates', XOR_DEFAULTS, xor),
  clusters: entry('Gaussian clusters, one class per cluster', CLUSTERS_DEFAULTS, clusters),
  'cluster-tasks': entry('Gaussian clusters, each with its own target function (for mixture-of-experts)', CLUSTER_TASKS_DEFAULTS, clusterTasks),
  sine: entry('1-D sine regression', SINE_DEFAULTS, sine),
  'sine-family': entry('Sines with random amplitude and phase per task', SINE_FAMILY_DEFAULTS, sineFamily),
  copy: entry('Copy a token string', SEQUENCE_DEFAULTS, copyTask),
  reverse: entry('Reverse a token string', SEQUENCE_DEFAULTS, reverseTask),
  sort: entry('Sort a token string', SEQUENCE_DEFAULTS, sortTask),
  parity: entry('Parity of a token string', PARITY_DEFAULTS, parityTask),
  'modular-addition': entry('a + b mod p, one token per number', MODULAR_ADDITION_DEFAULTS, modularAddition),
  shapes: entry('Small images of squares, circles, triangles, crosses and lines', SHAPES_DEFAULTS, shapes),
  'rotated-spirals': entry('Spirals rotated by a different angle per task', ROTATED_SPIRALS_DEFAULTS, rotatedSpirals),
  'permuted-labels': entry<PermutedLabelsEntryConfig>(
    'A classification dataset with a different label permutation per task',
    { base: 'clusters', baseConfig: {}, tasks: PERMUTED_LABELS_DEFAULTS.tasks },
    (config, seed) => {
      const c = resolveConfig('permuted-labels', { base: 'clusters', baseConfig: {}, tasks: PERMUTED_LABELS_DEFAULTS.tasks }, config);
      if (c.base === 'permuted-labels') throw new Error(`permuted-labels: base="permuted-labels" must be another dataset`);
      return permutedLabels(makeDataset(c.base, c.baseConfig, seed), { tasks: c.tasks }, seed);
    },
  ),
};

/** Add a dataset generator to {@link DATASETS}; throws if the name is taken. */
export function registerDataset<C extends object>(name: string, e: DatasetEntry<C>): void {
  if (Object.hasOwn(DATASETS, name)) throw new Error(`registerDataset: name="${name}" is already registered`);
  DATASETS[name] = e as unknown as DatasetEntry;
}

/** Make a registered dataset by name (e.g. from a URL): `makeDataset('spirals', { noise: 0.1 }, 7)`. */
export function makeDataset(name: string, config?: object, seed = 0): Dataset {
  if (typeof name !== 'string' || !Object.hasOwn(DATASETS, name)) {
    throw new Error(`makeDataset: name=${describeValue(name)} must be one of ${Object.keys(DATASETS).join(', ')}`);
  }
  return DATASETS[name]!.make(config as Partial<object> | undefined, seed);
}

// Families of related tasks for multi-task training and adapters: task k is a transform of one
// base dataset (rotated inputs, permuted labels, or any function), all tasks in one dataset with
// an `extra.task` id so a batch can mix tasks; `splitByTask` gives one dataset per task.
import type { Rng } from '../random.js';
import { checkInt, checkNumber } from '../check.js';
import { resolveConfig } from '../config.js';
import { datasetRng } from './rng.js';
import { concatDatasets, type Dataset } from './dataset.js';
import { SPIRALS_DEFAULTS, spirals, type SpiralsConfig } from './spirals.js';

/** Makes task k from the base dataset; must keep the task, dtypes and per-example shapes. */
export type TaskTransform = (base: Dataset, k: number) => Dataset;

/**
 * One dataset holding task k = `transforms[k](base, k)` for every k, concatenated in task order,
 * with `extra.task` int32 `[N]` and `meta.numTasks`.
 */
export function taskFamily(base: Dataset, transforms: readonly TaskTransform[], name = `${base.name}-family`): Dataset {
  if (!Array.isArray(transforms) || transforms.length === 0) {
    throw new Error(`taskFamily: transforms must be a non-empty array of functions (got ${Array.isArray(transforms) ? '[]' : typeof transforms})`);
  }
  const tasks = transforms.map((transform, k) => {
    if (typeof transform !== 'function') throw new Error(`taskFamily: transforms[${k}] is a ${typeof transform}, must be a function`);
    const ds = transform(base, k);
    const task = new Int32Array(ds.xShape[0]!).fill(k);
    return { ...ds, extra: { ...ds.extra, task } };
  });
  const family = concatDatasets(tasks, name);
  family.meta = { ...family.meta, numTasks: transforms.length };
  return family;
}

/** A transform rotating 2-D inputs (x `[N, 2]`) counter-clockwise by `theta` radians; labels unchanged. */
export function rotation(theta: number): TaskTransform {
  checkNumber('rotation', 'theta', theta);
  return (base) => {
    if (base.xShape.length !== 2 || base.xShape[1] !== 2 || !(base.x instanceof Float32Array)) {
      throw new Error(`rotation: base "${base.name}" has x ${JSON.stringify(base.xShape)}; a rotation needs float32 [N, 2]`);
    }
    const cos = Math.cos(theta);
    const sin = Math.sin(theta);
    const x = new Float32Array(base.x.length);
    for (let i = 0; i < x.length; i += 2) {
      const a = base.x[i]!;
      const b = base.x[i + 1]!;
      x[i] = cos * a - sin * b;
      x[i + 1] = sin * a + cos * b;
    }
    return { ...base, x };
  };
}

/** A transform relabelling a classification dataset: new label = `permutation[old label]`. */
export function labelPermutation(permutation: ArrayLike<number>): TaskTransform {
  const perm = Int32Array.from(permutation);
  const seen = new Set(perm);
  if (seen.size !== perm.length || perm.some((v) => v < 0 || v >= perm.length)) {
    throw new Error(`labelPermutation: permutation=[${Array.from(perm).join(', ')}] must be a permutation of 0..${perm.length - 1}`);
  }
  return (base) => {
    if (base.task !== 'classification' || base.numClasses !== perm.length) {
      throw new Error(`labelPermutation: base "${base.name}" (${base.task}, numClasses=${base.numClasses}) must be a classification dataset with ${perm.length} classes`);
    }
    return { ...base, y: base.y.map((v) => perm[v]!) };
  };
}

/** Config of {@link rotatedSpirals}: the base spirals' config plus the family's. */
export interface RotatedSpiralsConfig extends SpiralsConfig {
  /** Number of tasks. Default 4. */
  tasks: number;
  /** Task k is the base spirals rotated by θ_k = k · maxAngle / tasks radians. Default π. */
  maxAngle: number;
}

/** Defaults of {@link RotatedSpiralsConfig}. */
export const ROTATED_SPIRALS_DEFAULTS: RotatedSpiralsConfig = { ...SPIRALS_DEFAULTS, n: 500, tasks: 4, maxAngle: Math.PI };

/**
 * Rotated spirals: one base draw of `spirals`, task k = the same points rotated by θ_k (labels
 * unchanged). x float32 `[tasks·n, 2]`, y int32, `extra.task`, `meta.angles`.
 */
export function rotatedSpirals(config?: Partial<RotatedSpiralsConfig>, seed: number | Rng = 0): Dataset {
  const where = 'rotatedSpirals';
  const c = resolveConfig(where, ROTATED_SPIRALS_DEFAULTS, config);
  checkInt(where, 'tasks', c.tasks, 1, 1024);
  checkNumber(where, 'maxAngle', c.maxAngle);
  const { tasks, maxAngle, ...spiralConfig } = c;
  const base = spirals(spiralConfig, datasetRng(where, seed, 'rotatedSpirals'));
  const angles = Array.from({ length: tasks }, (_, k) => (k * maxAngle) / tasks);
  const family = taskFamily(base, angles.map(rotation), 'rotated-spirals');
  family.meta = { ...family.meta, angles };
  return family;
}

/** Config of {@link permutedLabels}. */
export interface PermutedLabelsConfig {
  /** Number of tasks; task 0 keeps the base labels, tasks 1.. use random permutations. Default 4. */
  tasks: number;
}

/** Defaults of {@link PermutedLabelsConfig}. */
export const PERMUTED_LABELS_DEFAULTS: PermutedLabelsConfig = { tasks: 4 };

/**
 * Permuted-label tasks of one classification dataset: the same inputs, task k's label =
 * π_k(base label), π_0 = identity. `meta.permutations` is `[tasks, numClasses]` flattened.
 */
export function permutedLabels(base: Dataset, config?: Partial<PermutedLabelsConfig>, seed: number | Rng = 0): Dataset {
  const where = 'permutedLabels';
  const c = resolveConfig(where, PERMUTED_LABELS_DEFAULTS, config);
  checkInt(where, 'tasks', c.tasks, 1, 1024);
  if (base.task !== 'classification' || !base.numClasses) {
    throw new Error(`${where}: base "${base.name}" is a ${base.task} dataset; it must be a classification dataset with numClasses`);
  }
  const rng = datasetRng(where, seed, 'permutedLabels');
  const C = base.numClasses;
  const perms = Array.from({ length: c.tasks }, (_, k) => {
    if (k > 0) return rng.permutation(C);
    return Int32Array.from({ length: C }, (_, i) => i);
  });
  const family = taskFamily(base, perms.map(labelPermutation), `permuted-${base.name}`);
  family.meta = { ...family.meta, permutations: perms.flatMap((p) => Array.from(p)) };
  return family;
}

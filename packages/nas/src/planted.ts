// Planted-architecture tasks: data made by a hidden "teacher" network built from known ops (a
// random genotype of a cell space, or a random subnet of an entangled space), so a search can be
// scored by how much of the teacher it recovers. Teachers' weights are drawn from the seed and
// scaled by `gain` so nonlinear ops are driven past their linear range.
import * as tf from '@tensorflow/tfjs-core';
import { ForwardContext, Rng, checkKnownKeys, configKeys, type Module } from '@weft/core';
import { DiscreteNetwork } from './discrete.js';
import { activationOf, randomSubnet, resolveEntangledSpace, type EntangledSpaceConfig, type SubnetConfig } from './entangled/space.js';
import { SubnetNetwork } from './entangled/subnet.js';
import { randomGenotype, type Genotype } from './genotype.js';
import { NONE } from './ops.js';
import { edgeList, resolveSpace, type CellSpaceConfig } from './space.js';

/** Config of a planted task. */
export interface PlantedConfig {
  /** Examples. Default 512. */
  n: number;
  /** Multiplier of the teacher's weights. Default 2. */
  gain: number;
  /** Gaussian noise std added to the targets. Default 0. */
  noise: number;
}

/** Defaults of {@link PlantedConfig}. */
export const PLANTED_DEFAULTS: PlantedConfig = { n: 512, gain: 2, noise: 0 };
const PLANTED_KEYS = configKeys<PlantedConfig>({ n: true, gain: true, noise: true });

/** A planted task: inputs, standardised targets (regression) and the teacher's architecture. Dispose x, y. */
export interface PlantedTask<A> {
  x: tf.Tensor;
  y: tf.Tensor;
  teacher: A;
}

function makeData(model: Module, xShape: number[], c: PlantedConfig, rng: Rng) {
  // Assign inside the tidy: the scaled tensor returned from a tidy stayed allocated after assign (one tensor per parameter).
  tf.tidy(() => model.parameters().forEach((v) => v.assign(tf.mul(v, c.gain))));
  const x = tf.tensor(rng.normalArray(xShape.reduce((a, b) => a * b, 1)), xShape);
  const y = tf.tidy(() => {
    // Standardise each target to zero mean and unit variance, so a loss of 1 is "predicts the mean".
    const raw = model.forward(x, new ForwardContext());
    const { mean, variance } = tf.moments(raw, 0);
    const out = tf.div(tf.sub(raw, mean), tf.sqrt(tf.add(variance, 1e-12)));
    return c.noise > 0 ? tf.add(out, tf.tensor(rng.normalArray(out.size, 0, c.noise), out.shape)) : out;
  });
  model.dispose();
  return { x, y };
}

function resolvePlanted(config: Partial<PlantedConfig>): PlantedConfig {
  checkKnownKeys('planted', config, PLANTED_KEYS);
  const c = { ...PLANTED_DEFAULTS, ...config };
  if (!Number.isInteger(c.n) || c.n < 1) throw new Error(`planted: n=${c.n} must be an integer ≥ 1`);
  if (!(c.gain > 0)) throw new Error(`planted: gain=${c.gain} must be > 0`);
  if (!(c.noise >= 0)) throw new Error(`planted: noise=${c.noise} must be ≥ 0`);
  return c;
}

/** Data from a random genotype of a cell space (vector space: x ~ N(0, 1) of (n, inChannels)). */
export function plantedCellTask(space: Partial<CellSpaceConfig>, seed: number, config: Partial<PlantedConfig> = {}): PlantedTask<Genotype> {
  const c = resolvePlanted(config);
  const s = resolveSpace(space);
  const rng = new Rng(seed);
  const teacher = randomGenotype(s, rng.fork('genotype'));
  const net = new DiscreteNetwork(teacher, s, rng.fork('weights'));
  const xShape = s.space === 'conv' ? [c.n, 8, 8, s.inChannels] : [c.n, s.inChannels];
  return { ...makeData(net, xShape, c, rng.fork('x')), teacher };
}

/** Data from a random subnet of an entangled space (`subnet` fixes it; default random). */
export function plantedSubnetTask(space: Partial<EntangledSpaceConfig>, seed: number, config: Partial<PlantedConfig> = {}, subnet?: SubnetConfig): PlantedTask<SubnetConfig> {
  const c = resolvePlanted(config);
  const s = resolveEntangledSpace(space);
  const rng = new Rng(seed);
  const teacher = subnet ?? randomSubnet(s, rng.fork('subnet'));
  const net = new SubnetNetwork(s, teacher, rng.fork('weights'));
  const xShape = s.kind === 'cnn' ? [c.n, 8, 8, s.inFeatures] : [c.n, s.inFeatures];
  return { ...makeData(net, xShape, c, rng.fork('x')), teacher };
}

/**
 * Fraction of the teacher's edges on which the strongest non-`none` op of the searched edge
 * weights is the teacher's op (weights as from `SearchNetwork.edgeWeights()`). In a one-cell
 * vector space both cell inputs are the same stem output, so a node's edges from inputs 0 and 1
 * are exchangeable: they are matched as a multiset.
 */
export function opRecovery(teacher: Genotype, weights: { normal: number[][]; reduce: number[][] }, space: CellSpaceConfig): number {
  const edges = edgeList(space.steps);
  const none = space.ops.indexOf(NONE);
  const argmaxOp = (row: readonly number[]) => {
    let best = -1;
    row.forEach((v, i) => {
      if (i !== none && (best < 0 || v > row[best]!)) best = i;
    });
    return space.ops[best]!;
  };
  const exchangeable = space.space === 'vector' && space.layers === 1;
  let hit = 0;
  let total = 0;
  for (const [gene, W] of [[teacher.normal, weights.normal], [teacher.reduce, weights.reduce]] as const) {
    for (let node = 0; node < space.steps; node++) {
      const pairs = gene.slice(2 * node, 2 * node + 2);
      const found = (input: number) => argmaxOp(W[edges.findIndex((ed) => ed.node === node && ed.input === input)]!);
      const fromInputs = pairs.filter(([, j]) => j < 2);
      if (exchangeable && fromInputs.length > 0) {
        // Multiset match of the teacher's ops from inputs {0, 1} against the student's ops on the same number of input edges.
        // With one teacher edge from the inputs, the student's stronger input edge stands for it.
        const row = (input: number) => W[edges.findIndex((ed) => ed.node === node && ed.input === input)]!;
        const strength = (r: readonly number[]) => Math.max(...r.filter((_, i) => i !== none));
        const pool = fromInputs.length === 2 ? [found(0), found(1)] : [strength(row(0)) >= strength(row(1)) ? found(0) : found(1)];
        for (const [op] of fromInputs) {
          total++;
          const at = pool.indexOf(op);
          if (at >= 0) {
            hit++;
            pool.splice(at, 1);
          }
        }
      }
      for (const [op, j] of pairs) {
        if (exchangeable && j < 2) continue;
        total++;
        if (found(j) === op) hit++;
      }
    }
  }
  return hit / total;
}

/**
 * Fraction of the choices of `space` that a found subnet shares with the teacher: depth, and the
 * width, kernel and activation of each layer the teacher uses. Choices with a single option
 * are not counted (they cannot be missed).
 */
export function subnetRecovery(teacher: SubnetConfig, found: SubnetConfig, space: Partial<EntangledSpaceConfig>): number {
  const s = resolveEntangledSpace(space);
  let hit = 0;
  let total = 0;
  const count = (options: readonly unknown[], a: unknown, b: unknown) => {
    if (options.length < 2) return;
    total++;
    if (a === b) hit++;
  };
  count(s.depthChoices, teacher.depth, found.depth);
  for (let l = 0; l < teacher.depth; l++) {
    count(s.widthChoices, teacher.widths[l], found.widths[l]);
    if (s.kind === 'cnn') count(s.kernelChoices, teacher.kernels?.[l], found.kernels?.[l]);
    count(s.activationChoices, activationOf(s, teacher, l), activationOf(s, found, l));
  }
  if (total === 0) throw new Error('subnetRecovery: the space offers no choice (every choice list has one option)');
  return hit / total;
}

// Single Path One-Shot NAS with Uniform Sampling (SPOS, arXiv 1904.00420), the black-box
// baseline: train the supernet's weights on one uniformly sampled path per step (one non-`none`
// op per edge), then search genotypes scored by validation loss with the inherited weights: SPOS'
// evolutionary search (search/evolution.ts; genes are a node's two incoming edges), or plain random
// search over `candidates` genotypes.
import * as tf from '@tensorflow/tfjs-core';
import { rowsOf } from '../supernet.js';
import { ForwardContext, checkKnownKeys, configKeys, makeOptimizer, Rng, type OptimizerConfig, type StepContext, type StepOutput, describeValue } from '@weft/core';
import { randomGenotype, type Genotype } from '../genotype.js';
import type { CellSpaceConfig } from '../space.js';
import { evolve, resolveEvolution, type EvolutionConfig, type EvolutionResult, type GeneSpace } from './evolution.js';
import { NONE } from '../ops.js';
import type { ArchSampler, CellKind, SearchNetwork } from '../supernet.js';
import { lossOn, weightStep, type Batch, type SearchBatch, type Searcher, type TaskLoss } from './bilevel.js';

/** Config of {@link SposSearch}. */
export interface SposConfig {
  /** Optimiser of the weights. Default Adam 0.01. */
  weightOptimizer: OptimizerConfig;
  /** How `result` searches: SPOS' 'evolution' or 'random'. Default 'evolution'. */
  search: 'evolution' | 'random';
  /** The evolutionary search's sizes. Default {@link EVOLUTION_DEFAULTS}. */
  evolution: Partial<EvolutionConfig>;
  /** Random genotypes evaluated by `result` in 'random' search. Default 20. */
  candidates: number;
  /** Seed of the search's draws. Default 0. */
  seed: number;
}

/** Every key of {@link SposConfig}. */
export const SPOS_KEYS = configKeys<SposConfig>({ weightOptimizer: true, search: true, evolution: true, candidates: true, seed: true });

/** Defaults of {@link SposConfig}. */
export const SPOS_DEFAULTS: SposConfig = { weightOptimizer: { name: 'adam', learningRate: 0.01 }, search: 'evolution', evolution: {}, candidates: 20, seed: 0 };

/** Genotypes of `space` as genes: one per node of each cell (its two incoming edges, op and input). */
export function genotypeGenes(space: CellSpaceConfig): GeneSpace<Genotype> {
  const template = randomGenotype(space, new Rng(0));
  const hasReduce = template.reduce.length > 0;
  const nodes = (cell: Genotype['normal']) => Array.from({ length: space.steps }, (_, i) => cell.slice(2 * i, 2 * i + 2));
  return {
    random: (rng) => randomGenotype(space, rng),
    genes: (g) => [...nodes(g.normal), ...(hasReduce ? nodes(g.reduce) : [])],
    fromGenes: (genes) => {
      const cells = genes as Genotype['normal'][];
      return {
        normal: cells.slice(0, space.steps).flat(),
        normal_concat: [...template.normal_concat],
        reduce: hasReduce ? cells.slice(space.steps).flat() : [],
        reduce_concat: [...template.reduce_concat],
      };
    },
  };
}

/** One uniformly random non-`none` op per edge, weight 1. */
export function singlePathSampler(ops: readonly string[]): ArchSampler {
  const choices = ops.map((o, i) => (o === NONE ? -1 : i)).filter((i) => i >= 0);
  return (_kind, alpha, ctx) => {
    const E = alpha.shape[0]!;
    const ones = tf.ones([ops.length]);
    return Array.from({ length: E }, () => ({ weights: ones, active: [choices[ctx.rng.int(choices.length)]!] }));
  };
}

/** Apply a genotype to a supernet as overrides (genotype edges: their op, weight 1; other edges: off). */
export function applyGenotype(net: SearchNetwork, g: Genotype): void {
  net.overrides.clear();
  const edges = net.edges();
  for (const kind of net.kinds()) {
    const gene = kind === 'normal' ? g.normal : g.reduce;
    edges.forEach(({ node, input }, e) => {
      const picks = gene.filter((p, k) => Math.floor(k / 2) === node && p[1] === input).map((p) => net.space.ops.indexOf(p[0]));
      net.overrides.set(`${kind}:${e}`, { active: picks, unit: true });
    });
  }
}

/** SPOS. */
export class SposSearch implements Searcher<Genotype> {
  readonly method = 'spos';
  readonly config: SposConfig;
  private readonly opt: tf.Optimizer;

  constructor(readonly net: SearchNetwork, readonly loss: TaskLoss, config: Partial<SposConfig> = {}) {
    checkKnownKeys('spos', config, SPOS_KEYS);
    this.config = { ...SPOS_DEFAULTS, ...config };
    if (!Number.isInteger(this.config.candidates) || this.config.candidates < 1) throw new Error(`spos: candidates=${this.config.candidates} must be an integer ≥ 1`);
    if (this.config.search !== 'evolution' && this.config.search !== 'random') throw new Error(`spos: search=${describeValue(this.config.search)} must be 'evolution' or 'random'`);
    resolveEvolution('spos', this.config.evolution);
    this.opt = makeOptimizer(this.config.weightOptimizer);
    net.sampler = singlePathSampler(net.space.ops);
  }

  step(batch: SearchBatch, s: StepContext): StepOutput {
    return { loss: weightStep(this.net, this.opt, batch.train, this.loss, s.ctx) };
  }

  /** Search genotypes scored by the loss on `val` with the shared weights; return the best. */
  async result(val?: Batch): Promise<Genotype> {
    return (await this.search(val)).best;
  }

  /** The search behind {@link result}, with its score and per-generation history. */
  async search(val?: Batch): Promise<EvolutionResult<Genotype>> {
    if (!val) throw new Error('spos: result(val) needs a validation batch to rank candidates');
    const rng = new Rng(this.config.seed);
    const sampler = this.net.sampler;
    const score = async (g: Genotype) => {
      applyGenotype(this.net, g);
      const l = tf.tidy(() => lossOn(this.net, val, this.loss, new ForwardContext({ training: false })));
      const v = (await l.data())[0]!;
      l.dispose();
      return v;
    };
    try {
      this.net.sampler = (_kind: CellKind, alpha) => rowsOf(tf.softmax(alpha, -1)).map((weights) => ({ weights }));
      const genes = genotypeGenes(this.net.space);
      if (this.config.search === 'evolution') return await evolve(genes, score, resolveEvolution('spos', this.config.evolution), rng);
      return await evolve(genes, score, { population: this.config.candidates, generations: 0, parents: 1, mutationProb: 0 }, rng);
    } finally {
      this.net.overrides.clear();
      this.net.sampler = sampler;
    }
  }

  dispose(): void {
    this.opt.dispose();
  }
}

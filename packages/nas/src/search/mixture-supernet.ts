// Mixture-of-Supernets (arXiv 2306.04845) as a search method of the entangled space: SPOS-style
// training of a {@link MixtureSupernet} (one uniformly sampled subnet per step, the router trained
// with the experts), then the search of spos-entangled with each subnet on its own gated weights.
// The supernet `createEntangledSearch` builds gives the space only; the mixture holds the weights.
import * as tf from '@tensorflow/tfjs-core';
import { ForwardContext, Rng, checkKnownKeys, configKeys, describeValue, makeOptimizer, type OptimizerConfig, type StepContext, type StepOutput } from '@weft/core';
import { checkInt } from '@weft/core/internal';
import { MixtureSupernet } from '../entangled/mixture.js';
import { randomSubnet, type SubnetConfig } from '../entangled/space.js';
import type { EntangledSupernet } from '../entangled/supernet.js';
import type { Batch, SearchBatch, Searcher, TaskLoss } from './bilevel.js';
import { evolve, resolveEvolution, type EvolutionConfig, type EvolutionResult } from './evolution.js';
import { subnetGenes } from './spos-entangled.js';

/** Config of {@link MixtureSupernetSearch}. */
export interface MixtureSupernetConfig {
  /** Optimiser of the experts and the router. Default Adam 0.01. */
  weightOptimizer: OptimizerConfig;
  /** Expert copies of every weight. Default 2. */
  experts: number;
  /** How `result` searches: 'evolution' or 'random'. Default 'evolution'. */
  search: 'evolution' | 'random';
  /** The evolutionary search's sizes. */
  evolution: Partial<EvolutionConfig>;
  /** Random subnets ranked by `result` in 'random' search. Default 20. */
  candidates: number;
  /** Seed of the experts' initialisation and the search's draws. Default 0. */
  seed: number;
}

/** Every key of {@link MixtureSupernetConfig}. */
export const MIXTURE_SUPERNET_KEYS = configKeys<MixtureSupernetConfig>({ weightOptimizer: true, experts: true, search: true, evolution: true, candidates: true, seed: true });

/** Defaults of {@link MixtureSupernetConfig}. */
export const MIXTURE_SUPERNET_DEFAULTS: MixtureSupernetConfig = { weightOptimizer: { name: 'adam', learningRate: 0.01 }, experts: 2, search: 'evolution', evolution: {}, candidates: 20, seed: 0 };

/** SPOS training and search over a mixture of supernets. */
export class MixtureSupernetSearch implements Searcher<SubnetConfig> {
  readonly method = 'mixture-supernet';
  readonly config: MixtureSupernetConfig;
  /** The mixture holding the weights. */
  readonly mixture: MixtureSupernet;
  private readonly opt: tf.Optimizer;

  constructor(readonly net: EntangledSupernet, readonly loss: TaskLoss, config: Partial<MixtureSupernetConfig> = {}) {
    checkKnownKeys('mixture-supernet', config, MIXTURE_SUPERNET_KEYS);
    const c = (this.config = { ...MIXTURE_SUPERNET_DEFAULTS, ...config });
    checkInt('mixture-supernet', 'experts', c.experts, 1, 64);
    checkInt('mixture-supernet', 'candidates', c.candidates, 1);
    if (c.search !== 'evolution' && c.search !== 'random') throw new Error(`mixture-supernet: search=${describeValue(c.search)} must be 'evolution' or 'random'`);
    resolveEvolution('mixture-supernet', c.evolution);
    this.mixture = new MixtureSupernet(net.space, c.experts, new Rng(c.seed).fork('experts'));
    this.opt = makeOptimizer(c.weightOptimizer);
  }

  /** The mixture holds the trained weights (the supernet gives the space only). */
  get weightsModule(): MixtureSupernet {
    return this.mixture;
  }

  /** The module that scores subnets (the mixture, for every subnet). */
  netFor(_s: SubnetConfig): MixtureSupernet {
    return this.mixture;
  }

  step(batch: SearchBatch, s: StepContext): StepOutput {
    const m = this.mixture;
    m.subnet = randomSubnet(m.space, s.ctx.rng);
    try {
      return { loss: this.opt.minimize(() => this.loss(m.forward(batch.train.x, s.ctx), batch.train.y), true, m.trainableParameters())! };
    } finally {
      m.subnet = null;
    }
  }

  async result(val?: Batch): Promise<SubnetConfig> {
    return (await this.search(val)).best;
  }

  /** Search subnets scored by validation loss on their gated weights. */
  async search(val?: Batch): Promise<EvolutionResult<SubnetConfig>> {
    if (!val) throw new Error('mixture-supernet: result(val) needs a validation batch to rank candidates');
    const m = this.mixture;
    const score = async (cfg: SubnetConfig) => {
      m.subnet = cfg;
      try {
        const l = tf.tidy(() => this.loss(m.forward(val.x, new ForwardContext()), val.y));
        const v = (await l.data())[0]!;
        l.dispose();
        return v;
      } finally {
        m.subnet = null;
      }
    };
    const rng = new Rng(this.config.seed);
    const genes = subnetGenes(m.space);
    if (this.config.search === 'evolution') return evolve(genes, score, resolveEvolution('mixture-supernet', this.config.evolution), rng);
    return evolve(genes, score, { population: this.config.candidates, generations: 0, parents: 1, mutationProb: 0 }, rng);
  }

  dispose(): void {
    this.opt.dispose();
    this.mixture.dispose();
  }
}

// SMASH: One-Shot Model Architecture Search through HyperNetworks (arXiv 1708.05344), §3 as a search
// method of the entangled space: each step samples a random subnet, the HyperNet generates its
// weights and one gradient step trains the HyperNet on the training batch; `result(val)` ranks
// subnets by validation loss on their generated weights (the paper's random sampling, or the
// evolutionary search of spos-entangled) and returns the best. The paper then trains the winner
// from scratch; that is the caller's (as for every method here). The supernet `createEntangledSearch`
// builds gives the space only; the HyperNet holds the weights.
import * as tf from '@tensorflow/tfjs-core';
import { ForwardContext, Rng, checkKnownKeys, configKeys, describeValue, makeOptimizer, type OptimizerConfig, type StepContext, type StepOutput } from '@weft/core';
import { checkInt } from '@weft/core/internal';
import { SmashHyperNet } from '../entangled/hypernet.js';
import { randomSubnet, type SubnetConfig } from '../entangled/space.js';
import type { EntangledSupernet } from '../entangled/supernet.js';
import type { Batch, SearchBatch, Searcher, TaskLoss } from './bilevel.js';
import { evolve, resolveEvolution, type EvolutionConfig, type EvolutionResult } from './evolution.js';
import { subnetGenes } from './spos-entangled.js';

/** Config of {@link SmashSearch}. */
export interface SmashConfig {
  /** Optimiser of the HyperNet. Default Adam 0.003 (SMASH: Adam 1e-3). */
  weightOptimizer: OptimizerConfig;
  /** Width of the HyperNet's hidden layer. Default 32. */
  hidden: number;
  /** How `result` searches: 'random' (SMASH) or 'evolution'. Default 'random'. */
  search: 'evolution' | 'random';
  /** The evolutionary search's sizes. */
  evolution: Partial<EvolutionConfig>;
  /** Random subnets ranked by `result` in 'random' search. Default 20. */
  candidates: number;
  /** Seed of the HyperNet's initialisation and the search's draws. Default 0. */
  seed: number;
}

/** Every key of {@link SmashConfig}. */
export const SMASH_KEYS = configKeys<SmashConfig>({ weightOptimizer: true, hidden: true, search: true, evolution: true, candidates: true, seed: true });

/** Defaults of {@link SmashConfig}. */
export const SMASH_DEFAULTS: SmashConfig = { weightOptimizer: { name: 'adam', learningRate: 0.003 }, hidden: 32, search: 'random', evolution: {}, candidates: 20, seed: 0 };

/** SMASH: HyperNet training on random subnets, then search on generated weights. */
export class SmashSearch implements Searcher<SubnetConfig> {
  readonly method = 'smash';
  readonly config: SmashConfig;
  /** The HyperNet holding the weights. */
  readonly hypernet: SmashHyperNet;
  private readonly opt: tf.Optimizer;

  constructor(readonly net: EntangledSupernet, readonly loss: TaskLoss, config: Partial<SmashConfig> = {}) {
    checkKnownKeys('smash', config, SMASH_KEYS);
    const c = (this.config = { ...SMASH_DEFAULTS, ...config });
    checkInt('smash', 'hidden', c.hidden, 1, 4096);
    checkInt('smash', 'candidates', c.candidates, 1);
    if (c.search !== 'evolution' && c.search !== 'random') throw new Error(`smash: search=${describeValue(c.search)} must be 'evolution' or 'random'`);
    resolveEvolution('smash', c.evolution);
    this.hypernet = new SmashHyperNet(net.space, c.hidden, new Rng(c.seed).fork('hypernet'));
    this.opt = makeOptimizer(c.weightOptimizer);
  }

  /** The HyperNet holds the trained weights (the supernet gives the space only). */
  get weightsModule(): SmashHyperNet {
    return this.hypernet;
  }

  /** The module that scores subnets (the HyperNet, for every subnet). */
  netFor(_s: SubnetConfig): SmashHyperNet {
    return this.hypernet;
  }

  /** One random subnet, its generated weights, one HyperNet step on the training batch. */
  step(batch: SearchBatch, s: StepContext): StepOutput {
    const h = this.hypernet;
    h.subnet = randomSubnet(h.space, s.ctx.rng);
    try {
      return { loss: this.opt.minimize(() => this.loss(h.forward(batch.train.x, s.ctx), batch.train.y), true, h.trainableParameters())! };
    } finally {
      h.subnet = null;
    }
  }

  async result(val?: Batch): Promise<SubnetConfig> {
    return (await this.search(val)).best;
  }

  /** Search subnets scored by validation loss on their generated weights (SMASH's score). */
  async search(val?: Batch): Promise<EvolutionResult<SubnetConfig>> {
    if (!val) throw new Error('smash: result(val) needs a validation batch to rank candidates');
    const h = this.hypernet;
    const score = async (cfg: SubnetConfig) => {
      h.subnet = cfg;
      try {
        const l = tf.tidy(() => this.loss(h.forward(val.x, new ForwardContext()), val.y));
        const v = (await l.data())[0]!;
        l.dispose();
        return v;
      } finally {
        h.subnet = null;
      }
    };
    const rng = new Rng(this.config.seed);
    const genes = subnetGenes(h.space);
    if (this.config.search === 'evolution') return evolve(genes, score, resolveEvolution('smash', this.config.evolution), rng);
    return evolve(genes, score, { population: this.config.candidates, generations: 0, parents: 1, mutationProb: 0 }, rng);
  }

  dispose(): void {
    this.opt.dispose();
    this.hypernet.dispose();
  }
}

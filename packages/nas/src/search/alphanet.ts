// AlphaNet: Improved Training of Supernets with Alpha-Divergence (arXiv 2102.07954) on the
// weight-entangled space: sandwich-rule supernet training with in-place distillation — each step
// the largest subnet learns from the labels, and `randomSubnets` random subnets plus the smallest
// learn from the largest's (detached) output through the adaptive, clipped α-divergence
// (alpha-divergence.ts) or, with `divergence: 'kl'`, through KL (BigNAS/OFA's in-place distillation).
// The step minimises the sum of the losses (one update, as the gradients accumulated in the paper).
// `result(val)` searches as spos-entangled does. Departure: no FLOPs-constrained sampling.
import * as tf from '@tensorflow/tfjs-core';
import { ForwardContext, Rng, checkKnownKeys, configKeys, describeValue, makeOptimizer, type OptimizerConfig, type StepContext, type StepOutput } from '@weft/core';
import { checkInt } from '@weft/core/internal';
import { alphaDivergence, klDistillation } from '../alpha-divergence.js';
import { largestSubnet, randomSubnet, smallestSubnet, type SubnetConfig } from '../entangled/space.js';
import type { EntangledSupernet } from '../entangled/supernet.js';
import type { Batch, SearchBatch, Searcher, TaskLoss } from './bilevel.js';
import { evolve, resolveEvolution, type EvolutionConfig, type EvolutionResult } from './evolution.js';
import { subnetGenes } from './spos-entangled.js';

/** Config of {@link AlphaNetSearch}. */
export interface AlphaNetConfig {
  /** Optimiser of the weights. Default Adam 0.01. */
  weightOptimizer: OptimizerConfig;
  /** Distillation loss of the smaller subnets: 'alpha' (AlphaNet) or 'kl'. Default 'alpha'. */
  divergence: 'alpha' | 'kl';
  /** α− of the adaptive divergence. Default −1. */
  alphaMin: number;
  /** α+ of the adaptive divergence (1 = KL(p‖q)). Default 1. */
  alphaMax: number;
  /** Clip β of the importance weight. Default 5. */
  clip: number;
  /** Random subnets per step besides the largest and the smallest. Default 2. */
  randomSubnets: number;
  /** How `result` searches: 'evolution' or 'random'. Default 'evolution'. */
  search: 'evolution' | 'random';
  /** The evolutionary search's sizes. */
  evolution: Partial<EvolutionConfig>;
  /** Random subnets ranked by `result` in 'random' search. Default 20. */
  candidates: number;
  /** Seed of the search's draws. Default 0. */
  seed: number;
}

/** Every key of {@link AlphaNetConfig}. */
export const ALPHANET_KEYS = configKeys<AlphaNetConfig>({ weightOptimizer: true, divergence: true, alphaMin: true, alphaMax: true, clip: true, randomSubnets: true, search: true, evolution: true, candidates: true, seed: true });

/** Defaults of {@link AlphaNetConfig}. */
export const ALPHANET_DEFAULTS: AlphaNetConfig = {
  weightOptimizer: { name: 'adam', learningRate: 0.01 }, divergence: 'alpha', alphaMin: -1, alphaMax: 1, clip: 5, randomSubnets: 2, search: 'evolution', evolution: {}, candidates: 20, seed: 0,
};

/** AlphaNet (or KL in-place distillation) over an entangled supernet. */
export class AlphaNetSearch implements Searcher<SubnetConfig> {
  readonly method = 'alphanet';
  readonly config: AlphaNetConfig;
  private readonly opt: tf.Optimizer;

  constructor(readonly net: EntangledSupernet, readonly loss: TaskLoss, config: Partial<AlphaNetConfig> = {}) {
    checkKnownKeys('alphanet', config, ALPHANET_KEYS);
    const c = (this.config = { ...ALPHANET_DEFAULTS, ...config });
    if (c.divergence !== 'alpha' && c.divergence !== 'kl') throw new Error(`alphanet: divergence=${describeValue(c.divergence)} must be 'alpha' or 'kl'`);
    checkInt('alphanet', 'randomSubnets', c.randomSubnets, 0);
    checkInt('alphanet', 'candidates', c.candidates, 1);
    if (c.search !== 'evolution' && c.search !== 'random') throw new Error(`alphanet: search=${describeValue(c.search)} must be 'evolution' or 'random'`);
    resolveEvolution('alphanet', c.evolution);
    // Checks alphaMin, alphaMax and clip with the divergence's own messages.
    tf.tidy(() => void alphaDivergence(tf.zeros([1, 2]), tf.zeros([1, 2]), { alphaMin: c.alphaMin, alphaMax: c.alphaMax, clip: c.clip }));
    this.opt = makeOptimizer(c.weightOptimizer);
  }

  private distill(student: tf.Tensor, teacher: tf.Tensor): tf.Scalar {
    const c = this.config;
    return c.divergence === 'kl' ? klDistillation(student, teacher) : alphaDivergence(student, teacher, { alphaMin: c.alphaMin, alphaMax: c.alphaMax, clip: c.clip });
  }

  step(batch: SearchBatch, s: StepContext): StepOutput {
    const space = this.net.space;
    const students = [...Array.from({ length: this.config.randomSubnets }, () => randomSubnet(space, s.ctx.rng)), smallestSubnet(space)];
    const net = this.net;
    try {
      const loss = this.opt.minimize(
        () => {
          net.subnet = largestSubnet(space);
          const teacher = net.forward(batch.train.x, s.ctx);
          let total = this.loss(teacher, batch.train.y);
          for (const st of students) {
            net.subnet = st;
            total = tf.add(total, this.distill(net.forward(batch.train.x, s.ctx), teacher)) as tf.Scalar;
          }
          return total;
        },
        true,
        net.weightParameters(),
      )!;
      return { loss };
    } finally {
      net.subnet = null;
    }
  }

  async result(val?: Batch): Promise<SubnetConfig> {
    return (await this.search(val)).best;
  }

  /** Search subnets scored by validation loss with the shared weights. */
  async search(val?: Batch): Promise<EvolutionResult<SubnetConfig>> {
    if (!val) throw new Error('alphanet: result(val) needs a validation batch to rank candidates');
    const score = async (cfg: SubnetConfig) => {
      this.net.subnet = cfg;
      try {
        const l = tf.tidy(() => this.loss(this.net.forward(val.x, new ForwardContext()), val.y));
        const v = (await l.data())[0]!;
        l.dispose();
        return v;
      } finally {
        this.net.subnet = null;
      }
    };
    const rng = new Rng(this.config.seed);
    const genes = subnetGenes(this.net.space);
    if (this.config.search === 'evolution') return evolve(genes, score, resolveEvolution('alphanet', this.config.evolution), rng);
    return evolve(genes, score, { population: this.config.candidates, generations: 0, parents: 1, mutationProb: 0 }, rng);
  }

  dispose(): void {
    this.opt.dispose();
  }
}

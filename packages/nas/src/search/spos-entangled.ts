// SPOS (Single Path One-Shot NAS with Uniform Sampling, arXiv 1904.00420) on the weight-entangled
// space, the black-box baseline to TangleNAS: each step trains one uniformly sampled subnet's
// slices (as Once-for-All's sampling, without progressive shrinking); `result(val)` searches
// subnets scored with the inherited weights — SPOS' evolutionary search (search/evolution.ts; a
// gene per choice: depth, each layer's width, kernel and activation) or random search. The super-net
// training heuristics of How to Train Your Super-Net (arXiv 2003.04276) are options: a warm-up /
// cosine schedule of the weight rate and fair path sampling (see supernet-heuristics.ts).
import * as tf from '@tensorflow/tfjs-core';
import { ForwardContext, checkKnownKeys, configKeys, makeOptimizer, Rng, type OptimizerConfig, type StepContext, type StepOutput, describeValue } from '@weft/core';
import { randomSubnet, type EntangledSpaceConfig, type SubnetConfig } from '../entangled/space.js';
import { evolve, resolveEvolution, type EvolutionConfig, type EvolutionResult, type GeneSpace } from './evolution.js';
import type { EntangledSupernet } from '../entangled/supernet.js';
import type { Batch, SearchBatch, Searcher, TaskLoss } from './bilevel.js';
import { FairSubnetSampler, PATH_SAMPLINGS, checkLrSchedule, scheduledLr, type LrSchedule, type PathSampling } from './supernet-heuristics.js';

/** Config of {@link SposEntangledSearch}. */
export interface SposEntangledConfig {
  /** Optimiser of the weights. Default Adam 0.01. */
  weightOptimizer: OptimizerConfig;
  /** How `result` searches: SPOS' 'evolution' or 'random'. Default 'evolution'. */
  search: 'evolution' | 'random';
  /** The evolutionary search's sizes. Default {@link EVOLUTION_DEFAULTS}. */
  evolution: Partial<EvolutionConfig>;
  /** Random subnets ranked by `result` in 'random' search. Default 20. */
  candidates: number;
  /** Seed of the search's draws. Default 0. */
  seed: number;
  /** Penalty λ · params(subnet)/params(largest) added to the validation loss when ranking. Default 0. */
  costWeight: number;
  /** Path sampling: 'uniform' (SPOS) or 'fair' (each choice equally often). Default 'uniform'. */
  sampling: PathSampling;
  /** Schedule of the weight learning rate (warm-up, cosine decay). Default: none (constant rate). */
  lrSchedule?: LrSchedule;
}

/** Every key of {@link SposEntangledConfig}. */
export const SPOS_ENTANGLED_KEYS = configKeys<SposEntangledConfig>({ weightOptimizer: true, search: true, evolution: true, candidates: true, seed: true, costWeight: true, sampling: true, lrSchedule: true });

/** Defaults of {@link SposEntangledConfig}. */
export const SPOS_ENTANGLED_DEFAULTS: SposEntangledConfig = { weightOptimizer: { name: 'adam', learningRate: 0.01 }, search: 'evolution', evolution: {}, candidates: 20, seed: 0, costWeight: 0, sampling: 'uniform' };

/** Subnets of `space` as genes: depth, then each layer's width, kernel and activation (where the space has them). */
export function subnetGenes(space: EntangledSpaceConfig): GeneSpace<SubnetConfig> {
  const D = space.depthChoices.at(-1)!;
  const kernels = space.kind === 'cnn';
  const acts = space.activationChoices.length > 1;
  return {
    random: (rng) => randomSubnet(space, rng),
    genes: (c) => [c.depth, ...c.widths, ...(kernels ? c.kernels! : []), ...(acts ? c.activations! : [])],
    fromGenes: (g) => {
      const cfg: SubnetConfig = { depth: g[0] as number, widths: g.slice(1, 1 + D) as number[] };
      let at = 1 + D;
      if (kernels) (cfg.kernels = g.slice(at, at + D) as number[]), (at += D);
      if (acts) cfg.activations = g.slice(at, at + D) as SubnetConfig['activations'];
      return cfg;
    },
  };
}

/** Parameter count of a subnet. */
export function subnetParams(net: EntangledSupernet, cfg: SubnetConfig): number {
  const s = net.space;
  let n = 0;
  let cin = s.inFeatures;
  for (let l = 0; l < cfg.depth; l++) {
    const k = s.kind === 'cnn' ? cfg.kernels![l]! : 1;
    n += cin * cfg.widths[l]! * k * k + cfg.widths[l]!;
    cin = cfg.widths[l]!;
  }
  return n + cin * s.numOutputs + s.numOutputs;
}

/** SPOS over an entangled supernet. */
export class SposEntangledSearch implements Searcher<SubnetConfig> {
  readonly method = 'spos-entangled';
  readonly config: SposEntangledConfig;
  private readonly opt: tf.Optimizer;
  private readonly fair: FairSubnetSampler | null;

  constructor(readonly net: EntangledSupernet, readonly loss: TaskLoss, config: Partial<SposEntangledConfig> = {}) {
    checkKnownKeys('spos-entangled', config, SPOS_ENTANGLED_KEYS);
    this.config = { ...SPOS_ENTANGLED_DEFAULTS, ...config };
    if (!Number.isInteger(this.config.candidates) || this.config.candidates < 1) throw new Error(`spos-entangled: candidates=${this.config.candidates} must be an integer ≥ 1`);
    if (this.config.search !== 'evolution' && this.config.search !== 'random') throw new Error(`spos-entangled: search=${describeValue(this.config.search)} must be 'evolution' or 'random'`);
    resolveEvolution('spos-entangled', this.config.evolution);
    if (!PATH_SAMPLINGS.includes(this.config.sampling)) throw new Error(`spos-entangled: sampling=${describeValue(this.config.sampling)} must be one of ${PATH_SAMPLINGS.join(', ')}`);
    if (this.config.lrSchedule !== undefined) checkLrSchedule('spos-entangled', this.config.lrSchedule);
    this.opt = makeOptimizer(this.config.weightOptimizer);
    this.fair = this.config.sampling === 'fair' ? new FairSubnetSampler(net.space, new Rng(this.config.seed).fork('fair')) : null;
  }

  step(batch: SearchBatch, s: StepContext): StepOutput {
    const sc = this.config.lrSchedule;
    // tfjs' optimisers read `learningRate` on every applyGradients.
    if (sc) (this.opt as unknown as { learningRate: number }).learningRate = scheduledLr(s.step, this.config.weightOptimizer.learningRate, sc);
    this.net.subnet = this.fair ? this.fair.next() : randomSubnet(this.net.space, s.ctx.rng);
    try {
      const loss = this.opt.minimize(() => this.loss(this.net.forward(batch.train.x, s.ctx), batch.train.y), true, this.net.weightParameters())!;
      return { loss };
    } finally {
      this.net.subnet = null;
    }
  }

  async result(val?: Batch): Promise<SubnetConfig> {
    return (await this.search(val)).best;
  }

  /** The search behind {@link result}: scores are validation loss + the size penalty. */
  async search(val?: Batch): Promise<EvolutionResult<SubnetConfig>> {
    if (!val) throw new Error('spos-entangled: result(val) needs a validation batch to rank candidates');
    const rng = new Rng(this.config.seed);
    const largest = subnetParams(this.net, { depth: this.net.maxDepth, widths: new Array(this.net.maxDepth).fill(this.net.space.widthChoices.at(-1)!), kernels: this.net.space.kind === 'cnn' ? new Array(this.net.maxDepth).fill(this.net.space.kernelChoices.at(-1)!) : undefined });
    const score = async (cfg: SubnetConfig) => {
      this.net.subnet = cfg;
      const l = tf.tidy(() => this.loss(this.net.forward(val.x, new ForwardContext()), val.y));
      const v = (await l.data())[0]! + (this.config.costWeight * subnetParams(this.net, cfg)) / largest;
      l.dispose();
      return v;
    };
    try {
      const genes = subnetGenes(this.net.space);
      if (this.config.search === 'evolution') return await evolve(genes, score, resolveEvolution('spos-entangled', this.config.evolution), rng);
      return await evolve(genes, score, { population: this.config.candidates, generations: 0, parents: 1, mutationProb: 0 }, rng);
    } finally {
      this.net.subnet = null;
    }
  }

  dispose(): void {
    this.opt.dispose();
  }
}

// SPOS (Single Path One-Shot NAS with Uniform Sampling, arXiv 1904.00420) on the weight-entangled
// space, the black-box baseline to TangleNAS: each step trains one uniformly sampled subnet's
// slices (as Once-for-All's sampling, without progressive shrinking); `result(val)` ranks
// `candidates` random subnets with the inherited weights and returns the best. Departure: random
// search instead of SPOS' evolutionary search.
import * as tf from '@tensorflow/tfjs-core';
import { ForwardContext, makeOptimizer, Rng, type OptimizerConfig, type StepContext, type StepOutput } from '@weft/core';
import { randomSubnet, type SubnetConfig } from '../entangled/space.js';
import type { EntangledSupernet } from '../entangled/supernet.js';
import type { Batch, SearchBatch, Searcher, TaskLoss } from './bilevel.js';

/** Config of {@link SposEntangledSearch}. */
export interface SposEntangledConfig {
  /** Optimiser of the weights. Default Adam 0.01. */
  weightOptimizer: OptimizerConfig;
  /** Random subnets ranked by `result`. Default 20. */
  candidates: number;
  /** Seed of the candidate draw. Default 0. */
  seed: number;
  /** Penalty λ · params(subnet)/params(largest) added to the validation loss when ranking. Default 0. */
  costWeight: number;
}

/** Defaults of {@link SposEntangledConfig}. */
export const SPOS_ENTANGLED_DEFAULTS: SposEntangledConfig = { weightOptimizer: { name: 'adam', learningRate: 0.01 }, candidates: 20, seed: 0, costWeight: 0 };

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

  constructor(readonly net: EntangledSupernet, readonly loss: TaskLoss, config: Partial<SposEntangledConfig> = {}) {
    this.config = { ...SPOS_ENTANGLED_DEFAULTS, ...config };
    if (!Number.isInteger(this.config.candidates) || this.config.candidates < 1) throw new Error(`spos-entangled: candidates=${this.config.candidates} must be an integer ≥ 1`);
    this.opt = makeOptimizer(this.config.weightOptimizer);
  }

  step(batch: SearchBatch, s: StepContext): StepOutput {
    this.net.subnet = randomSubnet(this.net.space, s.ctx.rng);
    try {
      const loss = this.opt.minimize(() => this.loss(this.net.forward(batch.train.x, s.ctx), batch.train.y), true, this.net.weightParameters())!;
      return { loss };
    } finally {
      this.net.subnet = null;
    }
  }

  async result(val?: Batch): Promise<SubnetConfig> {
    if (!val) throw new Error('spos-entangled: result(val) needs a validation batch to rank candidates');
    const rng = new Rng(this.config.seed);
    const largest = subnetParams(this.net, { depth: this.net.maxDepth, widths: new Array(this.net.maxDepth).fill(this.net.space.widthChoices.at(-1)!), kernels: this.net.space.kind === 'cnn' ? new Array(this.net.maxDepth).fill(this.net.space.kernelChoices.at(-1)!) : undefined });
    let best: { cfg: SubnetConfig; score: number } | null = null;
    try {
      for (let i = 0; i < this.config.candidates; i++) {
        const cfg = randomSubnet(this.net.space, rng);
        this.net.subnet = cfg;
        const l = tf.tidy(() => this.loss(this.net.forward(val.x, new ForwardContext()), val.y));
        const score = (await l.data())[0]! + (this.config.costWeight * subnetParams(this.net, cfg)) / largest;
        l.dispose();
        if (!best || score < best.score) best = { cfg, score };
      }
    } finally {
      this.net.subnet = null;
    }
    return best!.cfg;
  }

  dispose(): void {
    this.opt.dispose();
  }
}

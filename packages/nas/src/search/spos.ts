// Single Path One-Shot NAS with Uniform Sampling (SPOS, arXiv 1904.00420), the black-box
// baseline: train the supernet's weights on one uniformly sampled path per step (one non-`none`
// op per edge), then search: evaluate `candidates` random genotypes with the inherited weights
// on the validation batch and keep the best. Departure: random search instead of SPOS'
// evolutionary search (the same evaluation, fewer moving parts for a toy space).
import * as tf from '@tensorflow/tfjs-core';
import { rowsOf } from '../supernet.js';
import { ForwardContext, makeOptimizer, Rng, type OptimizerConfig, type StepContext, type StepOutput } from '@weft/core';
import { randomGenotype, type Genotype } from '../genotype.js';
import { NONE } from '../ops.js';
import type { ArchSampler, CellKind, SearchNetwork } from '../supernet.js';
import { lossOn, weightStep, type Batch, type SearchBatch, type Searcher, type TaskLoss } from './bilevel.js';

/** Config of {@link SposSearch}. */
export interface SposConfig {
  /** Optimiser of the weights. Default Adam 0.01. */
  weightOptimizer: OptimizerConfig;
  /** Random genotypes evaluated by `result`. Default 20. */
  candidates: number;
  /** Seed of the candidate draw. Default 0. */
  seed: number;
}

/** Defaults of {@link SposConfig}. */
export const SPOS_DEFAULTS: SposConfig = { weightOptimizer: { name: 'adam', learningRate: 0.01 }, candidates: 20, seed: 0 };

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
    this.config = { ...SPOS_DEFAULTS, ...config };
    if (!Number.isInteger(this.config.candidates) || this.config.candidates < 1) throw new Error(`spos: candidates=${this.config.candidates} must be an integer ≥ 1`);
    this.opt = makeOptimizer(this.config.weightOptimizer);
    net.sampler = singlePathSampler(net.space.ops);
  }

  step(batch: SearchBatch, s: StepContext): StepOutput {
    return { loss: weightStep(this.net, this.opt, batch.train, this.loss, s.ctx) };
  }

  /** Evaluate random genotypes on `val` with the shared weights; return the best. */
  async result(val?: Batch): Promise<Genotype> {
    if (!val) throw new Error('spos: result(val) needs a validation batch to rank candidates');
    const rng = new Rng(this.config.seed);
    const sampler = this.net.sampler;
    let best: { g: Genotype; loss: number } | null = null;
    try {
      this.net.sampler = (kind: CellKind, alpha) => rowsOf(tf.softmax(alpha, -1)).map((weights) => ({ weights }));
      for (let i = 0; i < this.config.candidates; i++) {
        const g = randomGenotype(this.net.space, rng);
        applyGenotype(this.net, g);
        const l = tf.tidy(() => lossOn(this.net, val, this.loss, new ForwardContext({ training: false })));
        const v = (await l.data())[0]!;
        l.dispose();
        if (!best || v < best.loss) best = { g, loss: v };
      }
    } finally {
      this.net.overrides.clear();
      this.net.sampler = sampler;
    }
    return best!.g;
  }

  dispose(): void {
    this.opt.dispose();
  }
}

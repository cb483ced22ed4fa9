// TangleNAS: Weight-Entanglement Meets Gradient-Based Neural Architecture Search (arXiv
// 2312.10440): DARTS-style first-order bilevel search over a weight-entangled space, where the
// "mixed op" is the superposition of the candidates' weight slices (see EntangledSupernet), so
// memory stays near the largest subnet. The result is the argmax of β per choice.
// Departure (optional, off by default): `costWeight` adds λ · E_β[params] / params(largest) to the
// architecture loss — a FBNet/ProxylessNAS-style expected-size penalty, with E_β computed as if
// the choices were independent — so nested choices (a wider layer can imitate a narrower one)
// are not all won by the largest.
import * as tf from '@tensorflow/tfjs-core';
import { checkKnownKeys, configKeys, makeOptimizer, type StepContext, type StepOutput } from '@weft/core';
import type { EntangledSupernet } from '../entangled/supernet.js';
import type { SubnetConfig } from '../entangled/space.js';
import { resolveBilevel, subContext, type Batch, type BilevelConfig, type SearchBatch, type Searcher, type TaskLoss } from './bilevel.js';

/** Config of {@link TangleNasSearch}. */
export interface TangleNasConfig extends BilevelConfig {
  /** λ of the expected-size penalty on the architecture loss. Default 0 (TangleNAS as published). */
  costWeight: number;
}

/** Every key of {@link TangleNasConfig}. */
export const TANGLENAS_KEYS = configKeys<TangleNasConfig>({ weightOptimizer: true, archOptimizer: true, warmupSteps: true, weightSchedule: true, costWeight: true });

/** Defaults of {@link TangleNasConfig}. */
export const TANGLENAS_DEFAULTS: TangleNasConfig = { ...resolveBilevel(), costWeight: 0 };

/** E_β[parameter count] of the entangled supernet's subnets / the largest subnet's count (choices treated as independent). */
export function expectedSizeRatio(net: EntangledSupernet): tf.Scalar {
  const s = net.space;
  const D = net.maxDepth;
  const widths = tf.tensor1d(s.widthChoices);
  const ew = tf.sum(tf.mul(tf.softmax(net.betaWidth, -1), widths), -1); // (D,) E[w_l]
  const ek = net.betaKernel ? tf.sum(tf.mul(tf.softmax(net.betaKernel, -1), tf.square(tf.tensor1d(s.kernelChoices))), -1) : tf.ones([D]); // E[k²]
  const pd = tf.softmax(net.betaDepth);
  const terms: tf.Tensor[] = [];
  const headTerms: tf.Tensor[] = [];
  const largest = (() => {
    const W = s.widthChoices.at(-1)!;
    const K2 = s.kind === 'cnn' ? s.kernelChoices.at(-1)! ** 2 : 1;
    let n = 0;
    for (let l = 0; l < D; l++) n += (l === 0 ? s.inFeatures : W) * W * K2 + W;
    return n + W * s.numOutputs + s.numOutputs;
  })();
  for (let l = 0; l < D; l++) {
    // P(depth > l) = Σ_{d > l} p_d
    const active = tf.sum(tf.mul(pd, tf.tensor1d(s.depthChoices.map((d) => (d > l ? 1 : 0)))));
    const wl = tf.reshape(tf.slice(ew, [l], [1]), []);
    const inl = l === 0 ? tf.scalar(s.inFeatures) : tf.reshape(tf.slice(ew, [l - 1], [1]), []);
    const kl = tf.reshape(tf.slice(ek, [l], [1]), []);
    terms.push(tf.mul(active, tf.add(tf.mul(tf.mul(inl, wl), kl), wl)));
  }
  s.depthChoices.forEach((d, i) => headTerms.push(tf.mul(tf.reshape(tf.slice(pd, [i], [1]), []), tf.reshape(tf.slice(ew, [d - 1], [1]), []))));
  const head = tf.mul(tf.addN(headTerms), s.numOutputs);
  return tf.div(tf.add(tf.addN([...terms, head]), s.numOutputs), largest) as tf.Scalar;
}

/** TangleNAS search. */
export class TangleNasSearch implements Searcher<SubnetConfig> {
  readonly method = 'tanglenas';
  readonly config: TangleNasConfig;
  private readonly weightOpt: tf.Optimizer;
  private readonly archOpt: tf.Optimizer;

  constructor(readonly net: EntangledSupernet, readonly loss: TaskLoss, config: Partial<TangleNasConfig> = {}) {
    checkKnownKeys('tanglenas', config, TANGLENAS_KEYS);
    this.config = { ...TANGLENAS_DEFAULTS, ...resolveBilevel(config), ...config };
    if (!(this.config.costWeight >= 0)) throw new Error(`tanglenas: costWeight=${this.config.costWeight} must be ≥ 0`);
    this.weightOpt = makeOptimizer(this.config.weightOptimizer);
    this.archOpt = makeOptimizer(this.config.archOptimizer);
    net.subnet = null;
  }

  private lossOn(b: Batch, s: StepContext, withCost: boolean): tf.Scalar {
    const l = this.loss(this.net.forward(b.x, subContext(s)), b.y);
    return withCost && this.config.costWeight > 0 ? (tf.add(l, tf.mul(expectedSizeRatio(this.net), this.config.costWeight)) as tf.Scalar) : l;
  }

  step(batch: SearchBatch, s: StepContext): StepOutput {
    this.net.subnet = null;
    const metrics: Record<string, tf.Scalar> = {};
    if (s.step >= this.config.warmupSteps) {
      metrics.valLoss = this.archOpt.minimize(() => this.lossOn(batch.val, s, true), true, this.net.archParameters())!;
    }
    const loss = this.weightOpt.minimize(() => this.lossOn(batch.train, s, false), true, this.net.weightParameters())!;
    return { loss, metrics };
  }

  async result(): Promise<SubnetConfig> {
    return this.net.argmaxSubnet();
  }

  dispose(): void {
    this.weightOpt.dispose();
    this.archOpt.dispose();
  }
}

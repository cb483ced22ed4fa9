// AutoHAS: Efficient Hyperparameter and Architecture Search (arXiv 2006.03656), §3 on the
// weight-entangled space: a controller holds one categorical distribution per decision — the
// architecture's (depth, each layer's width, kernel, activation) and the hyperparameters' (learning
// rate, weight decay, as candidate lists). Each step samples (a, h); the shared weights of subnet a
// take one SGD step with h's rate and decay into the temporary weights W* = W − lr_h·(∇W L_train + wd_h·W);
// the reward is the validation score on W*, and REINFORCE with a moving-average baseline updates the
// controller: θ ← θ + η·(R − b)·∇θ log π(a, h). The shared weights keep W* (the next step starts
// from it). The result is the controller's most likely architecture (and, by `hyperparameters()`,
// its most likely rate and decay). Departures: reward = −validation loss (any task loss; the paper
// uses accuracy); the temporary step is plain SGD (the paper's is its base optimiser); the
// controller draws on the host from a copy of its logits refreshed after every step without
// blocking (as GDAS' α), so a draw may lag the logits by a step or two.
import * as tf from '@tensorflow/tfjs-core';
import { ForwardContext, Rng, checkKnownKeys, configKeys, describeValue, makeOptimizer, type OptimizerConfig, type StepContext, type StepOutput } from '@weft/core';
import { checkNumber } from '@weft/core/internal';
import { choicesOf, decisionsOf, withChoice, type Choice, type Decision } from '../entangled/decisions.js';
import { smallestSubnet, type SubnetConfig } from '../entangled/space.js';
import type { EntangledSupernet } from '../entangled/supernet.js';
import type { Batch, SearchBatch, Searcher, TaskLoss } from './bilevel.js';
import { gradsOf } from './darts.js';

/** Config of {@link AutoHasSearch}. */
export interface AutoHasConfig {
  /** Learning-rate candidates of the weights' SGD step. Default [0.01, 0.03, 0.1, 0.3, 1]. */
  learningRates: number[];
  /** Weight-decay candidates (L2 coefficient in the step). Default [0, 0.0003, 0.003]. */
  weightDecays: number[];
  /** Optimiser of the controller's logits. Default Adam 0.05. */
  archOptimizer: OptimizerConfig;
  /** Decay of the reward's moving-average baseline (the first reward starts it). Default 0.9. */
  baselineDecay: number;
}

/** Every key of {@link AutoHasConfig}. */
export const AUTOHAS_KEYS = configKeys<AutoHasConfig>({ learningRates: true, weightDecays: true, archOptimizer: true, baselineDecay: true });

/** Defaults of {@link AutoHasConfig}. */
export const AUTOHAS_DEFAULTS: AutoHasConfig = {
  learningRates: [0.01, 0.03, 0.1, 0.3, 1],
  weightDecays: [0, 0.0003, 0.003],
  archOptimizer: { name: 'adam', learningRate: 0.05 },
  baselineDecay: 0.9,
};

/** The hyperparameters AutoHAS searches. */
export interface AutoHasHyperparameters {
  learningRate: number;
  weightDecay: number;
}

/** One joint sample: a choice index per decision (architecture first, then learning rate and decay). */
export interface AutoHasSample {
  indices: number[];
  subnet: SubnetConfig;
  hyperparameters: AutoHasHyperparameters;
}

function checkCandidates(name: string, v: unknown, min: number): asserts v is number[] {
  if (!Array.isArray(v) || v.length === 0) throw new Error(`autohas: ${name}=${describeValue(v)} must be a non-empty array of numbers`);
  v.forEach((x, i) => checkNumber('autohas', `${name}[${i}]`, x, min));
}

/** AutoHAS over an entangled supernet. */
export class AutoHasSearch implements Searcher<SubnetConfig> {
  readonly method = 'autohas';
  readonly config: AutoHasConfig;
  /** The architecture decisions of the space (the controller's first groups). */
  readonly decisions: Decision[];
  /** Choices of every group: the architecture decisions', then the learning rates, then the decays. */
  readonly groups: Choice[][];
  /** The controller's logits, every group's concatenated. */
  readonly logits: tf.Variable;
  /** The reward's moving average. */
  readonly baseline: tf.Variable;
  /** The last step's sample (for inspection). */
  lastSample: AutoHasSample | null = null;
  private readonly opt: tf.Optimizer;
  private readonly offsets: number[];
  private started = false;
  private host: Float32Array;
  private reads: Promise<void> | null = null;

  constructor(readonly net: EntangledSupernet, readonly loss: TaskLoss, config: Partial<AutoHasConfig> = {}) {
    checkKnownKeys('autohas', config, AUTOHAS_KEYS);
    const c = (this.config = { ...AUTOHAS_DEFAULTS, ...config });
    checkCandidates('learningRates', c.learningRates, Number.MIN_VALUE);
    checkCandidates('weightDecays', c.weightDecays, 0);
    checkNumber('autohas', 'baselineDecay', c.baselineDecay, 0, 1);
    this.decisions = decisionsOf(net.space);
    this.groups = [...this.decisions.map((d) => choicesOf(net.space, d)), [...c.learningRates], [...c.weightDecays]];
    this.offsets = this.groups.reduce<number[]>((o, g) => [...o, o.at(-1)! + g.length], [0]);
    // Uniform policy at the start, as the paper's controller.
    this.host = new Float32Array(this.offsets.at(-1)!);
    this.logits = tf.tidy(() => tf.variable(tf.zeros([this.host.length])));
    this.baseline = tf.tidy(() => tf.variable(tf.scalar(0)));
    this.opt = makeOptimizer(c.archOptimizer);
  }

  /** The probabilities of each group under the host copy of the logits. */
  policy(): number[][] {
    return this.groups.map((g, k) => {
      const z = Array.from(this.host.subarray(this.offsets[k]!, this.offsets[k]! + g.length));
      const m = Math.max(...z);
      const e = z.map((v) => Math.exp(v - m));
      const sum = e.reduce((a, b) => a + b, 0);
      return e.map((v) => v / sum);
    });
  }

  /** The subnet and hyperparameters of one index per group. */
  decode(indices: readonly number[]): AutoHasSample {
    if (indices.length !== this.groups.length) throw new Error(`autohas: indices has ${indices.length} entries; the controller has ${this.groups.length} groups`);
    let subnet = smallestSubnet(this.net.space);
    this.decisions.forEach((d, k) => (subnet = withChoice(subnet, d, this.groups[k]![indices[k]!]!)));
    const n = this.decisions.length;
    return { indices: [...indices], subnet, hyperparameters: { learningRate: this.groups[n]![indices[n]!] as number, weightDecay: this.groups[n + 1]![indices[n + 1]!] as number } };
  }

  /** Draw one index per group from the policy. */
  sample(rng: Rng): AutoHasSample {
    return this.decode(
      this.policy().map((p) => {
        let u = rng.uniform(0, 1);
        for (let i = 0; i < p.length - 1; i++) if ((u -= p[i]!) < 0) return i;
        return p.length - 1;
      }),
    );
  }

  /** Σ over groups of log π(index): the log-probability of a sample under the logits (a scalar). */
  logProb(indices: readonly number[]): tf.Scalar {
    const mask = new Float32Array(this.host.length);
    indices.forEach((i, k) => (mask[this.offsets[k]! + i] = 1));
    const parts = this.groups.map((g, k) => tf.logSoftmax(tf.slice(this.logits, [this.offsets[k]!], [g.length])));
    return tf.sum(tf.mul(tf.concat(parts), tf.tensor1d(mask)));
  }

  /** Start reading the logits to the host unless a read is under way (never blocks). */
  private refresh(): void {
    if (this.reads) return;
    const t = tf.keep(tf.clone(this.logits));
    this.reads = t
      .data()
      .then((d) => void (this.host = d as Float32Array))
      .finally(() => {
        t.dispose();
        this.reads = null;
      });
  }

  /** Resolves when the host copy of the logits is current. */
  async ready(): Promise<void> {
    while (this.reads) await this.reads;
    this.refresh();
    await this.reads;
  }

  /** Sample (a, h); W ← W* = W − lr·(∇W L_train + wd·W) on subnet a; reward −L_val(W*); REINFORCE step. */
  step(batch: SearchBatch, s: StepContext): StepOutput {
    const net = this.net;
    const smp = (this.lastSample = this.sample(s.ctx.rng));
    const { learningRate: lr, weightDecay: wd } = smp.hyperparameters;
    net.subnet = smp.subnet;
    try {
      const w = net.weightParameters();
      const { value: trainLoss, grads } = gradsOf(() => this.loss(net.forward(batch.train.x, s.ctx), batch.train.y), w);
      w.forEach((v, i) => v.assign(tf.sub(v, tf.mul(tf.add(grads[i]!, tf.mul(v, wd)), lr)))); // the temporary weights W*
      const valLoss = this.loss(net.forward(batch.val.x, new ForwardContext({ seed: s.ctx.rng.seed })), batch.val.y);
      const reward = tf.neg(valLoss);
      if (!this.started) this.baseline.assign(reward);
      this.started = true;
      const advantage = tf.sub(reward, this.baseline);
      // REINFORCE: minimise −(R − b)·log π(a, h); R and b are constants to the logits.
      this.opt.minimize(() => tf.neg(tf.mul(advantage, this.logProb(smp.indices))) as tf.Scalar, false, [this.logits]);
      const d = this.config.baselineDecay;
      this.baseline.assign(tf.add(tf.mul(this.baseline, d), tf.mul(reward, 1 - d)));
      return { loss: trainLoss, metrics: { valLoss } };
    } finally {
      net.subnet = null;
      this.refresh();
    }
  }

  /** The controller's most likely indices. */
  private argmax(): number[] {
    return this.policy().map((p) => p.indexOf(Math.max(...p)));
  }

  /** The most likely architecture. */
  async result(): Promise<SubnetConfig> {
    await this.ready();
    return this.decode(this.argmax()).subnet;
  }

  /** The most likely learning rate and weight decay. */
  async hyperparameters(): Promise<AutoHasHyperparameters> {
    await this.ready();
    return this.decode(this.argmax()).hyperparameters;
  }

  dispose(): void {
    this.opt.dispose();
    this.logits.dispose();
    this.baseline.dispose();
  }
}

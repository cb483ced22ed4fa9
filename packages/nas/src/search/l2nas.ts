// L²NAS: Learning to Optimize Neural Architectures via Continuous-Action Reinforcement Learning
// (arXiv 2109.12425), §3 on the weight-entangled space: the steps train a supernet by uniform
// single-path sampling (SPOS), and `result(val)` runs the actor-critic search with the supernet as
// the evaluator. An architecture is a continuous action a ∈ [0, 1]^A (one score per choice of every
// decision; the architecture is the argmax of each decision's scores). The actor μ(s) proposes a from
// the state s = the one-hot encoding of the best architecture so far, plus Gaussian exploration
// noise; the performance p = −validation loss on inherited weights; the quantile-driven reward is
// r = p − Q_ρ(history), positive only above the ρ-quantile of every p seen so far (recomputed as the
// quantile moves). The critic Q(s, a) regresses r over the whole history; the actor ascends
// Q(s, μ(s)) (deterministic policy gradient). Departures: one-step episodes, small MLPs, the first
// `warmup` evaluations uniformly random; a proposal already evaluated costs no evaluation and no
// agent update, and after three such in a row the next proposal is uniformly random.
import * as tf from '@tensorflow/tfjs-core';
import { ForwardContext, Linear, Module, Rng, checkKnownKeys, configKeys, makeOptimizer, type OptimizerConfig, type StepContext, type StepOutput } from '@weft/core';
import { checkInt, checkNumber } from '@weft/core/internal';
import { choicesOf, decisionsOf, withChoice } from '../entangled/decisions.js';
import { encodeSubnet } from '../entangled/mixture.js';
import { randomSubnet, smallestSubnet, type EntangledSpaceConfig, type SubnetConfig } from '../entangled/space.js';
import type { EntangledSupernet } from '../entangled/supernet.js';
import type { Batch, SearchBatch, Searcher, TaskLoss } from './bilevel.js';
import type { EvolutionResult } from './evolution.js';
import { SPOS_ENTANGLED_DEFAULTS, SposEntangledSearch } from './spos-entangled.js';

/** Config of {@link L2NasSearch}. */
export interface L2NasConfig {
  /** Optimiser of the supernet's weights. Default Adam 0.01. */
  weightOptimizer: OptimizerConfig;
  /** Distinct architectures the search evaluates on the supernet. Default 20. */
  evaluations: number;
  /** Evaluations of uniformly random architectures before the actor proposes. Default 5. */
  warmup: number;
  /** ρ of the quantile-driven reward. Default 0.8. */
  quantile: number;
  /** Standard deviation of the actor's exploration noise (actions lie in [0, 1]). Default 0.2. */
  noise: number;
  /** Hidden width of the actor and the critic. Default 32. */
  hidden: number;
  /** Optimiser of the actor and the critic. Default Adam 0.01. */
  agentOptimizer: OptimizerConfig;
  /** Critic and actor gradient steps after each evaluation. Default 4 (nas.html re-runs the search at every report). */
  updates: number;
  /** Seed of the agent's initialisation, the noise and the warm-up draws. Default 0. */
  seed: number;
}

/** Every key of {@link L2NasConfig}. */
export const L2NAS_KEYS = configKeys<L2NasConfig>({ weightOptimizer: true, evaluations: true, warmup: true, quantile: true, noise: true, hidden: true, agentOptimizer: true, updates: true, seed: true });

/** Defaults of {@link L2NasConfig}. */
export const L2NAS_DEFAULTS: L2NasConfig = {
  weightOptimizer: { name: 'adam', learningRate: 0.01 },
  evaluations: 20,
  warmup: 5,
  quantile: 0.8,
  noise: 0.2,
  hidden: 32,
  agentOptimizer: { name: 'adam', learningRate: 0.01 },
  updates: 4,
  seed: 0,
};

/** The ρ-quantile of `values` with linear interpolation between order statistics (NumPy's default). */
export function quantile(values: readonly number[], rho: number): number {
  if (values.length === 0) throw new Error('quantile: values=[] needs at least one value');
  checkNumber('quantile', 'rho', rho, 0, 1);
  const v = [...values].sort((a, b) => a - b);
  const pos = rho * (v.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, v.length - 1);
  return v[lo]! + (pos - lo) * (v[hi]! - v[lo]!);
}

/** The architecture of an action: per decision, the choice with the largest score. */
export function decodeAction(space: EntangledSpaceConfig, action: ArrayLike<number>): SubnetConfig {
  let s = smallestSubnet(space);
  let at = 0;
  for (const d of decisionsOf(space)) {
    const c = choicesOf(space, d);
    let best = 0;
    for (let i = 1; i < c.length; i++) if (action[at + i]! > action[at + best]!) best = i;
    s = withChoice(s, d, c[best]!);
    at += c.length;
  }
  if (at !== action.length) throw new Error(`decodeAction: action has ${action.length} entries; the space's decisions have ${at} choices`);
  return s;
}

/** The actor μ(s) = sigmoid(W2·relu(W1·s + b1) + b2) and the critic Q(s, a) = v·relu(U·[s, a] + c) + d. */
export class L2NasAgent extends Module {
  readonly actorIn: Linear;
  readonly actorOut: Linear;
  readonly criticIn: Linear;
  readonly criticOut: Linear;
  constructor(readonly actionSize: number, hidden: number, rng: Rng) {
    super();
    this.actorIn = this.addModule('actor_in', new Linear({ inFeatures: actionSize, outFeatures: hidden }, rng));
    this.actorOut = this.addModule('actor_out', new Linear({ inFeatures: hidden, outFeatures: actionSize }, rng));
    this.criticIn = this.addModule('critic_in', new Linear({ inFeatures: 2 * actionSize, outFeatures: hidden }, rng));
    this.criticOut = this.addModule('critic_out', new Linear({ inFeatures: hidden, outFeatures: 1 }, rng));
  }
  /** (N, A) states -> (N, A) actions in (0, 1). */
  act(s: tf.Tensor): tf.Tensor {
    return tf.sigmoid(this.actorOut.forward(tf.relu(this.actorIn.forward(s))));
  }
  /** (N, A) states and (N, A) actions -> (N,) values. */
  value(s: tf.Tensor, a: tf.Tensor): tf.Tensor {
    return tf.reshape(this.criticOut.forward(tf.relu(this.criticIn.forward(tf.concat([s, a], 1)))), [-1]); // (N, 1) -> (N,)
  }
  /** The actor's parameters. */
  actorParameters(): tf.Variable[] {
    return [...this.actorIn.parameters(), ...this.actorOut.parameters()];
  }
  /** The critic's parameters. */
  criticParameters(): tf.Variable[] {
    return [...this.criticIn.parameters(), ...this.criticOut.parameters()];
  }
  forward(s: tf.Tensor): tf.Tensor {
    return this.act(s);
  }
}

/** What {@link L2NasSearch.search} returns: the evolution result's fields, with every evaluation in order. */
export interface L2NasResult extends EvolutionResult<SubnetConfig> {
  /** Validation loss of each distinct evaluation, in order. */
  losses: number[];
}

/** SPOS supernet training, then L²NAS' actor-critic search with the supernet as evaluator. */
export class L2NasSearch implements Searcher<SubnetConfig> {
  readonly method = 'l2nas';
  readonly config: L2NasConfig;
  private readonly spos: SposEntangledSearch;

  constructor(readonly net: EntangledSupernet, readonly loss: TaskLoss, config: Partial<L2NasConfig> = {}) {
    checkKnownKeys('l2nas', config, L2NAS_KEYS);
    const c = (this.config = { ...L2NAS_DEFAULTS, ...config });
    checkInt('l2nas', 'evaluations', c.evaluations, 1);
    checkInt('l2nas', 'warmup', c.warmup, 1);
    checkNumber('l2nas', 'quantile', c.quantile, 0, 1);
    checkNumber('l2nas', 'noise', c.noise, 0);
    checkInt('l2nas', 'hidden', c.hidden, 1, 4096);
    checkInt('l2nas', 'updates', c.updates, 0);
    makeOptimizer(c.agentOptimizer).dispose(); // checks the config now, not at the search
    this.spos = new SposEntangledSearch(net, loss, { ...SPOS_ENTANGLED_DEFAULTS, weightOptimizer: c.weightOptimizer, seed: c.seed });
  }

  /** One SPOS step: a uniformly sampled subnet trains on the batch. */
  step(batch: SearchBatch, s: StepContext): StepOutput {
    return this.spos.step(batch, s);
  }

  async result(val?: Batch): Promise<SubnetConfig> {
    return (await this.search(val)).best;
  }

  /** The actor-critic search: `evaluations` distinct architectures scored by validation loss on the supernet. */
  async search(val?: Batch): Promise<L2NasResult> {
    if (!val) throw new Error('l2nas: result(val) needs a validation batch to score architectures');
    const c = this.config;
    const space = this.net.space;
    const rng = new Rng(c.seed);
    const A = encodeSubnet(space, smallestSubnet(space)).length;
    const agent = new L2NasAgent(A, c.hidden, rng.fork('agent'));
    const opt = makeOptimizer(c.agentOptimizer);
    const seen = new Map<string, number>();
    const states: number[][] = [];
    const actions: number[][] = [];
    const perf: number[] = [];
    const losses: number[] = [];
    const history: number[] = [];
    let best: { s: SubnetConfig; loss: number } | null = null;
    const score = async (cfg: SubnetConfig) => {
      this.net.subnet = cfg;
      try {
        const l = tf.tidy(() => this.loss(this.net.forward(val.x, new ForwardContext()), val.y));
        const v = (await l.data())[0]!;
        l.dispose();
        return Number.isNaN(v) ? Infinity : v;
      } finally {
        this.net.subnet = null;
      }
    };
    try {
      let state = encodeSubnet(space, randomSubnet(space, rng));
      let stale = 0; // proposals in a row that were evaluated before
      for (let tries = 0; seen.size < c.evaluations && tries < 50 * c.evaluations; tries++) {
        let action: number[];
        if (seen.size < c.warmup || stale >= 3) action = Array.from({ length: A }, () => rng.uniform(0, 1)); // argmax per decision: a uniform choice
        else {
          const mu = tf.tidy(() => agent.act(tf.tensor2d([state])));
          const m = await mu.data();
          mu.dispose();
          action = Array.from(m, (v) => Math.min(1, Math.max(0, v + c.noise * rng.normal())));
        }
        const cfg = decodeAction(space, action);
        const key = JSON.stringify(encodeSubnet(space, cfg));
        let l = seen.get(key);
        const fresh = l === undefined;
        stale = fresh ? 0 : stale + 1;
        if (fresh) {
          l = await score(cfg);
          seen.set(key, l);
          losses.push(l);
          if (!best || l < best.loss) best = { s: cfg, loss: l };
          history.push(best.loss);
        }
        states.push(state);
        actions.push(action);
        perf.push(-l!);
        state = encodeSubnet(space, best!.s);
        if (fresh && seen.size >= c.warmup && c.updates > 0) this.update(agent, opt, states, actions, perf);
      }
    } finally {
      opt.dispose();
      agent.dispose();
    }
    return { best: best!.s, score: best!.loss, evaluated: seen.size, history, losses };
  }

  /** `updates` critic steps on r = p − Q_ρ(p) over the history, each followed by an actor step on Q(s, μ(s)). */
  private update(agent: L2NasAgent, opt: tf.Optimizer, states: number[][], actions: number[][], perf: number[]): void {
    const q = quantile(perf, this.config.quantile);
    tf.tidy(() => {
      const S = tf.tensor2d(states);
      const Aa = tf.tensor2d(actions);
      const r = tf.tensor1d(perf.map((p) => p - q));
      for (let k = 0; k < this.config.updates; k++) {
        opt.minimize(() => tf.mean(tf.square(tf.sub(agent.value(S, Aa), r))) as tf.Scalar, false, agent.criticParameters());
        opt.minimize(() => tf.neg(tf.mean(agent.value(S, agent.act(S)))) as tf.Scalar, false, agent.actorParameters());
      }
    });
  }

  dispose(): void {
    this.spos.dispose();
  }
}

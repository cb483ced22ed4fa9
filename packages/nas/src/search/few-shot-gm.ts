// Generalizing Few-Shot NAS with Gradient Matching (arXiv 2203.15207) on the weight-entangled
// space: train the one-shot supernet (SPOS sampling) for `splitStep` steps, then score every
// decision (depth, each layer's width, kernel, activation) by gradient matching — the cosine
// similarity, between two of its choices, of the gradient the shared weights get from subnets
// that take that choice — and split the `splits` decisions whose choices agree least, each into
// the two groups of the minimum cut of the similarity graph (exhaustive at ≤ 8 choices). Each of
// the 2^splits sub-supernets starts as a copy of the one-shot weights and trains only the subnets
// routed to it. `selection: 'random'` splits random decisions into random halves (the ablation).
// Departures: "shared weights" of a layer decision are every weight but that layer's (of the
// depth decision: the first layer and the head); one batch of the training split scores the split.
import * as tf from '@tensorflow/tfjs-core';
import { ForwardContext, Rng, checkKnownKeys, configKeys, describeValue, makeOptimizer, type OptimizerConfig, type StepContext, type StepOutput } from '@weft/core';
import { checkInt } from '@weft/core/internal';
import { choiceOf, choicesOf, decisionName, decisionsOf, withChoice, type Choice, type Decision } from '../entangled/decisions.js';
import { randomSubnet, type SubnetConfig } from '../entangled/space.js';
import { EntangledSupernet } from '../entangled/supernet.js';
import type { Batch, SearchBatch, Searcher, TaskLoss } from './bilevel.js';
import { evolve, resolveEvolution, type EvolutionConfig, type EvolutionResult } from './evolution.js';
import { subnetGenes } from './spos-entangled.js';

/** Config of {@link FewShotGmSearch}. */
export interface FewShotGmConfig {
  /** Optimiser of the weights (one-shot, then every sub-supernet). Default Adam 0.01. */
  weightOptimizer: OptimizerConfig;
  /** Steps of one-shot training before the split. Default 500. */
  splitStep: number;
  /** Decisions split (2^splits sub-supernets). Default 1. */
  splits: number;
  /** Subnets sampled per choice for its mean gradient. Default 4. */
  gmSamples: number;
  /** 'gradient-matching' (the paper) or 'random' (random decisions, random halves). Default 'gradient-matching'. */
  selection: 'gradient-matching' | 'random';
  /** How `result` searches: 'evolution' or 'random'. Default 'evolution'. */
  search: 'evolution' | 'random';
  /** The evolutionary search's sizes. */
  evolution: Partial<EvolutionConfig>;
  /** Random subnets ranked by `result` in 'random' search. Default 20. */
  candidates: number;
  /** Seed of the split's and the search's draws. Default 0. */
  seed: number;
}

/** Every key of {@link FewShotGmConfig}. */
export const FEW_SHOT_GM_KEYS = configKeys<FewShotGmConfig>({ weightOptimizer: true, splitStep: true, splits: true, gmSamples: true, selection: true, search: true, evolution: true, candidates: true, seed: true });

/** Defaults of {@link FewShotGmConfig}. */
export const FEW_SHOT_GM_DEFAULTS: FewShotGmConfig = {
  weightOptimizer: { name: 'adam', learningRate: 0.01 }, splitStep: 500, splits: 1, gmSamples: 4, selection: 'gradient-matching', search: 'evolution', evolution: {}, candidates: 20, seed: 0,
};

/** One decision's gradient-matching scores: similarity[i][j] = cos(ḡ_i, ḡ_j) of its choices' mean shared-weight gradients. */
export interface GradientMatch {
  decision: Decision;
  name: string;
  choices: Choice[];
  similarity: number[][];
  /** Mean off-diagonal similarity (lower = the choices disagree more). */
  score: number;
}

/** A split: a decision and the choices of each of its two groups. */
export interface DecisionSplit {
  decision: Decision;
  groups: [Choice[], Choice[]];
}

/** The bipartition of `n` choices cutting the least similarity: the group holding choice 0 and the rest. */
export function minCutBipartition(similarity: number[][]): [number[], number[]] {
  const n = similarity.length;
  if (n < 2 || n > 16) throw new Error(`minCutBipartition: ${n} choices; need 2–16`);
  let best: [number[], number[]] | null = null;
  let bestCut = Infinity;
  // Masks with bit 0 set (choice 0 in group A), B non-empty.
  for (let m = 1; m < 1 << n; m += 2) {
    if (m === (1 << n) - 1) continue;
    let cut = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if ((m >> i) & 1 && !((m >> j) & 1)) cut += similarity[i]![j]!;
    if (cut < bestCut - 1e-12) {
      bestCut = cut;
      best = [[], []];
      for (let i = 0; i < n; i++) best[(m >> i) & 1 ? 0 : 1].push(i);
    }
  }
  return best!;
}

/** Weights shared by the choices of a decision: every weight but its layer's (depth: the first layer's and the head's). */
function sharedWeights(net: EntangledSupernet, d: Decision): tf.Variable[] {
  if (d.kind === 'depth') return [net.weights[0]!, net.biases[0]!, net.headWeight, net.headBias];
  const own = new Set([net.weights[d.layer], net.biases[d.layer]]);
  return net.weightParameters().filter((v) => !own.has(v));
}

/**
 * Gradient-matching scores of every decision on one batch: for each choice, the mean gradient of the
 * shared weights over `samples` random subnets taking it (deep enough to use the layer), then the
 * cosine similarity of every pair of choices. One readback.
 */
export async function gradientMatching(net: EntangledSupernet, batch: Batch, loss: TaskLoss, samples: number, rng: Rng): Promise<GradientMatch[]> {
  checkInt('gradientMatching', 'samples', samples, 1);
  const space = net.space;
  const decisions = decisionsOf(space);
  if (decisions.length === 0) throw new Error('gradientMatching: the space has no decision with two or more choices');
  const saved = net.subnet;
  const sims = tf.tidy(() =>
    decisions.map((d) => {
      const shared = sharedWeights(net, d);
      const means = choicesOf(space, d).map((c) => {
        let acc: tf.Tensor | null = null;
        for (let k = 0; k < samples; k++) {
          let s = randomSubnet(space, rng);
          if (d.kind !== 'depth') s = { ...s, depth: space.depthChoices.filter((x) => x > d.layer)[rng.int(space.depthChoices.filter((x) => x > d.layer).length)]! };
          net.subnet = withChoice(s, d, c);
          const { value, grads } = tf.variableGrads(() => loss(net.forward(batch.x, new ForwardContext({ training: true })), batch.y), shared);
          value.dispose();
          const flat = tf.concat(shared.map((v) => tf.reshape(grads[v.name] ?? tf.zerosLike(v), [-1]))); // every shared gradient -> (P,)
          acc = acc ? tf.add(acc, flat) : flat;
        }
        return tf.div(acc!, samples);
      });
      const G = tf.stack(means); // (choices, P)
      const unit = tf.div(G, tf.maximum(tf.norm(G, 2, 1, true), 1e-12));
      return tf.matMul(unit, unit, false, true); // (choices, choices) cosines
    }),
  );
  net.subnet = saved;
  const data = await Promise.all(sims.map((t) => t.data()));
  tf.dispose(sims);
  return decisions.map((d, i) => {
    const n = choicesOf(space, d).length;
    const similarity = Array.from({ length: n }, (_, r) => Array.from(data[i]!.subarray(r * n, r * n + n)));
    let off = 0;
    for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) if (r !== c) off += similarity[r]![c]!;
    return { decision: d, name: decisionName(d), choices: choicesOf(space, d), similarity, score: off / (n * (n - 1)) };
  });
}

/** Few-shot NAS with gradient-matching splits over an entangled supernet. */
export class FewShotGmSearch implements Searcher<SubnetConfig> {
  readonly method = 'few-shot-gm';
  readonly config: FewShotGmConfig;
  readonly pauseAt: number;
  private readonly opt: tf.Optimizer;
  /** The sub-supernets after the split (empty before). */
  parts: EntangledSupernet[] = [];
  /** The splits made, in order (bit k of a part's index = group of split k). */
  splitsMade: DecisionSplit[] = [];
  /** The gradient-matching scores the split was chosen from (empty with random selection). */
  scores: GradientMatch[] = [];

  constructor(readonly net: EntangledSupernet, readonly loss: TaskLoss, config: Partial<FewShotGmConfig> = {}) {
    checkKnownKeys('few-shot-gm', config, FEW_SHOT_GM_KEYS);
    const c = (this.config = { ...FEW_SHOT_GM_DEFAULTS, ...config });
    checkInt('few-shot-gm', 'splitStep', c.splitStep, 1);
    checkInt('few-shot-gm', 'splits', c.splits, 1, Math.max(1, decisionsOf(net.space).length));
    checkInt('few-shot-gm', 'gmSamples', c.gmSamples, 1);
    checkInt('few-shot-gm', 'candidates', c.candidates, 1);
    if (c.selection !== 'gradient-matching' && c.selection !== 'random') throw new Error(`few-shot-gm: selection=${describeValue(c.selection)} must be 'gradient-matching' or 'random'`);
    if (c.search !== 'evolution' && c.search !== 'random') throw new Error(`few-shot-gm: search=${describeValue(c.search)} must be 'evolution' or 'random'`);
    resolveEvolution('few-shot-gm', c.evolution);
    this.pauseAt = c.splitStep;
    this.opt = makeOptimizer(c.weightOptimizer);
  }

  /** The supernet holding a subnet's weights: the one-shot net before the split, its sub-supernet after. */
  netFor(s: SubnetConfig): EntangledSupernet {
    if (this.parts.length === 0) return this.net;
    let idx = 0;
    this.splitsMade.forEach((sp, k) => {
      if (sp.groups[1].includes(choiceOf(this.net.space, s, sp.decision))) idx |= 1 << k;
    });
    return this.parts[idx]!;
  }

  /** Split: choose the decisions, copy the one-shot weights into 2^splits sub-supernets. */
  async atPause(batch: Batch): Promise<void> {
    if (this.parts.length > 0) return;
    const rng = new Rng(this.config.seed).fork('split');
    const space = this.net.space;
    let chosen: DecisionSplit[];
    if (this.config.selection === 'gradient-matching') {
      this.scores = await gradientMatching(this.net, batch, this.loss, this.config.gmSamples, rng);
      chosen = [...this.scores].sort((a, b) => a.score - b.score).slice(0, this.config.splits).map((g) => {
        const [a, b] = minCutBipartition(g.similarity);
        return { decision: g.decision, groups: [a.map((i) => g.choices[i]!), b.map((i) => g.choices[i]!)] };
      });
    } else {
      const ds = decisionsOf(space);
      const order = Array.from(rng.permutation(ds.length)).slice(0, this.config.splits);
      chosen = order.map((i) => {
        const choices = choicesOf(space, ds[i]!);
        const perm = Array.from(rng.permutation(choices.length));
        const cut = 1 + rng.int(choices.length - 1);
        return { decision: ds[i]!, groups: [perm.slice(0, cut).map((k) => choices[k]!), perm.slice(cut).map((k) => choices[k]!)] };
      });
    }
    this.splitsMade = chosen;
    const src = this.net.weightParameters();
    this.parts = Array.from({ length: 1 << chosen.length }, (_, k) => {
      const part = new EntangledSupernet(space, new Rng(k));
      const dst = part.weightParameters();
      tf.tidy(() => dst.forEach((v, i) => v.assign(src[i]!)));
      return part;
    });
  }

  step(batch: SearchBatch, s: StepContext): StepOutput {
    const sub = randomSubnet(this.net.space, s.ctx.rng);
    const net = this.netFor(sub);
    net.subnet = sub;
    try {
      return { loss: this.opt.minimize(() => this.loss(net.forward(batch.train.x, s.ctx), batch.train.y), true, net.weightParameters())! };
    } finally {
      net.subnet = null;
    }
  }

  async result(val?: Batch): Promise<SubnetConfig> {
    return (await this.search(val)).best;
  }

  /** Search subnets scored by validation loss, each with its sub-supernet's weights. */
  async search(val?: Batch): Promise<EvolutionResult<SubnetConfig>> {
    if (!val) throw new Error('few-shot-gm: result(val) needs a validation batch to rank candidates');
    const score = async (cfg: SubnetConfig) => {
      const net = this.netFor(cfg);
      net.subnet = cfg;
      try {
        const l = tf.tidy(() => this.loss(net.forward(val.x, new ForwardContext()), val.y));
        const v = (await l.data())[0]!;
        l.dispose();
        return v;
      } finally {
        net.subnet = null;
      }
    };
    const rng = new Rng(this.config.seed);
    const genes = subnetGenes(this.net.space);
    if (this.config.search === 'evolution') return evolve(genes, score, resolveEvolution('few-shot-gm', this.config.evolution), rng);
    return evolve(genes, score, { population: this.config.candidates, generations: 0, parents: 1, mutationProb: 0 }, rng);
  }

  dispose(): void {
    this.opt.dispose();
    for (const p of this.parts) p.dispose();
    this.parts = [];
  }
}

// Grove MoE — Wu et al., "Grove MoE: Towards Efficient and Superior MoE LLMs with Adjugate
// Experts", arXiv:2508.07785. The E routed experts fall into G disjoint groups of E/G; each group
// has one small adjugate expert, run once for a token when any of the group's experts is chosen
// for it, weighted by λ times the sum of the gates of the group's chosen experts:
//   y = Σ_{i ∈ topk} g_i·E_i(x) + λ·Σ_{groups j hit} (Σ_{i ∈ topk ∩ G_j} g_i)·A_j(x).
// A token hitting fewer groups (two choices in one group) computes fewer adjugates: per-token compute
// varies, and `collectStats` reports it (`<key>.adjugates` beside the layer's routing stats, per token). The adjugates run through the
// same sparse dispatch as the experts (one pair per chosen expert; a repeated group's pair gets
// gate 0 — its rows are still computed, so the saving is counted, not realised, here).
// Departs from the paper: trained from scratch (no upcycling of Qwen3-30B-A3B); token-choice routers
// and dropless dispatch only.
import * as tf from '@tensorflow/tfjs-core';
import { checkKnownKeys, defaultRng, ForwardContext, Module, type Rng } from '@weft/core';
import { checkNumber, checkPositiveInt } from '@weft/core/internal';
import { autoBlockSize, droplessPlan, sparseCombine } from './dispatch.js';
import { StackedExperts } from './experts.js';
import { MOE_CONFIG_KEYS, MoE, type MoEConfig } from './moe.js';
import { routerEntry, untaped, type Routing } from './routers/index.js';

/** Config of {@link GroveMoE}: an {@link MoEConfig} plus the groups and their adjugate experts. */
export interface GroveMoEConfig extends MoEConfig {
  /** Expert groups G (numExperts must divide by it). Default: numExperts / 2 (the paper's n/g = 2). */
  groups?: number;
  /** Hidden width of each adjugate expert. Default: hidden / 2. */
  adjugateHidden?: number;
  /** Scale λ of the adjugate outputs. Default: G / numExperts (one over the experts per group). */
  lambda?: number;
}

/** An MoE layer whose expert groups each carry an adjugate expert (Grove MoE). */
export class GroveMoE extends Module {
  /** The routed layer (router, experts, shared experts, aux losses). */
  readonly moe: MoE;
  /** The G adjugate experts, stacked. */
  readonly adjugate: StackedExperts;
  /** Groups G, experts per group, λ. */
  readonly groups: number;
  readonly perGroup: number;
  readonly lambda: number;

  constructor(config: GroveMoEConfig, rng: Rng = defaultRng()) {
    super();
    const who = 'GroveMoE';
    checkKnownKeys(who, config, [...MOE_CONFIG_KEYS, 'groups', 'adjugateHidden', 'lambda']);
    const { groups, adjugateHidden, lambda, ...moe } = config;
    this.moe = this.addModule('moe', new MoE(moe, rng));
    const c = this.moe.cfg;
    if (c.capacityFactor !== null) throw new Error(`${who}: capacityFactor=${c.capacityFactor}; Grove MoE runs dropless (capacityFactor null)`);
    if (routerEntry(c.router).kind !== 'token-choice') throw new Error(`${who}: router='${c.router}' is ${routerEntry(c.router).kind}; Grove MoE needs a token-choice router`);
    this.groups = checkPositiveInt(who, 'groups', groups ?? Math.max(1, Math.floor(c.numExperts / 2)));
    if (c.numExperts % this.groups !== 0) throw new Error(`${who}: numExperts=${c.numExperts} must be divisible by groups=${this.groups}`);
    this.perGroup = c.numExperts / this.groups;
    this.lambda = checkNumber(who, 'lambda', lambda ?? this.groups / c.numExperts, 0);
    const h = checkPositiveInt(who, 'adjugateHidden', adjugateHidden ?? Math.max(1, Math.floor(c.hidden / 2)));
    if (c.expert !== 'ffn' && c.expert !== 'swiglu') throw new Error(`${who}: expert='${c.expert}'; adjugate experts are 'ffn' or 'swiglu'`);
    this.adjugate = this.addModule('adjugate', new StackedExperts({ dim: c.dim, numExperts: this.groups, hidden: h, kind: c.expert }, rng));
  }

  /** A token runs k/E of the experts and at most min(k, G)/G of the adjugates (fewer when its choices share a group). */
  override activeShareOf(name: string): number {
    return name === 'adjugate' ? Math.min(this.moe.cfg.topK, this.groups) / this.groups : 1;
  }

  /**
   * The adjugate routing of a token-choice routing: one pair per chosen expert, its group, gate
   * λ·(sum of the token's gates in that group) on the first pair of each group and 0 on repeats.
   * Also the count of adjugates each token runs (N,).
   */
  adjugateRouting(r: Routing, n: number): { routing: Routing; perToken: tf.Tensor1D } {
    const k = r.expert.shape[0] / n;
    const group = untaped(() => tf.floorDiv(tf.reshape(r.expert, [k, n]), tf.scalar(this.perGroup, 'int32')) as tf.Tensor2D); // (k, N) slot-major
    const same = untaped(() => tf.cast(tf.equal(tf.reshape(group, [k, 1, n]), tf.reshape(group, [1, k, n])), 'float32')); // (k_i, k_j, N)
    const earlier = untaped(() => tf.reshape(tf.sub(tf.linalg.bandPart(tf.ones([k, k]), 0, -1), tf.eye(k)), [k, k, 1])); // [i < j]
    const first = untaped(() => tf.cast(tf.equal(tf.sum(tf.mul(same, earlier), 0), 0), 'float32')); // (k, N): no earlier slot in the same group
    const gates = tf.reshape(r.gate, [k, 1, n]); // (k·N,) -> (k_i, 1, N)
    const groupGate = tf.sum(tf.mul(same, gates), 0); // (k_j, N): Σ_i g_i [group_i = group_j]
    const gate = tf.reshape(tf.mul(tf.mul(groupGate, first), this.lambda), [k * n]) as tf.Tensor1D;
    const expert = tf.reshape(group, [k * n]) as tf.Tensor1D;
    const choices = tf.transpose(group) as tf.Tensor2D; // (N, k)
    return { routing: { logits: null, probs: r.probs, expert, token: r.token, gate, choices }, perToken: tf.sum(first, 0) as tf.Tensor1D };
  }

  /** (..., d) -> (..., d). */
  forward(x: tf.Tensor, ctx: ForwardContext = new ForwardContext({ training: this.training })): tf.Tensor {
    const c = this.moe.cfg;
    if (x.shape[x.rank - 1] !== c.dim) throw new Error(`GroveMoE: input last dimension ${x.shape[x.rank - 1]} (shape [${x.shape}]) must equal dim=${c.dim}`);
    const flat = tf.reshape(x, [-1, c.dim]) as tf.Tensor2D; // (..., d) -> (N, d)
    const n = flat.shape[0];
    if (n === 0) return tf.clone(x);
    const { y: routed, routing } = this.moe.run(flat, ctx, x.rank >= 3 ? x.shape[x.rank - 2] : n);
    const adj = this.adjugateRouting(routing, n);
    const adjPlan = droplessPlan(adj.routing, n, this.groups, autoBlockSize(adj.routing.expert.shape[0], this.groups));
    const y = tf.add(routed, sparseCombine(flat, adj.routing, adjPlan, this.adjugate));
    if (ctx.collectStats) ctx.addStat(`${ctx.keyOf(this.moe, c.name, c.explicitName ? c.name : undefined)}.adjugates`, adj.perToken); // beside the layer's routing stats
    return tf.reshape(y, x.shape); // (N, d) -> (..., d)
  }
}

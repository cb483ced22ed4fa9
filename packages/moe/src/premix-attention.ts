// UMoE: Unifying Attention and FFN with Shared Experts — Yang, Wang, Li, arXiv:2505.07260.
// Pre-mixing attention as a mixture of experts: a router picks k experts per token; each (token,
// expert) pair gets its own query — the expert's low-rank query q_a·q_b plus a residual query shared
// by all experts — against one shared key projection, and the values are the token vectors
// themselves, so attention mixes tokens *before* the expert: x̃ = softmax(q·Kᵀ/√h)·X, then
// y = Σ_pairs gate · FFN_e(x̃). The experts are core {@link StackedExperts}, the kind an MoE FFN
// layer uses, so one set can serve both (UMoE's attention/FFN sharing: {@link UMoEBlock}). Shared
// experts get one shared query. Departs from the paper: no rotary embeddings (Weft's Transformers
// learn positions); token-choice routers only (expert-choice would need a whole sequence's pairs).
// Padding (the attention mask) is masked in attention and left out of the aux losses.
import * as tf from '@tensorflow/tfjs-core';
import { MLP, Module, causalMask, checkKnownKeys, configKeys, defaultRng, fanInUniform, ForwardContext, MASKED_SCORE, splitSequenceInput, type Rng, type SequenceInput } from '@weft/core';
import { checkBool, checkPositiveInt } from '@weft/core/internal';
import { denseCombine, pairsAsRows, sparseCombine } from './dispatch.js';
import type { StackedExperts } from './experts.js';
import { capacityOf, layerExperts, MOE_CONFIG_KEYS, MOE_OPTION_KEYS, planDispatch, reportRouting, resolveMoEConfig, routerShapeOf, type MoEConfig, type MoEOptions, type ResolvedMoEConfig } from './moe.js';
import { makeRouter, routerEntry, routerNames, type Router } from './routers/index.js';

/** Config of {@link PreMixingAttention} (plain JSON): an {@link MoEConfig} plus the attention's sizes. */
export interface PreMixingAttentionConfig extends MoEConfig {
  /** Query/key width h. Default: ⌈dim/4⌉. */
  headDim?: number;
  /** Rank r of each expert's query (q_a: dim×r, q_b: r×h). Default: 4. */
  queryRank?: number;
  /** Add one query shared by every expert to the experts' low-rank queries (the paper's residual query). Default: true. */
  residualQuery?: boolean;
  /** Causal attention. Default: true. */
  causal?: boolean;
}

/** Every key of {@link PreMixingAttentionConfig}, for the unknown-key check. */
export const PREMIX_ATTENTION_CONFIG_KEYS: readonly string[] = [
  ...MOE_CONFIG_KEYS,
  ...configKeys<Omit<PreMixingAttentionConfig, keyof MoEConfig>>({ headDim: true, queryRank: true, residualQuery: true, causal: true }),
];

/** The resolved config. */
export type ResolvedPreMixingAttentionConfig = ResolvedMoEConfig & Required<Pick<PreMixingAttentionConfig, 'headDim' | 'queryRank' | 'residualQuery' | 'causal'>>;

/** Fill the defaults of a {@link PreMixingAttentionConfig} and check it. */
export function resolvePreMixingAttentionConfig(config: PreMixingAttentionConfig): ResolvedPreMixingAttentionConfig {
  const who = 'PreMixingAttention';
  // Unnamed, its stats are keyed by its module path like MoE's (two blocks' attention no longer share 'attn_moe').
  const resolved = resolveMoEConfig(config, who, PREMIX_ATTENTION_CONFIG_KEYS);
  const base = config.name === undefined ? { ...resolved, name: 'attn_moe' } : resolved;
  if (routerEntry(base.router).kind !== 'token-choice') {
    const tokenChoice = routerNames().filter((n) => routerEntry(n).kind === 'token-choice');
    throw new Error(`${who}: router='${base.router}' is ${routerEntry(base.router).kind}; each pair needs its own query, so use a token-choice router (${tokenChoice.join(', ')})`);
  }
  const c = {
    ...base,
    headDim: config.headDim ?? Math.ceil(base.dim / 4),
    queryRank: config.queryRank ?? 4,
    residualQuery: config.residualQuery ?? true,
    causal: config.causal ?? true,
  };
  checkPositiveInt(who, 'headDim', c.headDim);
  checkPositiveInt(who, 'queryRank', c.queryRank);
  checkBool(who, 'residualQuery', c.residualQuery);
  checkBool(who, 'causal', c.causal);
  return c;
}

/** UMoE's attention layer: (B, T, dim) [+ attentionMask (B, T)] -> (B, T, dim). */
export class PreMixingAttention extends Module<SequenceInput, tf.Tensor> {
  /** The resolved config. */
  readonly cfg: ResolvedPreMixingAttentionConfig;
  /** The router (token-choice). */
  readonly router: Router;
  /** The routed experts (pass them to an MoE FFN layer to share them). */
  readonly experts: StackedExperts;
  /** The frozen dense FFN that MoV/MoLoRA experts modulate (the experts' base, registered here), or null. */
  readonly base: MLP | null;
  /** Shared experts (one fused MLP) with their shared query, or null. */
  readonly shared: MLP | null;
  /** Share of the routed experts one token uses (its router entry's active share, plus `expertsShareElsewhere`). */
  readonly expertShare: number;
  /** Share of the experts' query factors one token uses (its router entry's active share). */
  private readonly queryShare: number;
  private readonly queryA: tf.Variable; // (E, dim, r)
  private readonly queryB: tf.Variable; // (E, r, h)
  private readonly queryResidual: tf.Variable | null; // (dim, h)
  private readonly key: tf.Variable; // (dim, h)
  private readonly sharedQuery: tf.Variable | null; // (dim, h)

  constructor(config: PreMixingAttentionConfig, rng: Rng = defaultRng(), options: MoEOptions = {}) {
    super();
    const c = (this.cfg = resolvePreMixingAttentionConfig(config));
    const { dim: d, numExperts: e, headDim: h, queryRank: r } = c;
    checkKnownKeys('PreMixingAttention options', options, MOE_OPTION_KEYS);
    this.router = this.addModule('router', makeRouter(c.router, c.routerConfig, routerShapeOf(c), rng, { gru: options.gru }));
    const { experts, own, share } = layerExperts('PreMixingAttention', c, rng, options);
    this.experts = this.addModule('experts', experts);
    this.base = experts.base ? this.addModule('base', experts.base) : null;
    this.expertShare = share;
    this.queryShare = own;
    this.queryA = this.addParameter('queryA', fanInUniform([e, d, r], d, rng));
    this.queryB = this.addParameter('queryB', fanInUniform([e, r, h], r, rng));
    this.queryResidual = c.residualQuery ? this.addParameter('queryResidual', fanInUniform([d, h], d, rng)) : null;
    this.key = this.addParameter('key', fanInUniform([d, h], d, rng));
    this.shared = c.sharedExperts > 0 ? this.addModule('shared', new MLP({ dim: d, hidden: c.sharedExperts * c.sharedHidden, gated: c.expert === 'swiglu' }, rng)) : null;
    this.sharedQuery = this.shared ? this.addParameter('sharedQuery', fanInUniform([d, h], d, rng)) : null;
  }

  /** Each token uses its k experts (and their query factors); router, keys, base and shared experts are used by every token. */
  override activeShareOf(name: string): number {
    if (name === 'experts') return this.expertShare;
    return name === 'queryA' || name === 'queryB' ? this.queryShare : 1;
  }

  /**
   * softmax(q·Kᵀ/√h)·V for `q` (B, G, T, h) — G queries per position — keys (B, 1, T, h) and
   * values (B, 1, T, d): (B, G, T, d). Causal and padding masks as core's attention.
   */
  private mix(q: tf.Tensor, keys: tf.Tensor, values: tf.Tensor, mask: tf.Tensor | null): tf.Tensor {
    const T = keys.shape[2]!;
    let scores = tf.mul(tf.matMul(q, keys, false, true), 1 / Math.sqrt(this.cfg.headDim)); // (B, G, T, T)
    if (this.cfg.causal) scores = tf.add(scores, causalMask(T));
    if (mask) {
      const keep = tf.reshape(tf.cast(mask, 'float32'), [mask.shape[0]!, 1, 1, T]); // (B, T) -> (B, 1, 1, T)
      scores = tf.add(scores, tf.mul(tf.sub(1, keep), MASKED_SCORE));
    }
    return tf.matMul(tf.softmax(scores, -1), values); // (B, G, T, T) × (B, 1, T, d) -> (B, G, T, d)
  }

  /** (B, T, dim) [+ attentionMask (B, T)] -> (B, T, dim). */
  forward(input: SequenceInput, ctx: ForwardContext = new ForwardContext({ training: this.training })): tf.Tensor {
    const { x, attentionMask } = splitSequenceInput(input);
    const c = this.cfg;
    if (x.rank !== 3 || x.shape[2] !== c.dim) throw new Error(`PreMixingAttention: input has shape [${x.shape}]; expected (batch, time, ${c.dim})`);
    const [B, T, d] = x.shape as [number, number, number];
    if (attentionMask && (attentionMask.rank !== 2 || attentionMask.shape[0] !== B || attentionMask.shape[1] !== T)) {
      throw new Error(`PreMixingAttention: attentionMask has shape [${attentionMask.shape}]; expected [${B}, ${T}] (batch, time)`);
    }
    const n = B * T;
    if (n === 0) return tf.clone(x);
    const { numExperts: e, topK: k, headDim: h, queryRank: r } = c;
    const flat = tf.reshape(x, [n, d]) as tf.Tensor2D; // (B, T, d) -> (N, d)
    const routing = this.router.forward(flat, ctx);
    const p = routing.expert.shape[0]; // N·k pairs, slot-major: pair s·N + n is token n's (s+1)-th choice

    // Each pair's query: its token through its expert's q_a (all experts at once, then pick), its expert's q_b.
    const allA = tf.matMul(flat, tf.reshape(tf.transpose(this.queryA, [1, 0, 2]), [d, e * r])); // (E, d, r) -> (d, E, r) -> (d, E·r); (N, E·r)
    const cell = tf.add(tf.mul(routing.token, tf.scalar(e, 'int32')), routing.expert); // (P,) index into (N·E)
    const a = tf.gather(tf.reshape(allA, [n * e, r]), cell); // (N, E·r) -> (N·E, r) -> (P, r)
    let q = tf.sum(tf.mul(tf.reshape(a, [p, r, 1]), tf.gather(this.queryB, routing.expert)), 1); // (P, r, 1) · (P, r, h) -> (P, h)
    if (this.queryResidual) q = tf.add(q, tf.gather(tf.matMul(flat, this.queryResidual), routing.token)); // (N, h) -> (P, h)
    const q4 = tf.transpose(tf.reshape(q, [k, B, T, h]), [1, 0, 2, 3]); // (P, h) -> (k, B, T, h) -> (B, k, T, h)
    const keys = tf.reshape(tf.matMul(flat, this.key), [B, 1, T, h]); // (N, h) -> (B, 1, T, h)
    const values = tf.reshape(x, [B, 1, T, d]);
    const mixed = this.mix(q4, keys, values, attentionMask); // (B, k, T, d)
    const pairInputs = tf.reshape(tf.transpose(mixed, [1, 0, 2, 3]), [p, d]) as tf.Tensor2D; // (B, k, T, d) -> (k, B, T, d) -> (P, d)

    // Experts on the pairs' own inputs: each pair is one row of the dispatch.
    const pairs = pairsAsRows(routing);
    const plan = planDispatch(c, pairs, p, capacityOf(c, n, ctx.training));
    const combine = c.dispatch === 'dense' ? denseCombine : sparseCombine;
    let y = tf.sum(tf.reshape(combine(pairInputs, pairs, plan, this.experts), [k, n, d]), 0) as tf.Tensor2D; // gated (P, d) -> (k, N, d) -> (N, d)
    if (this.shared && this.sharedQuery) {
      const qs = tf.reshape(tf.matMul(flat, this.sharedQuery), [B, 1, T, h]); // (N, h) -> (B, 1, T, h)
      const mixedShared = tf.reshape(this.mix(qs, keys, values, attentionMask), [n, d]); // (B, 1, T, d) -> (N, d)
      y = tf.add(y, this.shared.forward(mixedShared, ctx));
    }
    reportRouting(c, routing, plan, n, ctx, attentionMask ?? undefined, n, this);
    return tf.reshape(y, [B, T, d]); // (N, d) -> (B, T, d)
  }
}

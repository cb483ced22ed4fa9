// Auxiliary losses of mixture-of-experts routing, as published, taking router logits as
// transformers' functions do (softmax and top-k inside; the router's own probabilities and choices
// are an option, for routers whose distribution is not a softmax of logits or whose choices are not
// its top-k: hash, DSelect-k, grouped):
// - Switch load balance (Fedus et al., "Switch Transformers", arXiv:2101.03961): E · Σ_e f_e · P_e,
//   f_e = fraction of tokens that picked e, P_e = mean router probability of e. Written like
//   transformers' Switch `load_balancing_loss_func`: E² · mean over groups and experts of f·P, a
//   group being each leading index (a sequence of a (B, T, E) batch); a token counts once per
//   expert it picked.
// - GShard (Lepikhin et al., arXiv:2006.16668, Algorithm 1): mean_e(c_e/S · m_e) over the first
//   choices — the paper's form, i.e. the Switch value divided by E² (implementations rescale; the
//   weight absorbs it).
// - Mixtral (transformers' Mixtral/Qwen-MoE `load_balancing_loss_func(gate_logits, num_experts,
//   top_k, attention_mask)`): E · Σ_e (Σ_slot f_{e,slot}) · P_e over every token of every layer —
//   every one of the k choices counts; padding (attention mask 0) is left out of both means.
// - Sequence-wise (DeepSeek-V3, arXiv:2412.19437, eq. 17–20): per sequence, Σ_e f_e·P_e with
//   f_e = E/(k·T)·(tokens that chose e among their k) and P_e the mean of the router's normalised
//   scores; averaged over the sequences (groups) of a (B, T, E) batch.
// - Router z-loss (Zoph et al., "ST-MoE", arXiv:2202.08906; transformers' `router_z_loss_func`):
//   mean over tokens of logsumexp(logits)².
// - Router entropy: mean over tokens of −Σ_e p_e log p_e.
// Every loss takes an optional attention mask (1 = token, 0 = padding) as transformers' Mixtral
// loss does; Weft applies it to each form (transformers' Switch functions take none).
import * as tf from '@tensorflow/tfjs-core';
import { checkKnownKeys, configKeys, describeValue } from '@weft/core';
import { checkPositiveInt } from '@weft/core/internal';
import { untaped } from './routers/router.js';

/** Names of the load-balancing forms. */
export const LOAD_BALANCE_FORMS = ['switch', 'gshard', 'mixtral', 'sequence'] as const;
/** A load-balancing form. */
export type LoadBalanceForm = (typeof LOAD_BALANCE_FORMS)[number];

/** A router's own distribution and choices, for the balance losses (instead of logits). */
export interface RouterChoices {
  /** Router probabilities (..., E), rows summing to 1. */
  probs: tf.Tensor;
  /** Chosen experts (...) or (..., k), int32 (or integral floats), first column the first choice. */
  indices: tf.Tensor;
}

/**
 * What a balance loss reads: router logits (..., E) — or one tensor per layer, as transformers'
 * tuple of `gate_logits`, whose rows are concatenated — from which it takes softmax and top-k; or
 * the router's own {@link RouterChoices}.
 */
export type RouterScores = tf.Tensor | readonly tf.Tensor[] | RouterChoices;

/** Options of the load-balancing losses. */
export interface LoadBalanceOptions {
  /**
   * Choices per token taken from logits (top-k of the softmax). Default: 1 for 'switch' and
   * 'gshard' (GShard counts the first choice only, and takes no other), 2 for 'mixtral' (as
   * transformers' `top_k`). With {@link RouterChoices} the indices give k: leave it unset.
   */
  topK?: number;
  /**
   * Attention mask (B, T) or any shape with one entry per token: 1 for a token, 0 for padding,
   * which is left out of every mean. With more rows than entries (several layers' logits
   * concatenated) it repeats once per layer, as in transformers. Default: every token counts.
   */
  attentionMask?: tf.Tensor;
}

/** Options of {@link routerZLoss}. */
export interface RouterZLossOptions {
  /** Attention mask with one entry per token (repeated per layer), as {@link LoadBalanceOptions.attentionMask}. Default: every token counts. */
  attentionMask?: tf.Tensor;
  /**
   * softmax(logits) over the last axis, when the caller already has it (a softmax router's own
   * probabilities): used instead of computing it again. Only with one logits tensor, of the same
   * shape. Default: computed from the logits.
   */
  probs?: tf.Tensor;
}

const BALANCE_KEYS = configKeys<LoadBalanceOptions>({ topK: true, attentionMask: true });
const Z_LOSS_KEYS = configKeys<RouterZLossOptions>({ attentionMask: true, probs: true });

/** Routing as the losses read it: groups G of S tokens. */
interface Routed {
  /** Probabilities (G, S, E). */
  probs: tf.Tensor3D;
  /** Chosen experts (G, S, k) int32, first column the first choice. */
  picked: tf.Tensor3D;
  /** Token weights (G, S, 1): 1 for a token, 0 for padding; null when every token counts. */
  weight: tf.Tensor3D | null;
}

function isChoices(s: RouterScores): s is RouterChoices {
  return !(s instanceof tf.Tensor) && !Array.isArray(s);
}

/** Logits as (G, S, E): one group per leading index when `grouped` (rank ≥ 3), else one group of every row. */
function logitsOf(where: string, scores: tf.Tensor | readonly tf.Tensor[], grouped: boolean): tf.Tensor3D {
  const list = scores instanceof tf.Tensor ? [scores] : [...scores];
  if (list.length === 0) throw new Error(`${where}: logits is an empty list; expected one (..., E) tensor per layer`);
  const e = list[0]!.shape[list[0]!.rank - 1]!;
  for (const t of list) {
    if (!(t instanceof tf.Tensor) || t.rank < 2 || t.shape[t.rank - 1] !== e) {
      throw new Error(`${where}: logits must be (..., E) tensors of rank ≥ 2 with one E; got [${t instanceof tf.Tensor ? t.shape : String(t)}]`);
    }
  }
  if (list.length === 1 && grouped) return asGroups(list[0]!);
  const rows = list.map((t) => tf.reshape(t, [-1, e])); // (..., E) -> (N_l, E)
  const all = rows.length === 1 ? rows[0]! : tf.concat(rows, 0); // (Σ N_l, E)
  return tf.reshape(all, [1, -1, e]);
}

/** (..., S, E) -> (G, S, E) with G the product of the leading axes (1 for rank 2). */
function asGroups(t: tf.Tensor): tf.Tensor3D {
  const [s, e] = t.shape.slice(-2) as [number, number];
  return tf.reshape(t, [-1, s, e]);
}

/** The routing the losses read from `scores`, `k` choices per token from logits (defaultK unless `options.topK`), masked by `options.attentionMask`. */
function routed(where: string, scores: RouterScores, options: LoadBalanceOptions, defaultK: number, grouped: boolean): Routed {
  let probs: tf.Tensor3D;
  let picked: tf.Tensor3D;
  if (isChoices(scores)) {
    checkKnownKeys(`${where} scores`, scores, ['probs', 'indices']);
    if (options.topK !== undefined) throw new Error(`${where}: topK=${options.topK} is given with probs and indices; the indices give k (leave topK unset)`);
    const { probs: p, indices } = scores;
    if (!(p instanceof tf.Tensor) || p.rank < 2) throw new Error(`${where}: probs must be a (..., E) tensor of rank ≥ 2`);
    if (!(indices instanceof tf.Tensor)) throw new Error(`${where}: indices must be a tensor of expert ids`);
    probs = grouped ? asGroups(p) : tf.reshape(p, [1, -1, p.shape[p.rank - 1]!]);
    const [g, s] = probs.shape;
    if (indices.size % (g * s) !== 0 || indices.size === 0) {
      throw new Error(`${where}: indices has shape [${indices.shape}]; expected one or more choices for each of the ${g * s} rows of probs [${p.shape}]`);
    }
    picked = tf.reshape(tf.cast(indices, 'int32'), [g, s, -1]); // (...) or (..., k) -> (G, S, k)
  } else {
    const logits = logitsOf(where, scores, grouped);
    const e = logits.shape[2];
    const k = options.topK ?? defaultK;
    checkPositiveInt(where, 'topK', k);
    if (k > e) throw new Error(`${where}: topK=${k} must be ≤ the number of experts ${e}`);
    probs = tf.softmax(logits) as tf.Tensor3D;
    picked = untaped(() => tf.topk(probs, k).indices as tf.Tensor3D); // top-k of the softmax = top-k of the logits
  }
  return { probs, picked, weight: options.attentionMask ? tokenWeights(where, options.attentionMask, probs.shape[0], probs.shape[1]) : null };
}

/** The attention mask as (G, S, 1) token weights, repeated once per layer when the rows are several layers' tokens. */
function tokenWeights(where: string, mask: tf.Tensor, g: number, s: number): tf.Tensor3D {
  if (!(mask instanceof tf.Tensor)) throw new Error(`${where}: attentionMask must be a tensor (1 = token, 0 = padding)`);
  const rows = g * s;
  if (mask.size === 0 || rows % mask.size !== 0) {
    throw new Error(`${where}: attentionMask has shape [${mask.shape}] (${mask.size} tokens); the ${rows} routed rows must be a whole number of copies of it (one per layer)`);
  }
  const flat = tf.reshape(tf.cast(mask, 'float32'), [1, mask.size]);
  return tf.reshape(tf.tile(flat, [rows / mask.size, 1]), [g, s, 1]); // (L, M) -> (G, S, 1), layer-major as the rows
}

/** Mean over the tokens (axis 1) of x (G, S, ...), weighted by `w` (G, S, 1) when given: (G, ...). */
function tokenMean(x: tf.Tensor, w: tf.Tensor3D | null): tf.Tensor {
  if (!w) return tf.mean(x, 1);
  const shaped = tf.reshape(w, [...w.shape.slice(0, 2), ...new Array<number>(x.rank - 2).fill(1)]); // (G, S, 1, ...) to broadcast over x
  return tf.div(tf.sum(tf.mul(x, shaped), 1), tf.maximum(tf.sum(shaped, 1), 1e-12));
}

/** One-hot of the picked experts, float32 (webgpu's int reductions fail): (G, S, k) -> (G, S, k, E). */
function oneHot(picked: tf.Tensor3D, e: number): tf.Tensor4D {
  return tf.oneHot(picked, e, 1, 0, 'float32') as tf.Tensor4D;
}

/**
 * Switch-Transformer load-balancing loss: E² · mean over groups and experts of f·P, f_e the
 * fraction of a group's tokens that picked e (a token counts once per expert among its choices),
 * P_e the mean probability of e. From logits (G, S, E) or (N, E) it takes the softmax and the
 * top-`topK` (default 1); with {@link RouterChoices} it equals transformers' Switch
 * `load_balancing_loss_func(router_probs, expert_indices)`.
 */
export function switchLoadBalancingLoss(scores: RouterScores, options: LoadBalanceOptions = {}): tf.Scalar {
  checkKnownKeys('switchLoadBalancingLoss', options, BALANCE_KEYS);
  return tf.tidy(() => {
    const { probs, picked, weight } = routed('switchLoadBalancingLoss', scores, options, 1, true);
    const e = probs.shape[2];
    const mask = tf.max(oneHot(picked, e), 2); // (G, S, k, E) -> (G, S, E): picked at all
    const f = tokenMean(mask, weight); // (G, E)
    const P = tokenMean(probs, weight); // (G, E)
    return tf.mul(tf.mean(tf.mul(f, P)), e * e) as tf.Scalar;
  });
}

/**
 * GShard's auxiliary loss as in its Algorithm 1: mean_e(c_e/S · m_e) per group, averaged over
 * groups, with c_e the first-choice counts (the argmax of logits, or the first column of indices).
 */
export function gshardLoadBalancingLoss(scores: RouterScores, options: Omit<LoadBalanceOptions, 'topK'> = {}): tf.Scalar {
  checkKnownKeys('gshardLoadBalancingLoss', options, ['attentionMask']);
  return tf.tidy(() => {
    const { probs, picked, weight } = routed('gshardLoadBalancingLoss', scores, options, 1, true);
    const [g, s, e] = probs.shape;
    const first = tf.slice(picked, [0, 0, 0], [g, s, 1]); // (G, S, 1)
    const ce = tokenMean(tf.reshape(oneHot(first, e), [g, s, e]), weight); // c_e / S: (G, E)
    const me = tokenMean(probs, weight); // (G, E)
    return tf.mean(tf.mul(ce, me)) as tf.Scalar;
  });
}

/**
 * Mixtral's load-balancing loss, transformers' Mixtral/Qwen-MoE
 * `load_balancing_loss_func(gate_logits, num_experts, top_k, attention_mask)`: softmax and top-k
 * (`topK`, default 2) of the logits of every layer (one tensor, or a list concatenated by rows),
 * then E · Σ_slot Σ_e f_{slot,e} · P_e, with padded tokens left out of both means. With
 * {@link RouterChoices} every column of the indices counts.
 */
export function mixtralLoadBalancingLoss(scores: RouterScores, options: LoadBalanceOptions = {}): tf.Scalar {
  checkKnownKeys('mixtralLoadBalancingLoss', options, BALANCE_KEYS);
  return tf.tidy(() => {
    const { probs, picked, weight } = routed('mixtralLoadBalancingLoss', scores, options, 2, false);
    const e = probs.shape[2];
    const tokensPerExpert = tokenMean(oneHot(picked, e), weight); // (1, N, k, E) -> (1, k, E)
    const P = tf.reshape(tokenMean(probs, weight), [1, 1, e]); // (1, E) -> (1, 1, E)
    return tf.mul(tf.sum(tf.mul(tokensPerExpert, P)), e) as tf.Scalar;
  });
}

/**
 * DeepSeek-V3's sequence-wise balance loss: per sequence (each leading index of (B, T, E) scores;
 * (T, E) is one sequence), Σ_e f_e · P_e with f_e = E/(k·T) · #(tokens whose k choices include e)
 * and P_e the mean router probability of e (DeepSeek-V3's normalised scores s'), averaged over the
 * sequences. From logits it takes the softmax and top-`topK` (default 2); with
 * {@link RouterChoices} every column of the indices counts. Uniform routing gives 1.
 */
export function sequenceLoadBalancingLoss(scores: RouterScores, options: LoadBalanceOptions = {}): tf.Scalar {
  checkKnownKeys('sequenceLoadBalancingLoss', options, BALANCE_KEYS);
  return tf.tidy(() => {
    const { probs, picked, weight } = routed('sequenceLoadBalancingLoss', scores, options, 2, true);
    const e = probs.shape[2];
    const k = picked.shape[2];
    const f = tf.mul(tokenMean(tf.sum(oneHot(picked, e), 2), weight), e / k); // (G, S, k, E) -> (G, S, E) -> (G, E)
    const P = tokenMean(probs, weight); // (G, E)
    return tf.mean(tf.sum(tf.mul(f, P), 1)) as tf.Scalar;
  });
}

/**
 * Load-balancing loss in the named form. 'switch' and 'gshard' count each token's first choice
 * (the argmax of logits, or the first column of indices); 'mixtral' and 'sequence' count its k
 * choices (top `topK` of logits, default 2, or every column of indices).
 */
export function loadBalancingLoss(form: LoadBalanceForm, scores: RouterScores, options: LoadBalanceOptions = {}): tf.Scalar {
  checkKnownKeys('loadBalancingLoss', options, BALANCE_KEYS);
  if (form === 'mixtral') return mixtralLoadBalancingLoss(scores, options);
  if (form === 'sequence') return sequenceLoadBalancingLoss(scores, options);
  if (form !== 'switch' && form !== 'gshard') {
    throw new Error(`loadBalancingLoss: form=${describeValue(form)} must be one of ${LOAD_BALANCE_FORMS.map((f) => JSON.stringify(f)).join(', ')}`);
  }
  if (options.topK !== undefined && options.topK !== 1) throw new Error(`loadBalancingLoss: topK=${options.topK} applies to the 'mixtral' form; '${form}' counts the first choice`);
  const { attentionMask } = options;
  return tf.tidy(() => {
    let s = scores;
    if (isChoices(s)) {
      const { indices } = s;
      const idx = indices.rank > s.probs.rank - 1 ? tf.slice(indices, new Array<number>(indices.rank).fill(0), [...indices.shape.slice(0, -1), 1]) : indices; // (..., k) -> (..., 1)
      s = { probs: s.probs, indices: idx };
    }
    const opts = attentionMask ? { attentionMask } : {};
    return form === 'switch' ? switchLoadBalancingLoss(s, opts) : gshardLoadBalancingLoss(s, opts);
  });
}

/**
 * The 'switch', 'gshard' or 'mixtral' balance loss of one group of N tokens from their router
 * probabilities (N, E) and choices (N, k) int32, first column the first choice: equal to
 * `loadBalancingLoss(form, { probs, indices: choices })` without an attention mask. Written as
 * scale·Σ_e c_e·P_e — c_e the choices of expert e per token ('switch' and 'gshard' count the first
 * column, 'mixtral' every column), P_e = mean_n probs[n, e], scale E ('switch', 'mixtral') or 1/E
 * ('gshard') — with its gradient written out (∂/∂probs[n, e] = scale·c_e/N): one reduction over
 * (N, E) forward and one broadcast backward, where the one-hot form ran about seven passes over
 * (N, E) (a one-hot, its max, two means, and the mean's gradient as ones·dy/N).
 */
export function choiceBalancingLoss(form: 'switch' | 'gshard' | 'mixtral', probs: tf.Tensor2D, choices: tf.Tensor2D): tf.Scalar {
  const who = 'choiceBalancingLoss';
  if (!['switch', 'gshard', 'mixtral'].includes(form)) throw new Error(`${who}: form=${describeValue(form)} must be one of "switch", "gshard", "mixtral"`);
  if (!(probs instanceof tf.Tensor) || probs.rank !== 2 || probs.shape[0] === 0) throw new Error(`${who}: probs must be an (N, E) tensor with N ≥ 1; got [${probs instanceof tf.Tensor ? probs.shape : String(probs)}]`);
  const [n, e] = probs.shape;
  if (!(choices instanceof tf.Tensor) || choices.rank !== 2 || choices.dtype !== 'int32' || choices.shape[0] !== n || choices.shape[1] === 0) {
    throw new Error(`${who}: choices must be an int32 (N, k) tensor, k ≥ 1, for the N=${n} rows of probs; got ${choices instanceof tf.Tensor ? `${choices.dtype} [${choices.shape}]` : String(choices)}`);
  }
  return tf.tidy(() => {
    const counted = tf.reshape(form === 'mixtral' ? choices : tf.slice(choices, [0, 0], [n, 1]), [-1]) as tf.Tensor1D; // every column, or the first
    const c = tf.div(tf.unsortedSegmentSum(tf.ones(counted.shape), counted, e), n); // (E,) choices per token
    const scale = form === 'gshard' ? 1 / e : e;
    const f = tf.customGrad(((p: tf.Tensor, save: tf.GradSaveFunc) => {
      save([c]); // kept for the gradient (this tidy ends before it runs)
      return {
        value: tf.mul(tf.sum(tf.mul(tf.mean(p, 0), c)), scale),
        // (E,) -> (1, E), repeated over the N rows as the outer product ones (N, 1)·row (1, E): tfjs wasm's
        // Tile (broadcastTo) took 1 ms for 512×64 (CPU time), the product 0.02 ms.
        gradFunc: (dy: tf.Tensor, [c0]: tf.Tensor[]) => tf.matMul(tf.ones([n, 1]), tf.reshape(tf.mul(c0!, tf.mul(dy, scale / n)), [1, e])),
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0]);
    return f(probs) as tf.Scalar;
  });
}

/**
 * Router z-loss: mean over tokens of logsumexp(logits)², logits (..., E) or one tensor per layer
 * (padding left out with `attentionMask`). Equals transformers' `router_z_loss_func`.
 */
export function routerZLoss(logits: tf.Tensor | readonly tf.Tensor[], options: RouterZLossOptions = {}): tf.Scalar {
  checkKnownKeys('routerZLoss', options, Z_LOSS_KEYS);
  return tf.tidy(() => {
    const l = logitsOf('routerZLoss', logits, false); // (1, N, E)
    const w = options.attentionMask ? tokenWeights('routerZLoss', options.attentionMask, 1, l.shape[1]) : null;
    const { probs } = options;
    if (probs !== undefined && (!(probs instanceof tf.Tensor) || !(logits instanceof tf.Tensor) || !tf.util.arraysEqual(probs.shape, logits.shape))) {
      throw new Error(`routerZLoss: probs has shape [${probs instanceof tf.Tensor ? probs.shape : String(probs)}]; expected one tensor shaped as the logits [${logits instanceof tf.Tensor ? logits.shape : 'a list'}]`);
    }
    return zLossOf(l, w, probs ? tf.reshape(probs, l.shape) : null);
  });
}

/**
 * Weighted mean over tokens of lse², l (1, N, E), w (1, N, 1) or null (every token 1), with its
 * gradient written out: ∂/∂l = 2·w·lse·p / Σw, p = softmax(l). lse comes from p: lse = max(l) −
 * log(max(p)) (the largest logit's probability is exp(max − lse)), so one softmax (none when `given`,
 * the router's p) and two max reductions run over (N, E) and no Exp (tfjs wasm's scalar exp: 0.28 ms over 512×64), and the
 * gradient is one product over (N, E), where autodiff of logSumExp ran a dozen ops (its Max's gradient
 * through an Equal mask).
 */
function zLossOf(l: tf.Tensor3D, w: tf.Tensor3D | null, given: tf.Tensor | null): tf.Scalar {
  const n = l.shape[1];
  const f = tf.customGrad(((lg: tf.Tensor, save: tf.GradSaveFunc) => {
    const p = given ?? tf.softmax(lg); // (1, N, E)
    const lse = tf.sub(tf.max(lg, 2, true), tf.log(tf.max(p, 2, true))); // (1, N, 1)
    save(w ? [p, lse, w] : [p, lse]); // kept for the gradient (the caller's tidy ends before it runs)
    return {
      value: tf.reshape(tokenMean(tf.square(lse), w), []),
      gradFunc: (dy: tf.Tensor, [p0, lse0, w0]: tf.Tensor[]) => {
        const scale = w0 ? tf.div(tf.mul(w0, 2), tf.maximum(tf.sum(w0), 1e-12)) : tf.scalar(2 / n); // (1, N, 1) or scalar
        return tf.mul(p0!, tf.mul(tf.mul(lse0!, scale), dy)); // p (1, N, E) · 2·w·lse/Σw (1, N, 1)
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(l) as tf.Scalar;
}

/** Mean entropy (nats) of the routing distributions `probs` (..., E). */
export function routerEntropy(probs: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const p = tf.reshape(probs, [-1, probs.shape[probs.rank - 1]!]); // (..., E) -> (N, E)
    return tf.neg(tf.mean(tf.sum(tf.mul(p, tf.log(tf.maximum(p, 1e-12))), 1))) as tf.Scalar;
  });
}

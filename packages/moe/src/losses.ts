// Auxiliary losses of mixture-of-experts routing, as published:
// - Switch load balance (Fedus et al., "Switch Transformers", arXiv:2101.03961): E · Σ_e f_e · P_e,
//   f_e = fraction of tokens whose (first) choice is e, P_e = mean router probability of e. Written
//   like transformers' `load_balancing_loss_func`: E² · mean_e(f_e · P_e), indices [N] or [N, k]
//   (a token counts once per expert it picked).
// - GShard (Lepikhin et al., arXiv:2006.16668, Algorithm 1): mean_e(c_e/S · m_e) — the paper's
//   form, i.e. the Switch value divided by E² (implementations rescale; the weight absorbs it).
// - Mixtral (transformers' Mixtral `load_balancing_loss_func`): E · Σ_e (Σ_slot f_{e,slot}) · P_e —
//   every one of the k choices counts.
// - Router z-loss (Zoph et al., "ST-MoE", arXiv:2202.08906): mean over tokens of logsumexp(logits)².
// - Router entropy: mean over tokens of −Σ_e p_e log p_e.
import * as tf from '@tensorflow/tfjs-core';

/** Names of the load-balancing forms. */
export const LOAD_BALANCE_FORMS = ['switch', 'gshard', 'mixtral'] as const;
/** A load-balancing form. */
export type LoadBalanceForm = (typeof LOAD_BALANCE_FORMS)[number];

/** Rows of `probs` as (tokens, E): any leading axes are flattened (groups of equal size average the same). */
function flat(t: tf.Tensor): tf.Tensor2D {
  const e = t.shape[t.rank - 1]!;
  return tf.reshape(t, [-1, e]); // (..., E) -> (N, E)
}

/** Indices as (N, k) int32 from (N,) or (N, k) or (..., k). */
function indices2d(indices: tf.Tensor, n: number): tf.Tensor2D {
  const i = tf.cast(indices, 'int32');
  return tf.reshape(i, [n, -1]); // (N,) or (..., k) -> (N, k)
}

/**
 * Switch-Transformer load-balancing loss: E² · mean_e(f_e · P_e), f_e the fraction of tokens
 * that picked e (among `indices`, [N] or [N, k]; a token counts once per expert), P_e the mean of
 * `probs` [N, E]. Equals transformers' `load_balancing_loss_func`.
 */
export function switchLoadBalancingLoss(probs: tf.Tensor, indices: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const p = flat(probs);
    const [n, e] = p.shape;
    const idx = indices2d(indices, n);
    const mask = tf.max(tf.oneHot(idx, e, 1, 0, 'float32'), 1); // (N, k, E) -> (N, E): picked at all (float: webgpu's int reductions fail)
    const f = tf.mean(mask, 0); // (E,)
    const P = tf.mean(p, 0); // (E,)
    return tf.mul(tf.mean(tf.mul(f, P)), e * e) as tf.Scalar;
  });
}

/** GShard's auxiliary loss as in its Algorithm 1: mean_e(c_e/S · m_e) with c_e the first-choice counts. */
export function gshardLoadBalancingLoss(probs: tf.Tensor, firstChoice: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const p = flat(probs);
    const [n, e] = p.shape;
    const idx = tf.reshape(tf.cast(firstChoice, 'int32'), [n]); // (N,)
    const ce = tf.mean(tf.cast(tf.oneHot(idx, e), 'float32'), 0); // c_e / S
    const me = tf.mean(p, 0);
    return tf.mean(tf.mul(ce, me)) as tf.Scalar;
  });
}

/** Mixtral's load-balancing loss: E · Σ_e (Σ_slot mean_n onehot(idx[n, slot])_e) · P_e, indices [N, k]. */
export function mixtralLoadBalancingLoss(probs: tf.Tensor, indices: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const p = flat(probs);
    const [n, e] = p.shape;
    const idx = indices2d(indices, n);
    const tokensPerExpert = tf.mean(tf.cast(tf.oneHot(idx, e), 'float32'), 0); // (N, k, E) -> (k, E)
    const P = tf.mean(p, 0); // (E,)
    return tf.mul(tf.sum(tf.mul(tokensPerExpert, P)), e) as tf.Scalar;
  });
}

/** Load-balancing loss in the named form; `indices` are [N, k] choices (first column = first choice). */
export function loadBalancingLoss(form: LoadBalanceForm, probs: tf.Tensor, indices: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const first = tf.reshape(tf.slice(indices, [0, 0], [-1, 1]), [-1]); // (N, k) -> (N,)
    if (form === 'switch') return switchLoadBalancingLoss(probs, first);
    if (form === 'gshard') return gshardLoadBalancingLoss(probs, first);
    if (form === 'mixtral') return mixtralLoadBalancingLoss(probs, indices);
    throw new Error(`loadBalancingLoss: form=${JSON.stringify(form)} must be one of ${LOAD_BALANCE_FORMS.join(', ')}`);
  });
}

/** Router z-loss: mean over tokens of logsumexp(logits)², logits (..., E). Equals transformers' `router_z_loss_func`. */
export function routerZLoss(logits: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.square(tf.logSumExp(flat(logits), 1))) as tf.Scalar);
}

/** Mean entropy (nats) of the routing distributions `probs` (..., E). */
export function routerEntropy(probs: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const p = flat(probs);
    return tf.neg(tf.mean(tf.sum(tf.mul(p, tf.log(tf.maximum(p, 1e-12))), 1))) as tf.Scalar;
  });
}

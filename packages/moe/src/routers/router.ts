// What every router returns, and the helpers the token-choice routers share. A routing is a list
// of (token, expert, gate) pairs plus the full router distribution (for the aux losses and stats).
// Token-choice routers give k pairs per token in slot-major order (all first choices, then all
// second choices — GShard's priority order); expert-choice gives C pairs per expert.
import * as tf from '@tensorflow/tfjs-core';
import { checkKnownKeys, configKeys, Module, type ForwardContext } from '@weft/core';
import { checkInt, checkPositive, checkPositiveInt } from '@weft/core/internal';

/** The sizes a router is built for. */
export interface RouterShape {
  /** Model width d (router input). */
  dim: number;
  /** Number of routed experts E. */
  numExperts: number;
  /** Experts per token k (expert-choice: average experts per token). */
  topK: number;
  /** The layer's capacity factor (null = dropless); expert-choice sizes its per-expert picks with it. */
  capacityFactor: number | null;
}

/** Every key of {@link RouterShape}, for the unknown-key check. */
const ROUTER_SHAPE_KEYS = configKeys<RouterShape>({ dim: true, numExperts: true, topK: true, capacityFactor: true });

/** Throw unless `shape` is a valid {@link RouterShape} (known keys, positive sizes, 1 ≤ topK ≤ numExperts). */
export function checkRouterShape(who: string, shape: RouterShape): void {
  checkKnownKeys(`${who} shape`, shape, ROUTER_SHAPE_KEYS);
  checkPositiveInt(who, 'dim', shape.dim);
  checkPositiveInt(who, 'numExperts', shape.numExperts);
  checkInt(who, 'topK', shape.topK, 1, shape.numExperts);
  if (shape.capacityFactor !== null) checkPositive(who, 'capacityFactor', shape.capacityFactor);
}

/** The routing of N tokens. */
export interface Routing {
  /** Pre-softmax router logits (N, E) for the z-loss, or null for routers without them (hash, DSelect-k). */
  logits: tf.Tensor2D | null;
  /** The router's distribution over experts (N, E), rows summing to 1 (load-balance losses, entropy, stats). */
  probs: tf.Tensor2D;
  /** Expert of each pair (P,), int32. */
  expert: tf.Tensor1D;
  /** Token of each pair (P,), int32. */
  token: tf.Tensor1D;
  /** Combine weight of each pair (P,), differentiable. */
  gate: tf.Tensor1D;
  /** Token choices (N, k) int32, first column the first choice (for the balance losses); null for expert-choice. */
  choices: tf.Tensor2D | null;
  /** Set by expert-choice routers: pairs come grouped by expert, exactly this many per expert (capacity by construction). */
  perExpert?: number;
  /**
   * Set by routers whose `probs` is softmax(logits) and whose first choice is the argmax of the
   * logits (Mixtral's, noisy top-k's): the aux losses then reuse them instead of recomputing a
   * softmax and an argmax.
   */
  softmaxOfLogits?: true;
}

/** A router: (N, d) -> a {@link Routing}. */
export abstract class Router extends Module<tf.Tensor2D, Routing> {
  constructor(readonly shape: RouterShape) {
    super();
    checkRouterShape(new.target.name, shape);
  }
  abstract override forward(x: tf.Tensor2D, ctx: ForwardContext): Routing;
}

/** Pairs from token choices: idx (N, k) and gates (N, k) -> slot-major (k·N,) lists. */
export function tokenChoicePairs(idx: tf.Tensor2D, gates: tf.Tensor2D): Pick<Routing, 'expert' | 'token' | 'gate' | 'choices'> {
  const [n, k] = idx.shape;
  const tokens = tf.range(0, n, 1, 'int32') as tf.Tensor1D;
  return {
    expert: tf.reshape(tf.transpose(idx), [k * n]), // (N, k) -> (k, N) -> (k·N,)
    token: k === 1 ? tokens : (tf.concat(new Array<tf.Tensor1D>(k).fill(tokens)) as tf.Tensor1D), // 0 … N−1, k times (tfjs wasm's Tile took ~70 µs for 2×512)
    gate: tf.reshape(tf.transpose(gates), [k * n]),
    choices: idx,
  };
}

/** Top-k expert indices of `scores` (N, E) as int32 (N, k) (TopK has no gradient: pick values with core's pickColumns). */
export function topkIndices(scores: tf.Tensor2D, k: number): tf.Tensor2D {
  return untaped(() => tf.topk(scores, k).indices as tf.Tensor2D);
}

/** Check the input of a router is (N, dim). */
export function checkRouterInput(who: string, x: tf.Tensor, dim: number): void {
  if (x.rank !== 2 || x.shape[1] !== dim) throw new Error(`${who}: input has shape [${x.shape}]; expected (N, ${dim})`);
}

/**
 * Run `fn` off the gradient tape: its result (indices, masks) is not connected to any variable, so
 * gradients never try to flow into integer tensors (tfjs would reject an int32 gradient for a
 * gather's indices). tfjs has no stopGradient; a customGrad over a fresh dummy input gives one:
 * ops inside a kernel function are not recorded.
 */
export function untaped<T extends tf.Tensor>(fn: () => T): T {
  const dummy = tf.scalar(0);
  const f = tf.customGrad(((z: tf.Tensor) => ({ value: fn(), gradFunc: () => tf.zerosLike(z) })) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(dummy) as T;
}

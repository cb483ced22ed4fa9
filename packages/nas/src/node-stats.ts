// ParZC: Parametric Zero-Cost Proxies for Efficient NAS (arXiv 2402.02105), §3.1: node-wise
// zero-cost statistics — the zero-cost proxies of proxies.ts kept per node (here: per module that
// owns parameters, e.g. each layer of a subnet) instead of summed over the network. Per node, from
// one batch at initialisation: grad-norm ‖∇θ L‖₂ over the node's tensors, SNIP Σ|θ ⊙ ∇θ L|,
// SynFlow Σ θ ⊙ ∂R/∂θ (θ → |θ|, biases 0, all-ones input, R = Σ output) and the parameter count.
// Summed over nodes they give proxies.ts' SNIP and SynFlow exactly. Departure: SynFlow is taken
// without proxies.ts' log-domain rescaling (fine at toy depth; it can overflow in deep nets).
import * as tf from '@tensorflow/tfjs-core';
import { ForwardContext, checkKnownKeys, configKeys, type Module } from '@weft/core';
import type { ProxyInput } from './proxies.js';

/** The statistics of one node, in {@link NODE_STATS} order. */
export const NODE_STATS = ['grad_norm', 'snip', 'synflow', 'params'] as const;

/** One node's statistics. */
export interface NodeStatistics {
  /** The node's module path (parameter paths without their last segment), e.g. `layers.0`, `head`. */
  node: string;
  /** ‖∇θ L‖₂ over the node's tensors (the norm of their concatenation). */
  grad_norm: number;
  /** Σ |θ ⊙ ∇θ L| over the node's tensors. */
  snip: number;
  /** Σ θ ⊙ ∂R/∂θ over the node's weight tensors (rank ≥ 2), in the SynFlow pass. */
  synflow: number;
  /** Parameters of the node. */
  params: number;
}

const KEYS = configKeys<Omit<ProxyInput, 'variables'>>({ model: true, x: true, y: true, loss: true });

/** The model's parameters grouped by node (module path), in parameter order. */
export function parameterNodes(model: Module): Array<{ node: string; variables: tf.Variable[] }> {
  const out: Array<{ node: string; variables: tf.Variable[] }> = [];
  const seen = new Set<tf.Variable>();
  for (const [path, v] of model.namedParameters()) {
    if (seen.has(v) || !v.trainable) continue;
    seen.add(v);
    const node = path.includes('.') ? path.slice(0, path.lastIndexOf('.')) : '';
    const group = out.find((g) => g.node === node);
    if (group) group.variables.push(v);
    else out.push({ node, variables: [v] });
  }
  return out;
}

/** Node-wise zero-cost statistics of `model` on one batch (parameters are restored after SynFlow). Bad options throw at the call. */
export function nodeStatistics(p: Omit<ProxyInput, 'variables'>): Promise<NodeStatistics[]> {
  checkKnownKeys('nodeStatistics', p, KEYS);
  return computeNodeStatistics(p);
}

async function computeNodeStatistics(p: Omit<ProxyInput, 'variables'>): Promise<NodeStatistics[]> {
  const nodes = parameterNodes(p.model);
  if (nodes.length === 0) throw new Error('nodeStatistics: the model has no trainable parameters to score');
  const vars = nodes.flatMap((n) => n.variables);
  // Loss gradients: grad-norm and SNIP per node.
  const lossStats = tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => p.loss(p.model.forward(p.x, new ForwardContext({ training: true })), p.y), vars);
    value.dispose();
    const g = (v: tf.Variable) => grads[v.name] ?? tf.zerosLike(v);
    return tf.stack(nodes.map((n) => tf.stack([
      tf.sqrt(tf.addN(n.variables.map((v) => tf.sum(tf.square(g(v)))))),
      tf.addN(n.variables.map((v) => tf.sum(tf.abs(tf.mul(v, g(v)))))),
    ]))); // (nodes, 2)
  });
  // SynFlow: |θ|, biases zeroed, all-ones input, R = Σ output.
  const saved = vars.map((v) => tf.clone(v));
  let flow: tf.Tensor;
  try {
    tf.tidy(() => vars.forEach((v) => v.assign(v.rank < 2 ? tf.zerosLike(v) : tf.abs(v))));
    flow = tf.tidy(() => {
      const weights = vars.filter((v) => v.rank >= 2);
      const { value, grads } = tf.variableGrads(() => tf.sum(p.model.forward(tf.onesLike(p.x), new ForwardContext({ training: false }))) as tf.Scalar, weights);
      value.dispose();
      return tf.stack(nodes.map((n) => {
        const w = n.variables.filter((v) => v.rank >= 2);
        return w.length ? tf.addN(w.map((v) => tf.sum(tf.mul(v, grads[v.name] ?? tf.zerosLike(v))))) : tf.scalar(0);
      })); // (nodes,)
    });
  } finally {
    vars.forEach((v, i) => v.assign(saved[i]!));
    tf.dispose(saved);
  }
  const [ls, fl] = [await lossStats.data(), await flow.data()];
  tf.dispose([lossStats, flow]);
  return nodes.map((n, i) => ({
    node: n.node,
    grad_norm: ls[2 * i]!,
    snip: ls[2 * i + 1]!,
    synflow: fl[i]!,
    params: n.variables.reduce((s, v) => s + v.size, 0),
  }));
}

// GradSign: Model Performance Inference with Theoretical Insights (arXiv 2110.08616), §4: the
// zero-cost proxy Ψ = Σ_k |Σ_i sign(∂ℓ(f_θ(x_i), y_i)/∂θ_k)| at initialisation — per parameter,
// how many of the batch's per-example gradients agree in sign. Per-example gradients are taken
// one example at a time (tfjs has no vmap): B backward passes. Departure: a zero gradient counts
// as sign 0, as the paper's reference code (torch.sign) does.
import * as tf from '@tensorflow/tfjs-core';
import { ForwardContext, checkKnownKeys } from '@weft/core';
import type { ProxyInput } from './proxies.js';

const KEYS = ['model', 'x', 'y', 'loss', 'variables'] as const;

/** GradSign Ψ of a model on one batch (higher = predicted better). */
export async function gradSign(p: ProxyInput): Promise<number> {
  checkKnownKeys('gradSign', p, KEYS);
  const vars = p.variables ?? p.model.trainableParameters();
  if (vars.length === 0) throw new Error('gradSign: the model has no trainable parameters to score');
  const B = p.x.shape[0]!;
  if (!(B >= 1) || p.y.shape[0] !== B) throw new Error(`gradSign: x has ${B} examples and y ${p.y.shape[0]}; they must match and be ≥ 1`);
  const sums: tf.Tensor[] = vars.map((v) => tf.zerosLike(v));
  try {
    for (let i = 0; i < B; i++) {
      tf.tidy(() => {
        const xi = tf.slice(p.x, i, 1); // (B, …) -> (1, …)
        const yi = tf.slice(p.y, i, 1);
        const { value, grads } = tf.variableGrads(() => p.loss(p.model.forward(xi, new ForwardContext({ training: true })), yi), vars);
        value.dispose();
        vars.forEach((v, k) => {
          const g = grads[v.name];
          if (!g) return;
          const next = tf.add(sums[k]!, tf.sign(g));
          sums[k]!.dispose();
          sums[k] = tf.keep(next);
        });
      });
    }
    const total = tf.tidy(() => tf.addN(sums.map((s) => tf.sum(tf.abs(s)))));
    const v = (await total.data())[0]!;
    total.dispose();
    return v;
  } finally {
    tf.dispose(sums);
  }
}

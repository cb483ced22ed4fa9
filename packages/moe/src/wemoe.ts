// WEMoE — Tang et al., "Merging Multi-Task Models via Weight-Ensembling Mixture of Experts",
// arXiv:2402.00433. An MLP of T task-specific models fine-tuned from one base is upscaled to a
// weight-ensembling MoE: each token h gets its own MLP weights θ(h) = θ₀ + Σ_t r_t(h)·τ_t, with θ₀
// the base MLP, τ_t = θ_t − θ₀ the task vectors and r(h) ∈ R^T from a router (a Linear d → T whose
// weight starts at 0 and bias at λ, so the layer starts as task arithmetic with coefficient λ). Base
// and task vectors are frozen; only the router trains (the paper: by test-time adaptation, entropy
// minimisation on unlabelled inputs). Computed without building θ(h): h·W₁(h) = h·W₁₀ + Σ_t r_t·(h·τ₁_t).
// Departs from the paper: the router is one Linear (the paper's is a two-layer MLP on the layer input).
import * as tf from '@tensorflow/tfjs-core';
import { defaultRng, ForwardContext, gelu, Linear, Module, type MLP, type Rng } from '@weft/core';
import { checkNumber } from '@weft/core/internal';

type PlainMLP = MLP & { fc1: Linear; fc2: Linear };

function plain(who: string, m: MLP, i?: number): PlainMLP {
  const what = i === undefined ? 'base' : `tasks[${i}]`;
  if (!m.fc1 || !m.fc2 || !m.fc1.bias || !m.fc2.bias || (m.config.activation ?? 'gelu') !== 'gelu') throw new Error(`${who}: ${what} must be a plain GELU MLP (fc1, fc2) with biases`);
  return m as PlainMLP;
}

/** A weight-ensembling MoE MLP merged from a base MLP and its task-specific fine-tunes. */
export class WEMoE extends Module {
  /** Base weights θ₀ (frozen). */
  readonly w1: tf.Variable;
  readonly b1: tf.Variable;
  readonly w2: tf.Variable;
  readonly b2: tf.Variable;
  /** Task vectors τ stacked over T (frozen): [T, d, h], [T, h], [T, h, d], [T, d]. */
  readonly t1: tf.Variable;
  readonly tb1: tf.Variable;
  readonly t2: tf.Variable;
  readonly tb2: tf.Variable;
  /** The router d → T (weight 0, bias λ at the start). */
  readonly router: Linear;

  /**
   * @param base the pre-trained MLP; @param tasks its fine-tunes (same shapes); @param lambda the
   * task-arithmetic coefficient the router starts at (default 0.3).
   */
  constructor(base: MLP, tasks: MLP[], lambda = 0.3, rng: Rng = defaultRng()) {
    super();
    const who = 'WEMoE';
    const b = plain(who, base);
    if (!Array.isArray(tasks) || tasks.length === 0) throw new Error(`${who}: tasks must be a non-empty list of fine-tuned MLPs`);
    const ts = tasks.map((t, i) => plain(who, t, i));
    ts.forEach((t, i) => {
      if (!tf.util.arraysEqual(t.fc1.weight.shape, b.fc1.weight.shape) || !tf.util.arraysEqual(t.fc2.weight.shape, b.fc2.weight.shape)) {
        throw new Error(`${who}: tasks[${i}] has fc1 [${t.fc1.weight.shape}] fc2 [${t.fc2.weight.shape}]; the base has fc1 [${b.fc1.weight.shape}] fc2 [${b.fc2.weight.shape}]`);
      }
    });
    checkNumber(who, 'lambda', lambda);
    const frozen = (name: string, t: tf.Tensor) => this.addParameter(name, t, false);
    const vec = (get: (m: PlainMLP) => tf.Variable) => tf.tidy(() => tf.stack(ts.map((t) => tf.sub(get(t), get(b))))); // τ stacked over T
    this.w1 = frozen('w1', tf.clone(b.fc1.weight));
    this.b1 = frozen('b1', tf.clone(b.fc1.bias!));
    this.w2 = frozen('w2', tf.clone(b.fc2.weight));
    this.b2 = frozen('b2', tf.clone(b.fc2.bias!));
    this.t1 = frozen('t1', vec((m) => m.fc1.weight));
    this.tb1 = frozen('tb1', vec((m) => m.fc1.bias!));
    this.t2 = frozen('t2', vec((m) => m.fc2.weight));
    this.tb2 = frozen('tb2', vec((m) => m.fc2.bias!));
    const [d] = b.fc1.weight.shape as [number, number];
    this.router = this.addModule('router', new Linear({ inFeatures: d, outFeatures: ts.length }, rng));
    tf.tidy(() => {
      this.router.weight.assign(tf.zerosLike(this.router.weight));
      this.router.bias!.assign(tf.fill([ts.length], lambda));
    });
  }

  /** x·W(h) + b(h) for W(h) = W₀ + Σ_t r_t·τ_t, without building W(h): x (N, in), r (N, T) -> (N, out). */
  private static mixed(x: tf.Tensor2D, w: tf.Tensor, b: tf.Tensor, tw: tf.Tensor, tb: tf.Tensor, r: tf.Tensor2D): tf.Tensor2D {
    const [n] = x.shape;
    const t = tw.shape[0]!;
    const perTask = tf.matMul(tf.tile(tf.reshape(x, [1, n, -1]), [t, 1, 1]), tw); // (T, N, out)
    const taskPart = tf.sum(tf.mul(tf.transpose(perTask, [1, 0, 2]), tf.reshape(r, [n, t, 1])), 1); // (N, T, out) -> (N, out)
    const bias = tf.add(b, tf.matMul(r, tb)); // (N, out)
    return tf.add(tf.add(tf.matMul(x, w), taskPart), bias) as tf.Tensor2D; // (N, out)
  }

  /** (..., d) -> (..., d). */
  forward(x: tf.Tensor, ctx: ForwardContext = new ForwardContext({ training: this.training })): tf.Tensor {
    const d = this.w1.shape[0]!;
    if (x.shape[x.rank - 1] !== d) throw new Error(`WEMoE: input last dimension ${x.shape[x.rank - 1]} (shape [${x.shape}]) must equal ${d}`);
    const flat = tf.reshape(x, [-1, d]) as tf.Tensor2D; // (..., d) -> (N, d)
    const r = this.router.forward(flat, ctx) as tf.Tensor2D; // (N, T)
    if (ctx.collectStats) ctx.addStat(`${ctx.keyOf(this, 'wemoe')}.routing`, r);
    const h = gelu(WEMoE.mixed(flat, this.w1, this.b1, this.t1, this.tb1, r)) as tf.Tensor2D;
    return tf.reshape(WEMoE.mixed(h, this.w2, this.b2, this.t2, this.tb2, r), [...x.shape.slice(0, -1), this.w2.shape[1]!]); // (N, out) -> (..., out)
  }
}

// Multi-Head Adapter Routing for Cross-Task Generalization (Poly / MHR, arXiv:2211.03831): an
// inventory of S LoRA skills per layer; each example's task t mixes them with weights
// w = σ(Z_t) / Σ σ(Z_t) (a relaxed-Bernoulli sample of Z_t in training), per head q for MHR (the
// input and output features are split in Q blocks, each with its own weights):
// y = base + x A_t B_t / r with A_t = Σ_s w_{q,s} A_{q,s} and B_t likewise (PEFT's PolyLayer). Task ids
// come per example from withTaskIds, or one `task` for the whole batch.
import * as tf from '@tensorflow/tfjs-core';
import type { ForwardContext, Rng } from '@weft/core';
import { AdapterLayer, kaimingBound } from '../adapter-layer.js';
import { toWeightShape, type BaseOp } from '../base-op.js';

/** Per-layer settings of a Poly adapter. */
export interface PolyLayerOptions {
  r: number;
  nTasks: number;
  nSkills: number;
  nSplits: number;
  initWeights: boolean;
}

/** A Poly / MHR adapter on one Linear layer. */
export class PolyLayer extends AdapterLayer {
  readonly method = 'poly';
  /** Skills' A, [Q, S, in/Q, r] (PEFT's layout: x · A). */
  readonly loraA: tf.Variable;
  /** Skills' B, [Q, S, r, out/Q]. */
  readonly loraB: tf.Variable;
  /** Router logits Z, [T, Q·S]. */
  readonly logits: tf.Variable;
  /** The task of every example when no per-example ids are set. */
  task = 0;

  constructor(base: BaseOp, readonly options: PolyLayerOptions, rng: Rng) {
    super(base);
    const { r, nSkills: S, nSplits: Q, nTasks: T } = options;
    const [inF, outF] = [base.inFeatures, base.outFeatures];
    if (base.kind !== 'linear') throw new Error('Poly: only Linear layers');
    if (inF % Q !== 0 || outF % Q !== 0) throw new Error(`Poly: nSplits=${Q} must divide in=${inF} and out=${outF}`);
    const d = inF / Q, e = outF / Q;
    this.loraA = this.addParameter('poly_lora_A', tf.tensor4d(rng.uniformArray(Q * S * d * r, -kaimingBound(d), kaimingBound(d)), [Q, S, d, r]));
    this.loraB = this.addParameter('poly_lora_B', options.initWeights ? tf.zeros([Q, S, r, e]) : tf.tensor4d(rng.uniformArray(Q * S * r * e, -kaimingBound(r), kaimingBound(r)), [Q, S, r, e]));
    this.logits = this.addParameter('poly_router_logits', tf.tensor2d(rng.uniformArray(T * Q * S, -1e-3, 1e-3), [T, Q * S]));
  }

  /** Mixing weights (B, Q, S) for task ids `ids` (B): σ(Z) normalised over skills; relaxed-Bernoulli samples in training. */
  mixingWeights(ids: tf.Tensor1D, ctx: ForwardContext | null): tf.Tensor3D {
    const { nSkills: S, nSplits: Q } = this.options;
    const z = tf.reshape(tf.gather(this.logits, ids), [-1, Q, S]); // (B, Q·S) -> (B, Q, S)
    let p: tf.Tensor;
    if (ctx?.training) {
      // RelaxedBernoulli(temperature 1).rsample(): σ(z + log u − log(1 − u)).
      const u = tf.tensor(ctx.rng.uniformArray(z.size, 1e-6, 1 - 1e-6), z.shape);
      p = tf.sigmoid(tf.add(z, tf.sub(tf.log(u), tf.log(tf.sub(1, u)))));
    } else p = tf.sigmoid(z);
    return tf.div(p, tf.add(tf.sum(p, -1, true), 1e-12)) as tf.Tensor3D;
  }

  /** Per-example factors A (B, in, r) and B (B, r, out) from mixing weights (B, Q, S). */
  private factors(w: tf.Tensor3D): [tf.Tensor3D, tf.Tensor3D] {
    const { r, nSkills: S, nSplits: Q } = this.options;
    const [inF, outF] = [this.base.inFeatures, this.base.outFeatures];
    const n = w.shape[0];
    const wq = tf.transpose(w, [1, 0, 2]); // (Q, B, S)
    const a = tf.matMul(wq, tf.reshape(this.loraA, [Q, S, -1])); // (Q, B, d·r)
    const b = tf.matMul(wq, tf.reshape(this.loraB, [Q, S, -1])); // (Q, B, r·e)
    const A = tf.reshape(tf.transpose(a, [1, 0, 2]), [n, inF, r]); // (B, Q, d·r) -> (B, in, r)
    const B = tf.reshape(tf.transpose(tf.reshape(b, [Q, n, r, outF / Q]), [1, 2, 0, 3]), [n, r, outF]); // (Q, B, r, e) -> (B, r, Q, e) -> (B, r, out)
    return [A as tf.Tensor3D, B as tf.Tensor3D];
  }

  transformOutput(x: tf.Tensor, y: tf.Tensor, _yBase: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    const ids = this.taskIds ?? [this.task];
    const examples = ids.length, rows = x.shape[0]!;
    if (rows % examples !== 0) throw new Error(`Poly: ${ids.length} task ids for ${rows} rows`);
    const bad = ids.find((t) => !(Number.isInteger(t) && t >= 0 && t < this.options.nTasks));
    if (bad !== undefined) throw new Error(`Poly: task id ${bad} must be an integer in 0..${this.options.nTasks - 1}`);
    const idT = tf.tensor1d(Int32Array.from(ids), 'int32');
    const [A, B] = this.factors(this.mixingWeights(idT, ctx));
    const xb = tf.reshape(x, [examples, rows / examples, this.base.inFeatures]); // (N, in) -> (B, T, in)
    const delta = tf.div(tf.matMul(tf.matMul(xb, A), B), this.options.r); // (B, T, out)
    return tf.add(y, tf.reshape(delta, y.shape));
  }

  /** ΔW of the current `task` (eval mixing weights), [in, out]. */
  deltaWeight(): tf.Tensor2D {
    return tf.tidy(() => {
      const [A, B] = this.factors(this.mixingWeights(tf.tensor1d([this.task], 'int32'), null));
      return tf.div(tf.matMul(tf.squeeze(A, [0]), tf.squeeze(B, [0])), this.options.r) as tf.Tensor2D;
    });
  }

  merge(): void {
    const w = this.base.weight;
    w.assign(tf.tidy(() => tf.add(w, toWeightShape(this.base, this.deltaWeight()))));
  }

  unmerge(): void {
    const w = this.base.weight;
    w.assign(tf.tidy(() => tf.sub(w, toWeightShape(this.base, this.deltaWeight()))));
  }
}

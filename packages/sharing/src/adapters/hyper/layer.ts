// Shared-hypernetwork adapters: HyperFormer (arXiv:2106.04489), Hyper-Adapters (arXiv:2205.10835).
// One hypernetwork, shared by every adapted layer and task, generates each layer's LoRA factors
// from a task embedding and the layer's own embedding: z = ReLU(P [tₜ; lₗ] + c), A = reshape(z Hₐ + aₐ,
// [in, r]), B = reshape(z H_b, [r, out]) (H_b starts at zero: a no-op at first), ΔW = A B / √hidden
// (the Hyper-Adapters rescaling of the generated weights). The active task is a shared setting
// (`setHyperTask`). All targeted layers must have the same shape (as a Transformer's q/k/v/o).
// With form "bottleneck" the same generator makes HyperFormer's adapter instead: D [out, r] and
// U [r, out] (U's head starts at zero), applied to the layer's output y as y + ReLU(y D) U (per pixel
// on a conv output); a ReLU bottleneck cannot be merged. Departure: no conditional layer norms, and
// the bottleneck sits on the adapted layer's output (Weft's adapter seam), not after a sublayer.
import * as tf from '@tensorflow/tfjs-core';
import type { ForwardContext, Rng } from '@weft/core';
import { AdditiveAdapter, kaimingBound } from '../adapter-layer.js';
import { applyFlat, channelMatMul, fanIn, type BaseOp } from '../base-op.js';

/** The hypernetwork shared by the layers of one injection. */
export interface HyperNet {
  taskEmb: tf.Variable; // [T, dt]
  proj: tf.Variable; // [dt + dl, h]
  projBias: tf.Variable; // [h]
  headA: tf.Variable; // [h, in·r]
  biasA: tf.Variable; // [in·r]
  headB: tf.Variable; // [h, r·out]
  /** The task whose adapters are generated. */
  task: number;
  /** Layers using the hypernetwork. */
  refs: number;
}

/** Create the hypernetwork for `layers` layers of shape in→out. */
export function makeHyperNet(o: { tasks: number; taskDim: number; layerDim: number; hidden: number; r: number; inF: number; outF: number }, rng: Rng): HyperNet {
  const u = (shape: number[], fan: number) => tf.tidy(() => tf.variable(tf.tensor(rng.uniformArray(shape.reduce((a, b) => a * b, 1), -kaimingBound(fan), kaimingBound(fan)), shape)));
  const z = (shape: number[]) => tf.tidy(() => tf.variable(tf.zeros(shape)));
  const din = o.taskDim + o.layerDim;
  return {
    taskEmb: tf.tidy(() => tf.variable(tf.tensor2d(rng.normalArray(o.tasks * o.taskDim), [o.tasks, o.taskDim]))),
    proj: u([din, o.hidden], din),
    projBias: z([o.hidden]),
    headA: u([o.hidden, o.inF * o.r], o.hidden),
    biasA: u([o.inF * o.r], o.inF),
    headB: z([o.hidden, o.r * o.outF]),
    task: 0,
    refs: 0,
  };
}

/** A hypernetwork-generated adapter on one Linear or Conv2d base (A [fanIn, r], fanIn = kh·kw·in on a conv). */
export class HyperLayer extends AdditiveAdapter {
  readonly method = 'hyper';

  /** This layer's embedding [1, dl] (its own; the rest of the hypernetwork is shared). */
  readonly layerEmb: tf.Variable;

  constructor(base: BaseOp, readonly net: HyperNet, layerDim: number, readonly r: number, rng: Rng, readonly form: 'lora' | 'bottleneck' = 'lora') {
    super(base);
    for (const [k, v] of Object.entries(net)) if (v instanceof tf.Variable) this.addParameter(k, v); // shared by identity
    this.layerEmb = this.addParameter('layer_emb', tf.tensor2d(rng.normalArray(layerDim), [1, layerDim]));
    net.refs++;
  }

  /** The generated A [fanIn, r] and B [r, out] for the current task (bottleneck: D [out, r] and U [r, out]). */
  factors(): [tf.Tensor2D, tf.Tensor2D] {
    const { net, r } = this;
    const o = this.base.outFeatures;
    const i = this.form === 'bottleneck' ? o : fanIn(this.base);
    const t = tf.slice(net.taskEmb, [net.task, 0], [1, -1]);
    const l = this.layerEmb;
    const zed = tf.relu(tf.add(tf.matMul(tf.concat([t, l], 1), net.proj), net.projBias)); // (1, h)
    const scale = 1 / Math.sqrt(net.proj.shape[1]!);
    const a = tf.reshape(tf.add(tf.matMul(zed, net.headA), net.biasA), [i, r]) as tf.Tensor2D; // (1, in·r) -> (in, r)
    const b = tf.reshape(tf.mul(tf.matMul(zed, net.headB), scale), [r, o]) as tf.Tensor2D; // (1, r·out) -> (r, out)
    return [a, b];
  }

  deltaWeight(): tf.Tensor2D {
    if (this.form === 'bottleneck') throw new Error('Hypernetwork adapter: a generated bottleneck with a ReLU cannot be merged into the base weights (use form "lora")');
    return tf.tidy(() => {
      const [a, b] = this.factors();
      return tf.matMul(a, b);
    });
  }

  override transformOutput(x: tf.Tensor, y: tf.Tensor, _yBase: tf.Tensor, _ctx: ForwardContext): tf.Tensor {
    const [a, b] = this.factors();
    if (this.form === 'bottleneck') return tf.add(y, channelMatMul(tf.relu(channelMatMul(y, a)), b)); // y + ReLU(y D) U
    return tf.add(y, channelMatMul(applyFlat(this.base, x, a), b)); // conv: A a kernel [kh, kw, in, r], B a 1×1 conv
  }

  override unmerge(): void {
    if (this.form === 'lora') super.unmerge();
  }

  override dispose(): void {
    this.layerEmb.dispose();
    if (--this.net.refs === 0) for (const v of Object.values(this.net)) if (v instanceof tf.Variable) v.dispose();
  }
}

// The seam every adapter method implements: one adapter of one method on one base layer. An
// adapted layer (adapted-layer.ts) runs  x → transformInput → base op (+ bias) → transformOutput
// for each active, unmerged adapter; merging folds the adapter into the base variables.
import * as tf from '@tensorflow/tfjs-core';
import { Module, type ForwardContext } from '@weft/core';
import { applyWeight, toWeightShape, type BaseOp } from './base-op.js';
import type { AdapterConfigBase, ResolvedConfig } from './config.js';

/** One adapter on one base layer. Its parameters are its own; the base is shared and frozen. */
export abstract class AdapterLayer extends Module<never, never> {
  /** Registry name of the method ("lora", "loha", …). */
  abstract readonly method: string;
  /** The resolved config the adapter was created from (set at injection; PEFT save writes it back). */
  resolvedConfig: ResolvedConfig<AdapterConfigBase> | null = null;
  /** The task id of each example of the batch, for task-routed methods (Poly/MHR); set by withTaskIds. */
  taskIds: readonly number[] | null = null;

  constructor(readonly base: BaseOp) {
    super();
  }

  /** Transform the input before the base op (IA3 on feed-forward layers). Default: identity. */
  transformInput(x: tf.Tensor, _ctx: ForwardContext): tf.Tensor {
    return x;
  }

  /**
   * The adapted output. `x`: the layer input ((N, in) or NHWC); `y`: the running output (base op +
   * bias + earlier adapters); `yBase`: the base op's output without bias.
   */
  abstract transformOutput(x: tf.Tensor, y: tf.Tensor, yBase: tf.Tensor, ctx: ForwardContext): tf.Tensor;

  /**
   * The output of a batch whose row n uses adapter `peers[rows[n]]` (all of this method, `this`
   * among them; null: no adapter for that row). Default: each peer on the whole batch and its rows
   * picked by a mask, one pass per peer; an element-wise method (RoAd) overrides it with one pass.
   */
  mixedBatchOutput(x: tf.Tensor, y: tf.Tensor, yBase: tf.Tensor, ctx: ForwardContext, peers: ReadonlyArray<AdapterLayer | null>, rows: tf.Tensor1D): tf.Tensor {
    let out = y;
    peers.forEach((p, i) => {
      if (p === null) return;
      const mine = tf.reshape(tf.equal(rows, i), [-1, ...y.shape.slice(1).map(() => 1)]); // (N) -> (N, 1, …)
      out = tf.where(tf.broadcastTo(mine, y.shape), p.transformOutput(x, y, yBase, ctx), out);
    });
    return out;
  }

  /** The weight update this adapter stands for, flat [fanIn, out]: merged weight − base weight. */
  abstract deltaWeight(): tf.Tensor2D;

  /** Fold the adapter into the base variables. */
  abstract merge(): void;

  /** Undo {@link merge} (to float32 round-off). */
  abstract unmerge(): void;

  forward(): never {
    throw new Error(`${this.constructor.name} is applied by its AdaptedLayer, not called directly`);
  }
}

/** An adapter whose effect is W + ΔW (LoRA, LoHa, LoKr): merge adds, unmerge subtracts, forward adds x·ΔW. */
export abstract class AdditiveAdapter extends AdapterLayer {
  transformOutput(x: tf.Tensor, y: tf.Tensor, _yBase: tf.Tensor, _ctx: ForwardContext): tf.Tensor {
    return tf.add(y, applyWeight(this.base, x, toWeightShape(this.base, this.deltaWeight())));
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

/** PyTorch bound of kaiming_uniform_(a=√5) for a weight whose fan-in is `fanIn`: 1/√fanIn. */
export function kaimingBound(fanIn: number): number {
  return 1 / Math.sqrt(fanIn);
}

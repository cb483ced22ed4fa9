// Residual adapters: Learning multiple visual domains with residual adapters (arXiv:1705.08045);
// bottleneck form from Parameter-Efficient Transfer Learning for NLP (arXiv:1902.00751).
// A series adapter on the layer's output channels: y' = y + α(y), α = a 1×1 map (Rebuffi: a
// [out, out] matrix) or a bottleneck up(σ(down(y))); the last factor starts at zero, so the
// adapter starts as the identity. Conv outputs are adapted per pixel (a 1×1 convolution). Merging
// is exact for linear α (y(I + M) folds into W and b); a non-linear bottleneck cannot be merged.
// Departure from Rebuffi: no batch normalisation inside the adapter.
import * as tf from '@tensorflow/tfjs-core';
import type { ForwardContext, Rng } from '@weft/core';
import { AdapterLayer, kaimingBound } from '../adapter-layer.js';
import { channelMatMul, flatWeight, toWeightShape, type BaseOp } from '../base-op.js';

/** Per-layer settings of a residual adapter. */
export interface ResidualLayerOptions {
  bottleneck: number | null;
  activation: 'relu' | 'identity';
}

/** A residual adapter on one base layer. */
export class ResidualLayer extends AdapterLayer {
  readonly method = 'residual';
  /** Full map [out, out] (Rebuffi), or null. */
  readonly map: tf.Variable | null;
  /** Bottleneck down [out, b] and up [b, out], or null. */
  readonly down: tf.Variable | null;
  readonly up: tf.Variable | null;
  private backup: { weight: tf.Tensor; bias: tf.Tensor | null } | null = null;

  constructor(base: BaseOp, readonly options: ResidualLayerOptions, rng: Rng) {
    super(base);
    const o = base.outFeatures;
    if (options.bottleneck === null) {
      this.map = this.addParameter('map', tf.zeros([o, o]));
      this.down = this.up = null;
    } else {
      const b = options.bottleneck;
      this.map = null;
      this.down = this.addParameter('down', tf.tensor2d(rng.uniformArray(o * b, -kaimingBound(o), kaimingBound(o)), [o, b]));
      this.up = this.addParameter('up', tf.zeros([b, o]));
    }
  }

  private linearMap(): tf.Tensor2D {
    return (this.map ?? tf.matMul(this.down!, this.up!)) as tf.Tensor2D;
  }

  override transformOutput(_x: tf.Tensor, y: tf.Tensor, _yBase: tf.Tensor, _ctx: ForwardContext): tf.Tensor {
    if (this.map) return tf.add(y, channelMatMul(y, this.map));
    const h = channelMatMul(y, this.down!);
    return tf.add(y, channelMatMul(this.options.activation === 'relu' ? tf.relu(h) : h, this.up!));
  }

  private checkMergeable(): void {
    if (this.down && this.options.activation !== 'identity') {
      throw new Error('Residual adapter: a bottleneck with a non-linearity cannot be merged into the base weights (use activation "identity")');
    }
  }

  deltaWeight(): tf.Tensor2D {
    this.checkMergeable();
    return tf.tidy(() => tf.matMul(flatWeight(this.base), this.linearMap()));
  }

  merge(): void {
    this.checkMergeable();
    const { weight, bias } = this.base;
    this.backup = { weight: tf.keep(tf.clone(weight)), bias: bias ? tf.keep(tf.clone(bias)) : null };
    tf.tidy(() => {
      const m = tf.add(tf.eye(this.base.outFeatures), this.linearMap()); // y (I + M)
      weight.assign(toWeightShape(this.base, tf.matMul(flatWeight(this.base), m)));
      if (bias) bias.assign(tf.reshape(tf.matMul(tf.reshape(bias, [1, -1]), m), [-1]));
    });
  }

  unmerge(): void {
    if (!this.backup) throw new Error('Residual adapter: unmerge without a merge');
    this.base.weight.assign(this.backup.weight);
    if (this.backup.bias) this.base.bias!.assign(this.backup.bias);
    tf.dispose([this.backup.weight, ...(this.backup.bias ? [this.backup.bias] : [])]);
    this.backup = null;
  }

  override dispose(): void {
    if (this.backup) tf.dispose([this.backup.weight, ...(this.backup.bias ? [this.backup.bias] : [])]);
    this.backup = null;
    super.dispose();
  }
}

// The key/value cache of incremental decoding: per layer, the keys and values (B, Hkv, T, D) of every
// position seen so far, kept out of tf.tidy so a decoding step computes only the new positions.
import * as tf from '@tensorflow/tfjs-core';

/** Keys and values of the positions decoded so far, per layer. */
export class KVCache {
  private readonly keys: Array<tf.Tensor | null>;
  private readonly values: Array<tf.Tensor | null>;
  /** Positions cached (the position of the next token). */
  length = 0;

  constructor(readonly numLayers: number) {
    this.keys = new Array<tf.Tensor | null>(numLayers).fill(null);
    this.values = new Array<tf.Tensor | null>(numLayers).fill(null);
  }

  /**
   * Append the new keys and values (B, Hkv, Tnew, D) of `layer` and return every position's
   * (B, Hkv, T, D). Call inside tf.tidy: the stored tensors are kept, the previous ones disposed.
   */
  append(layer: number, k: tf.Tensor, v: tf.Tensor): { k: tf.Tensor; v: tf.Tensor } {
    const pk = this.keys[layer];
    const pv = this.values[layer];
    const nk = pk ? tf.concat([pk, k], 2) : k;
    const nv = pv ? tf.concat([pv, v], 2) : v;
    this.keys[layer] = tf.keep(tf.clone(nk));
    this.values[layer] = tf.keep(tf.clone(nv));
    pk?.dispose();
    pv?.dispose();
    return { k: nk, v: nv };
  }

  /** Record that `n` new positions were appended to every layer (the model calls it after a step). */
  advance(n: number): void {
    this.length += n;
  }

  /** Free every cached tensor. */
  dispose(): void {
    for (const t of [...this.keys, ...this.values]) t?.dispose();
    this.keys.fill(null);
    this.values.fill(null);
    this.length = 0;
  }
}

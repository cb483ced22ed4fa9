// Shears (arXiv:2404.10934) starts from a sparsified base: each targeted layer keeps its largest-
// magnitude weights and zeroes the rest (unstructured magnitude sparsity; the paper uses Wanda, which
// also weighs |w| by the input norms). The adapters then learn on the sparse, frozen base.
import * as tf from '@tensorflow/tfjs-core';
import type { Module } from '@weft/core';
import { checkNumber } from '@weft/core/internal';
import { adaptedLayers } from '../inject.js';

/**
 * Zero the `sparsity` fraction of smallest-|w| entries of every adapted layer's base weight (per
 * layer). Returns the number of weights zeroed.
 */
export async function sparsifyBase(model: Module<any, any>, sparsity: number): Promise<number> {
  checkNumber('sparsifyBase', 'sparsity', sparsity, 0, 1);
  let zeroed = 0;
  for (const [, l] of adaptedLayers(model)) {
    const w = l.base.weight;
    const v = (await w.data()) as Float32Array;
    const k = Math.floor(sparsity * v.length);
    if (k === 0) continue;
    const threshold = Float32Array.from(v, Math.abs).sort()[k - 1]!;
    let dropped = 0;
    const out = v.map((x) => (Math.abs(x) <= threshold && dropped < k ? (dropped++, 0) : x));
    zeroed += dropped;
    w.assign(tf.tensor(out, w.shape));
  }
  return zeroed;
}

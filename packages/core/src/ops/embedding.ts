// embeddingLookup(table, ids) = table[ids]: one kernel forward and one backward on cpu and wasm
// (kernels/embedding.ts), tf.gather elsewhere.
import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig } from '@tensorflow/tfjs-core';
import { EMBEDDING, EMBEDDING_GRAD } from '../kernels/embedding.js';

/** table (V, D) float32, ids (…) int32 -> (…, D); differentiable in the table. */
export function embeddingLookup(table: tf.Tensor, ids: tf.Tensor): tf.Tensor {
  const backend = tf.getBackend();
  if (table.dtype !== 'float32' || table.rank !== 2 || !tf.getKernel(EMBEDDING, backend) || !tf.getKernel(EMBEDDING_GRAD, backend)) return tf.gather(table, ids);
  return tf.engine().runKernel(EMBEDDING, { table, ids }, { numRows: table.shape[0]! }) as tf.Tensor;
}

/** The gradient of WeftEmbedding: a scatter-add of dy into the table's rows; ids get none (as tfjs's gather). Registered with Weft's gradient fixes. */
export const embeddingGrad: GradConfig = {
  kernelName: EMBEDDING,
  inputsToSave: ['ids'],
  gradFunc: (dy, [ids], attrs) => ({
    table: () => tf.engine().runKernel(EMBEDDING_GRAD, { dy: dy as tf.Tensor, ids: ids! }, attrs as tf.NamedAttrMap) as tf.Tensor,
    ids: () => tf.zerosLike(ids!),
  }),
};

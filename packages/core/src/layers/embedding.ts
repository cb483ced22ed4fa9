// Embedding: a lookup table, out[..., :] = weight[ids[...], :]. Weight [numEmbeddings, dim],
// initialised N(0, 1) like PyTorch's nn.Embedding. The gradient is a scatter-add over ids
// (tfjs's UnsortedSegmentSum; Weft registers fast kernels for it).
import * as tf from '@tensorflow/tfjs-core';
import type { ForwardContext } from '../context.js';
import { Module } from '../module.js';
import { defaultRng, type Rng } from '../random.js';
import { normalInit } from './init.js';
import { checkPositive, checkPositiveInt } from '../check.js';
import { checkKnownKeys, configKeys } from '../config.js';
import { embeddingLookup } from '../ops/embedding.js';

/** Config of {@link Embedding}. */
export interface EmbeddingConfig {
  /** Size of the table (vocabulary size, or maximum length for position embeddings). */
  numEmbeddings: number;
  /** Width of each embedding vector. */
  embeddingDim: number;
  /** Standard deviation of the normal initialisation. Default: 1 (PyTorch); GPT-2 uses 0.02. */
  initStd?: number;
}

/** Every key of {@link EmbeddingConfig}, for the unknown-key check. */
const EMBEDDING_KEYS = configKeys<EmbeddingConfig>({ numEmbeddings: true, embeddingDim: true, initStd: true });

/** A learned lookup table from integer ids to vectors. */
export class Embedding extends Module {
  /** The table, [numEmbeddings, embeddingDim]. */
  readonly weight: tf.Variable;

  constructor(readonly config: EmbeddingConfig, rng: Rng = defaultRng()) {
    super();
    checkKnownKeys('Embedding', config, EMBEDDING_KEYS);
    checkPositiveInt('Embedding', 'numEmbeddings', config.numEmbeddings);
    checkPositiveInt('Embedding', 'embeddingDim', config.embeddingDim);
    const std = config.initStd ?? 1;
    checkPositive('Embedding', 'initStd', std);
    this.weight = this.addParameter('weight', normalInit([config.numEmbeddings, config.embeddingDim], std, rng));
  }

  /**
   * Look up `ids` (int32, any shape S) and return [...S, embeddingDim]. Ids must lie in
   * [0, numEmbeddings): the cpu backend throws on others, faster backends cannot check
   * without a readback (that would stall a GPU) and return zeros or garbage.
   */
  forward(ids: tf.Tensor, _ctx?: ForwardContext): tf.Tensor {
    if (ids.dtype !== 'int32') {
      throw new Error(`Embedding: ids must be an int32 tensor, got dtype ${ids.dtype} (shape [${ids.shape}])`);
    }
    return embeddingLookup(this.weight, ids); // (...S) -> (...S, dim): one kernel each way on cpu and wasm (ops/embedding.ts)
  }
}

// ALBERT factorized embedding parametrization — "ALBERT: A Lite BERT for Self-supervised Learning
// of Language Representations" (arXiv:1909.11942), section 3.1: a vocab × E table then an E × H
// projection, so the embedding costs V·E + E·H instead of V·H. Like ALBERT's
// `embedding_hidden_mapping_in`, the projection has a bias (configurable).
import * as tf from '@tensorflow/tfjs-core';
import { Embedding, Linear, Module, checkKnownKeys, configKeys, defaultRng, type ForwardContext, type Rng, describeValue } from '@weft/core';

/** Config of {@link FactorizedEmbedding}. */
export interface FactorizedEmbeddingConfig {
  /** Vocabulary size V. */
  vocabSize: number;
  /** Embedding width E (ALBERT: 128). Must be ≥ 1; E < H is what saves parameters. */
  embeddingDim: number;
  /** Hidden width H of the model. */
  hidden: number;
  /** Bias in the E × H projection. Default: true (ALBERT). */
  bias?: boolean;
  /** Std of the V × E table. Default: 0.02 (ALBERT's initializer_range). */
  initStd?: number;
}

const KEYS = configKeys<FactorizedEmbeddingConfig>({ vocabSize: true, embeddingDim: true, hidden: true, bias: true, initStd: true });

/** ids (...S) -> (...S, hidden): lookup in a V × E table, then an E × H Linear. */
export class FactorizedEmbedding extends Module {
  /** The V × E table. */
  readonly table: Embedding;
  /** The E × H projection. */
  readonly project: Linear;

  constructor(readonly config: FactorizedEmbeddingConfig, rng: Rng = defaultRng()) {
    super();
    checkKnownKeys('FactorizedEmbedding', config, KEYS);
    for (const k of ['vocabSize', 'embeddingDim', 'hidden'] as const) {
      const v = config[k];
      if (!Number.isInteger(v) || v < 1) throw new Error(`FactorizedEmbedding: ${k}=${describeValue(v)} must be a positive integer`);
    }
    this.table = this.addModule('table', new Embedding({ numEmbeddings: config.vocabSize, embeddingDim: config.embeddingDim, initStd: config.initStd ?? 0.02 }, rng));
    this.project = this.addModule('project', new Linear({ inFeatures: config.embeddingDim, outFeatures: config.hidden, bias: config.bias ?? true }, rng));
  }

  forward(ids: tf.Tensor, ctx?: ForwardContext): tf.Tensor {
    return this.project.forward(this.table.forward(ids, ctx), ctx); // (...S) -> (...S, E) -> (...S, H)
  }
}

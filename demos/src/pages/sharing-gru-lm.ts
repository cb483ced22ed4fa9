// The model of sharing.html's low-rank passthrough view ("Low-rank passthrough neural networks",
// arXiv:1603.03116): a token embedding, `depth` stacked GRUs whose state matrices are low-rank plus
// diagonal (LowRankGRU; rank null gives the full-rank GRU baseline) and a linear head, trained as a
// causal language model on the page's sort task: (B, T) int32 tokens -> (B, T, vocab) logits.
import type * as tf from '@tensorflow/tfjs-core';
import { Embedding, ForwardContext, Linear, Module, ModuleList, type Rng } from '@weft/core';
import { LowRankGRU } from '@weft/sharing';

/** Config of {@link GruLM}. */
export interface GruLMConfig {
  /** Vocabulary size V. */
  vocabSize: number;
  /** Embedding and state width. */
  width: number;
  /** Stacked GRU layers. */
  depth: number;
  /** Rank of the state matrices (plus their diagonal), or null for full rank. */
  rank: number | null;
}

/** Embedding -> GRU × depth -> Linear: a recurrent language model. */
export class GruLM extends Module<tf.Tensor, tf.Tensor> {
  /** Token table V × width. */
  readonly tokens: Embedding;
  /** The stacked GRUs. */
  readonly layers: ModuleList<LowRankGRU>;
  /** width -> V. */
  readonly head: Linear;

  constructor(readonly config: GruLMConfig, rng: Rng) {
    super();
    const { vocabSize, width, depth, rank } = config;
    this.tokens = this.addModule('tokens', new Embedding({ numEmbeddings: vocabSize, embeddingDim: width, initStd: 0.1 }, rng));
    this.layers = this.addModule('layers', new ModuleList(Array.from({ length: depth }, () => new LowRankGRU({ inFeatures: width, hidden: width, rank }, rng))));
    this.head = this.addModule('head', new Linear({ inFeatures: width, outFeatures: vocabSize }, rng));
  }

  /** (B, T) int32 -> (B, T, V). */
  forward(x: tf.Tensor, ctx: ForwardContext = new ForwardContext({ training: this.training })): tf.Tensor {
    let h = this.tokens.forward(x, ctx); // (B, T) -> (B, T, width)
    for (let l = 0; l < this.layers.length; l++) h = this.layers.at(l).forward(h, ctx); // (B, T, width) each
    return this.head.forward(h, ctx);
  }
}

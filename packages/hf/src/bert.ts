// BERT's encoder (transformers' BertModel) as a Weft Module: word + absolute position + token-type
// embeddings, post-LayerNorm layers, a tanh pooler over the first token. Children carry
// transformers' names (encoder.layer.N.attention.self.query, …).
import * as tf from '@tensorflow/tfjs-core';
import { Embedding, ForwardContext, LayerNorm, Linear, Module, ModuleList, activationFn, attend, defaultRng, dropout, type Rng } from '@weft/core';
import type { BertSpec } from './config.js';

/** Input of {@link BertModel}: ids (B, T) int32, or ids with token types and an attention mask (1 = token). */
export type BertInput = tf.Tensor | { ids: tf.Tensor; tokenTypeIds?: tf.Tensor | null; attentionMask?: tf.Tensor | null };

/** What {@link BertModel} returns. */
export interface BertOutput {
  /** (B, T, C). */
  lastHiddenState: tf.Tensor;
  /** tanh(dense(first token)), (B, C). */
  poolerOutput: tf.Tensor;
}

/** A plain container of named children (BERT's nesting: attention.self, attention.output, …). */
class Container extends Module<never, never> {
  constructor(children: Record<string, Module<any, any>>) {
    super();
    for (const [n, m] of Object.entries(children)) this.addModule(n, m);
  }
  forward(): never {
    throw new Error('BERT: call BertModel');
  }
}

/**
 * The module at dotted `path` under `m`, read from the child maps at each call, so a layer an
 * adapter replaced (which updates only the direct parent) is the one that runs.
 */
function at<M extends Module<any, any>>(m: Module<any, any>, path: string): M {
  let cur: Module<any, any> = m;
  for (const name of path.split('.')) cur = cur.namedChildren().get(name)!;
  return cur as M;
}

/** One BERT layer under transformers' names: attention.self.{query,key,value}, attention.output.{dense,LayerNorm}, intermediate.dense, output.{dense,LayerNorm}. */
export class BertLayer extends Module<never, never> {
  constructor(readonly spec: BertSpec, rng: Rng) {
    super();
    const { hidden: C, intermediate: I, eps } = spec;
    const lin = (i: number, o: number) => new Linear({ inFeatures: i, outFeatures: o }, rng);
    this.addModule('attention', new Container({
      self: new Container({ query: lin(C, C), key: lin(C, C), value: lin(C, C) }),
      output: new Container({ dense: lin(C, C), LayerNorm: new LayerNorm({ dim: C, eps }) }),
    }));
    this.addModule('intermediate', new Container({ dense: lin(C, I) }));
    this.addModule('output', new Container({ dense: lin(I, C), LayerNorm: new LayerNorm({ dim: C, eps }) }));
  }

  /** Post-norm: h = LN(x + attn(x)); out = LN(h + dense(act(dense(h)))). */
  run(x: tf.Tensor, mask: tf.Tensor | null, ctx: ForwardContext): tf.Tensor {
    const { hidden: C, numHeads: H } = this.spec;
    const D = C / H;
    const [B, T] = x.shape as [number, number, number];
    const f = (path: string, t: tf.Tensor) => at<Module>(this, path).forward(t, ctx);
    const heads = (t: tf.Tensor) => tf.transpose(tf.reshape(t, [B, T, H, D]), [0, 2, 1, 3]); // (B, T, C) -> (B, H, T, D)
    const y = attend(heads(f('attention.self.query', x)), heads(f('attention.self.key', x)), heads(f('attention.self.value', x)), {
      causal: false, attentionMask: mask, dropout: this.spec.attnDropout, ctx,
    });
    const merged = tf.reshape(tf.transpose(y, [0, 2, 1, 3]), [B, T, C]); // (B, H, T, D) -> (B, T, C)
    const h = f('attention.output.LayerNorm', tf.add(dropout(f('attention.output.dense', merged), this.spec.hiddenDropout, ctx), x));
    const act = activationFn(this.spec.activation, 'BERT');
    const o = dropout(f('output.dense', act(f('intermediate.dense', h))), this.spec.hiddenDropout, ctx);
    return f('output.LayerNorm', tf.add(o, h));
  }

  forward(): never {
    throw new Error('BertLayer: call BertModel');
  }
}

/** transformers' BertModel (with its pooler). */
export class BertModel extends Module<BertInput, BertOutput> {
  constructor(readonly spec: BertSpec, rng: Rng = defaultRng()) {
    super();
    const C = spec.hidden;
    const emb = (n: number) => new Embedding({ numEmbeddings: n, embeddingDim: C, initStd: 0.02 }, rng);
    this.addModule('embeddings', new Container({
      word_embeddings: emb(spec.vocabSize), position_embeddings: emb(spec.maxPositions),
      token_type_embeddings: emb(spec.typeVocabSize), LayerNorm: new LayerNorm({ dim: C, eps: spec.eps }),
    }));
    this.addModule('encoder', new Container({ layer: new ModuleList(Array.from({ length: spec.numLayers }, () => new BertLayer(spec, rng))) }));
    this.addModule('pooler', new Container({ dense: new Linear({ inFeatures: C, outFeatures: C }, rng) }));
  }

  forward(input: BertInput, ctx: ForwardContext = new ForwardContext({ training: this.training })): BertOutput {
    const { ids, tokenTypeIds = null, attentionMask = null } = input instanceof tf.Tensor ? { ids: input } : input;
    if (!(ids instanceof tf.Tensor) || ids.rank !== 2 || ids.dtype !== 'int32') throw new Error('bert: ids must be an int32 tensor (batch, time)');
    const [B, T] = ids.shape as [number, number];
    if (T > this.spec.maxPositions) throw new Error(`bert: ${T} tokens is beyond max_position_embeddings=${this.spec.maxPositions}`);
    const f = (path: string, t: tf.Tensor) => at<Module>(this, path).forward(t, ctx);
    const types = tokenTypeIds ?? tf.zeros([B, T], 'int32');
    let x = tf.add(tf.add(f('embeddings.word_embeddings', ids), f('embeddings.token_type_embeddings', types)), f('embeddings.position_embeddings', tf.range(0, T, 1, 'int32')));
    x = dropout(f('embeddings.LayerNorm', x), this.spec.hiddenDropout, ctx);
    for (const layer of at<ModuleList<BertLayer>>(this, 'encoder.layer').items) x = layer.run(x, attentionMask, ctx);
    const first = tf.reshape(tf.slice(x, [0, 0, 0], [B, 1, this.spec.hidden]), [B, this.spec.hidden]); // (B, 1, C) -> (B, C)
    return { lastHiddenState: x, poolerOutput: tf.tanh(f('pooler.dense', first)) };
  }
}

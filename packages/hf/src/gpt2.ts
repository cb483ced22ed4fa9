// GPT-2 (transformers' GPT2LMHeadModel) as a Weft Module: learned positions, pre-LayerNorm blocks,
// fused c_attn, tied head. transformers' Conv1D stores its weight [in, out], which is Weft's Linear
// layout, so c_attn / c_proj / c_fc load without a transpose (weights.ts).
import * as tf from '@tensorflow/tfjs-core';
import { Embedding, ForwardContext, LayerNorm, Linear, Module, ModuleList, activationFn, attend, defaultRng, dropout, type Rng } from '@weft/core';
import type { Gpt2Spec } from './config.js';
import type { CausalLMInput } from './decoder.js';
import type { KVCache } from './kv-cache.js';

/** GPT-2 attention: c_attn [C → 3C] split into q, k, v; scores scaled per `scale_attn_weights` and layer index. */
export class Gpt2Attention extends Module {
  readonly c_attn: Linear;
  readonly c_proj: Linear;

  constructor(readonly spec: Gpt2Spec, readonly layerIndex: number, rng: Rng) {
    super();
    this.c_attn = this.addModule('c_attn', new Linear({ inFeatures: spec.hidden, outFeatures: 3 * spec.hidden }, rng));
    this.c_proj = this.addModule('c_proj', new Linear({ inFeatures: spec.hidden, outFeatures: spec.hidden }, rng));
  }

  /** (B, T, C) -> (B, T, C). */
  forward(x: tf.Tensor, ctx: ForwardContext, cache: KVCache | null = null, attentionMask: tf.Tensor | null = null): tf.Tensor {
    const { hidden: C, numHeads: H } = this.spec;
    const D = C / H;
    const [B, T] = x.shape as [number, number, number];
    const heads = (t: tf.Tensor) => tf.transpose(tf.reshape(t, [B, T, H, D]), [0, 2, 1, 3]); // (B, T, C) -> (B, H, T, D)
    const [q, k0, v0] = tf.split(this.c_attn.forward(x, ctx), 3, -1).map(heads) as [tf.Tensor, tf.Tensor, tf.Tensor];
    const offset = cache ? cache.length : 0;
    const { k, v } = cache ? cache.append(this.layerIndex, k0, v0) : { k: k0, v: v0 };
    let scale = this.spec.scaleAttnWeights ? 1 / Math.sqrt(D) : 1;
    if (this.spec.scaleByInverseLayerIdx) scale /= this.layerIndex + 1;
    const y = attend(q, k, v, { scale, queryOffset: offset, attentionMask, dropout: this.spec.attnDropout, ctx }); // (B, H, T, D)
    const merged = tf.reshape(tf.transpose(y, [0, 2, 1, 3]), [B, T, C]); // (B, H, T, D) -> (B, T, C)
    return dropout(this.c_proj.forward(merged, ctx), this.spec.residDropout, ctx);
  }
}

/** GPT-2's MLP: c_proj(act(c_fc(x))). */
export class Gpt2MLP extends Module {
  readonly c_fc: Linear;
  readonly c_proj: Linear;
  private readonly act: (x: tf.Tensor) => tf.Tensor;

  constructor(readonly spec: Gpt2Spec, rng: Rng) {
    super();
    this.c_fc = this.addModule('c_fc', new Linear({ inFeatures: spec.hidden, outFeatures: spec.inner }, rng));
    this.c_proj = this.addModule('c_proj', new Linear({ inFeatures: spec.inner, outFeatures: spec.hidden }, rng));
    this.act = activationFn(spec.activation, 'GPT-2');
  }

  forward(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    return dropout(this.c_proj.forward(this.act(this.c_fc.forward(x, ctx)), ctx), this.spec.residDropout, ctx);
  }
}

/** One GPT-2 block: x + attn(ln_1(x)), then h + mlp(ln_2(h)). */
export class Gpt2Block extends Module {
  readonly ln_1: LayerNorm;
  readonly attn: Gpt2Attention;
  readonly ln_2: LayerNorm;
  readonly mlp: Gpt2MLP;

  constructor(spec: Gpt2Spec, index: number, rng: Rng) {
    super();
    this.ln_1 = this.addModule('ln_1', new LayerNorm({ dim: spec.hidden, eps: spec.eps }));
    this.attn = this.addModule('attn', new Gpt2Attention(spec, index, rng));
    this.ln_2 = this.addModule('ln_2', new LayerNorm({ dim: spec.hidden, eps: spec.eps }));
    this.mlp = this.addModule('mlp', new Gpt2MLP(spec, rng));
  }

  forward(x: tf.Tensor, ctx: ForwardContext, cache: KVCache | null = null, attentionMask: tf.Tensor | null = null): tf.Tensor {
    const h = tf.add(x, this.attn.forward(this.ln_1.forward(x, ctx), ctx, cache, attentionMask));
    return tf.add(h, this.mlp.forward(this.ln_2.forward(h, ctx), ctx));
  }
}

/** GPT-2's body (transformers' `transformer`): wte, wpe, h, ln_f. */
export class Gpt2Body extends Module<never, never> {
  readonly wte: Embedding;
  readonly wpe: Embedding;
  readonly h: ModuleList<Gpt2Block>;
  readonly ln_f: LayerNorm;

  constructor(spec: Gpt2Spec, rng: Rng) {
    super();
    this.wte = this.addModule('wte', new Embedding({ numEmbeddings: spec.vocabSize, embeddingDim: spec.hidden, initStd: 0.02 }, rng));
    this.wpe = this.addModule('wpe', new Embedding({ numEmbeddings: spec.maxPositions, embeddingDim: spec.hidden, initStd: 0.01 }, rng));
    this.h = this.addModule('h', new ModuleList(Array.from({ length: spec.numLayers }, (_, i) => new Gpt2Block(spec, i, rng))));
    this.ln_f = this.addModule('ln_f', new LayerNorm({ dim: spec.hidden, eps: spec.eps }));
  }

  forward(): never {
    throw new Error('Gpt2Body: call the GPT-2 LM that holds it');
  }
}

/** GPT2LMHeadModel: ids (B, T) -> logits (B, T, vocab). */
export class Gpt2LM extends Module<CausalLMInput, tf.Tensor> {
  readonly transformer: Gpt2Body;
  /** The output Linear, or null when tied to `transformer.wte`. */
  readonly lm_head: Linear | null;

  constructor(readonly spec: Gpt2Spec, rng: Rng = defaultRng()) {
    super();
    this.transformer = this.addModule('transformer', new Gpt2Body(spec, rng));
    this.lm_head = spec.tieEmbeddings ? null : this.addModule('lm_head', new Linear({ inFeatures: spec.hidden, outFeatures: spec.vocabSize, bias: false }, rng));
  }

  forward(input: CausalLMInput, ctx: ForwardContext = new ForwardContext({ training: this.training })): tf.Tensor {
    const { ids, attentionMask = null, cache = null } = input instanceof tf.Tensor ? { ids: input } : input;
    if (!(ids instanceof tf.Tensor) || ids.rank !== 2 || ids.dtype !== 'int32') throw new Error('gpt2: ids must be an int32 tensor (batch, time)');
    const [B, T] = ids.shape as [number, number];
    const offset = cache ? cache.length : 0;
    if (offset + T > this.spec.maxPositions) throw new Error(`gpt2: position ${offset + T - 1} is beyond n_positions=${this.spec.maxPositions}`);
    const t = this.transformer;
    const pos = tf.range(offset, offset + T, 1, 'int32');
    let x = dropout(tf.add(t.wte.forward(ids, ctx), t.wpe.forward(pos, ctx)), this.spec.embdDropout, ctx); // (B, T, C)
    for (const block of t.h.items) x = block.forward(x, ctx, cache, attentionMask);
    if (cache) cache.advance(T);
    const flat = tf.reshape(t.ln_f.forward(x, ctx), [B * T, this.spec.hidden]); // (B, T, C) -> (B·T, C)
    const logits = this.lm_head ? this.lm_head.forward(flat, ctx) : tf.matMul(flat, t.wte.weight, false, true);
    return tf.reshape(logits, [B, T, this.spec.vocabSize]); // (B·T, V) -> (B, T, V)
  }
}

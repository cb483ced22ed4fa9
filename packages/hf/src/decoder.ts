// The decoder-only causal LMs of transformers (LLaMA, Mistral, Qwen2/3, Mixtral, Qwen2/3-MoE, OLMoE)
// as a Weft Module built from core's Linear, RMSNorm, Embedding, rotary embedding and attend(), with
// @weft/moe's MoE layer for routed experts. Children carry transformers' names
// (model.layers.N.self_attn.q_proj, mlp.gate_proj, …) so PEFT target_modules and adapter files match
// without renaming; only an MoE block's stacked experts and router differ (see weights.ts).
import * as tf from '@tensorflow/tfjs-core';
import {
  Embedding, ForwardContext, Linear, Module, ModuleList, RMSNorm, activationFn, applyRotary, attend, defaultRng,
  RopeFrequencies, rotaryTables, type Rng,
} from '@weft/core';
import { MoE } from '@weft/moe';
import type { DecoderSpec } from './config.js';
import type { KVCache } from './kv-cache.js';

/** Input of a causal LM: ids (B, T) int32, or ids with an attention mask over every key (cached + new) and a KV cache. */
export type CausalLMInput = tf.Tensor | { ids: tf.Tensor; attentionMask?: tf.Tensor | null; cache?: KVCache | null };

/** What a decoder layer reads besides its hidden states. */
interface LayerInput {
  x: tf.Tensor;
  cos: tf.Tensor;
  sin: tf.Tensor;
  attentionMask: tf.Tensor | null;
  cache: KVCache | null;
}

/** LLaMA-style self-attention: q/k/v/o projections, optional q/k RMSNorm, rotate-half RoPE, GQA, sliding window. */
export class DecoderAttention extends Module<LayerInput, tf.Tensor> {
  readonly q_proj: Linear;
  readonly k_proj: Linear;
  readonly v_proj: Linear;
  readonly o_proj: Linear;
  /** Qwen3: per-head RMSNorm [head_dim]; OLMoE: over the projection [H·D]; else null. */
  readonly q_norm: RMSNorm | null;
  readonly k_norm: RMSNorm | null;

  constructor(readonly spec: DecoderSpec, readonly layerIndex: number, rng: Rng) {
    super();
    const { hidden: C, numHeads: H, numKVHeads: Hkv, headDim: D } = spec;
    this.q_proj = this.addModule('q_proj', new Linear({ inFeatures: C, outFeatures: H * D, bias: spec.qkvBias }, rng));
    this.k_proj = this.addModule('k_proj', new Linear({ inFeatures: C, outFeatures: Hkv * D, bias: spec.qkvBias }, rng));
    this.v_proj = this.addModule('v_proj', new Linear({ inFeatures: C, outFeatures: Hkv * D, bias: spec.qkvBias }, rng));
    this.o_proj = this.addModule('o_proj', new Linear({ inFeatures: H * D, outFeatures: C, bias: spec.oBias }, rng));
    const norm = (dim: number) => new RMSNorm({ dim, eps: spec.rmsEps });
    this.q_norm = spec.qkNorm ? this.addModule('q_norm', norm(spec.qkNorm === 'head' ? D : H * D)) : null;
    this.k_norm = spec.qkNorm ? this.addModule('k_norm', norm(spec.qkNorm === 'head' ? D : Hkv * D)) : null;
  }

  /** (B, T, C) -> (B, T, C); with a cache, T new positions after the cached ones. */
  forward(input: LayerInput, ctx: ForwardContext): tf.Tensor {
    const { x, cos, sin, attentionMask, cache } = input;
    const { numHeads: H, numKVHeads: Hkv, headDim: D, clipQkv } = this.spec;
    const [B, T] = x.shape as [number, number, number];
    const project = (lin: Linear, norm: RMSNorm | null, h: number, value: boolean) => {
      let y = lin.forward(x, ctx); // (B, T, h·D)
      if (norm && this.spec.qkNorm === 'full') y = norm.forward(y, ctx);
      if (clipQkv !== null) y = tf.clipByValue(y, -clipQkv, clipQkv);
      y = tf.reshape(y, [B, T, h, D]); // (B, T, h·D) -> (B, T, h, D)
      if (norm && this.spec.qkNorm === 'head') y = norm.forward(y, ctx);
      y = tf.transpose(y, [0, 2, 1, 3]); // (B, T, h, D) -> (B, h, T, D)
      return value ? y : applyRotary(y, cos, sin);
    };
    const q = project(this.q_proj, this.q_norm, H, false);
    let k = project(this.k_proj, this.k_norm, Hkv, false);
    let v = project(this.v_proj, null, Hkv, true);
    const offset = cache ? cache.length : 0;
    if (cache) ({ k, v } = cache.append(this.layerIndex, k, v));
    const y = attend(q, k, v, {
      attentionMask, queryOffset: offset, slidingWindow: this.spec.slidingWindows[this.layerIndex] ?? null, dropout: this.spec.attentionDropout, ctx,
    }); // (B, H, T, D)
    return this.o_proj.forward(tf.reshape(tf.transpose(y, [0, 2, 1, 3]), [B, T, H * D]), ctx); // (B, H, T, D) -> (B, T, H·D) -> (B, T, C)
  }
}

/** The gated MLP down(act(gate(x)) ⊙ up(x)) under transformers' names. */
export class GatedMLP extends Module {
  readonly gate_proj: Linear;
  readonly up_proj: Linear;
  readonly down_proj: Linear;
  private readonly act: (x: tf.Tensor) => tf.Tensor;

  constructor(dim: number, hidden: number, bias: boolean, activation: DecoderSpec['activation'], rng: Rng) {
    super();
    this.gate_proj = this.addModule('gate_proj', new Linear({ inFeatures: dim, outFeatures: hidden, bias }, rng));
    this.up_proj = this.addModule('up_proj', new Linear({ inFeatures: dim, outFeatures: hidden, bias }, rng));
    this.down_proj = this.addModule('down_proj', new Linear({ inFeatures: hidden, outFeatures: dim, bias }, rng));
    this.act = activationFn(activation, 'GatedMLP');
  }

  /** (..., dim) -> (..., dim). */
  forward(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    return this.down_proj.forward(tf.mul(this.act(this.gate_proj.forward(x, ctx)), this.up_proj.forward(x, ctx)), ctx);
  }
}

/** One pre-norm decoder layer: x + attn(norm(x)), then h + mlp(norm(h)). */
export class DecoderLayer extends Module<LayerInput, tf.Tensor> {
  readonly input_layernorm: RMSNorm;
  readonly self_attn: DecoderAttention;
  readonly post_attention_layernorm: RMSNorm;
  /** A gated MLP, or an MoE block (routed SwiGLU experts, Qwen2-MoE's gated shared expert). */
  readonly mlp: GatedMLP | MoE;

  constructor(spec: DecoderSpec, index: number, rng: Rng) {
    super();
    this.input_layernorm = this.addModule('input_layernorm', new RMSNorm({ dim: spec.hidden, eps: spec.rmsEps }));
    this.self_attn = this.addModule('self_attn', new DecoderAttention(spec, index, rng));
    this.post_attention_layernorm = this.addModule('post_attention_layernorm', new RMSNorm({ dim: spec.hidden, eps: spec.rmsEps }));
    const m = spec.moe;
    if (m && m.sparseLayers[index]) {
      if (spec.activation !== 'silu') throw new Error(`config.json: hidden_act must be "silu" for ${spec.modelType}'s experts (Weft's SwiGLU experts)`);
      this.mlp = this.addModule(
        'mlp',
        new MoE(
          {
            dim: spec.hidden, numExperts: m.numExperts, topK: m.topK, hidden: m.hidden, expert: 'swiglu', router: 'mixtral',
            routerConfig: { normalize: m.normTopK }, capacityFactor: null, loadBalance: m.auxLossWeight > 0 ? 'mixtral' : 'none',
            loadBalanceWeight: m.auxLossWeight, zLossWeight: 0,
            ...(m.sharedHidden > 0 ? { sharedExperts: 1, sharedHidden: m.sharedHidden, sharedGate: true } : {}),
          },
          rng,
        ),
      );
    } else {
      this.mlp = this.addModule('mlp', new GatedMLP(spec.hidden, spec.intermediate, spec.mlpBias, spec.activation, rng));
    }
  }

  forward(input: LayerInput, ctx: ForwardContext): tf.Tensor {
    const h = tf.add(input.x, this.self_attn.forward({ ...input, x: this.input_layernorm.forward(input.x, ctx) }, ctx));
    return tf.add(h, this.mlp.forward(this.post_attention_layernorm.forward(h, ctx), ctx));
  }
}

/** The decoder body: embed_tokens, layers, norm (transformers' `model`). */
export class DecoderBody extends Module<never, never> {
  readonly embed_tokens: Embedding;
  readonly layers: ModuleList<DecoderLayer>;
  readonly norm: RMSNorm;

  constructor(spec: DecoderSpec, rng: Rng) {
    super();
    this.embed_tokens = this.addModule('embed_tokens', new Embedding({ numEmbeddings: spec.vocabSize, embeddingDim: spec.hidden, initStd: 0.02 }, rng));
    this.layers = this.addModule('layers', new ModuleList(Array.from({ length: spec.numLayers }, (_, i) => new DecoderLayer(spec, i, rng))));
    this.norm = this.addModule('norm', new RMSNorm({ dim: spec.hidden, eps: spec.rmsEps }));
  }

  forward(): never {
    throw new Error('DecoderBody: call the causal LM that holds it');
  }
}

/** A transformers decoder-only causal LM: ids (B, T) -> logits (B, T, vocab). */
export class HfCausalLM extends Module<CausalLMInput, tf.Tensor> {
  readonly model: DecoderBody;
  /** The output Linear, or null when tied to `model.embed_tokens`. */
  readonly lm_head: Linear | null;
  /** The rope frequencies per call (dynamic and longrope change with the sequence length, as in transformers). */
  private readonly rope: RopeFrequencies;

  constructor(readonly spec: DecoderSpec, rng: Rng = defaultRng()) {
    super();
    this.model = this.addModule('model', new DecoderBody(spec, rng));
    this.lm_head = spec.tieEmbeddings ? null : this.addModule('lm_head', new Linear({ inFeatures: spec.hidden, outFeatures: spec.vocabSize, bias: false }, rng));
    this.rope = new RopeFrequencies(spec.rope);
  }

  /** Hidden states after the final norm (B, T, C). */
  hiddenStates(input: CausalLMInput, ctx: ForwardContext = new ForwardContext({ training: this.training })): tf.Tensor {
    const { ids, attentionMask = null, cache = null } = input instanceof tf.Tensor ? { ids: input } : input;
    if (!(ids instanceof tf.Tensor) || ids.rank !== 2 || ids.dtype !== 'int32') {
      throw new Error(`${this.spec.modelType}: ids must be an int32 tensor (batch, time), got ${ids instanceof tf.Tensor ? `${ids.dtype} [${ids.shape}]` : typeof ids}`);
    }
    const T = ids.shape[1]!;
    const offset = cache ? cache.length : 0;
    const rope = this.rope.at(offset + T); // transformers: seq_len = max(position_ids) + 1
    const { cos, sin } = rotaryTables(rope.invFreq, offset, T, rope.attentionScaling);
    let x = this.model.embed_tokens.forward(ids, ctx); // (B, T, C)
    for (const layer of this.model.layers.items) x = layer.forward({ x, cos, sin, attentionMask, cache }, ctx);
    if (cache) cache.advance(T);
    return this.model.norm.forward(x, ctx);
  }

  /** Logits (B, T, vocab). With `cache`, the T ids follow the cached positions and the cache grows by T. */
  forward(input: CausalLMInput, ctx: ForwardContext = new ForwardContext({ training: this.training })): tf.Tensor {
    const h = this.hiddenStates(input, ctx);
    const [B, T, C] = h.shape as [number, number, number];
    const flat = tf.reshape(h, [B * T, C]); // (B, T, C) -> (B·T, C)
    const logits = this.lm_head ? this.lm_head.forward(flat, ctx) : tf.matMul(flat, this.model.embed_tokens.weight, false, true);
    return tf.reshape(logits, [B, T, this.spec.vocabSize]); // (B·T, V) -> (B, T, V)
  }
}

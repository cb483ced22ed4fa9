// Decoder-only Transformers as parameter specs: the LLaMA family (arXiv:2302.13971, `modeling_llama.py`,
// `modeling_mistral.py`, `modeling_qwen2.py`: RMSNorm, SwiGLU, grouped-query attention) and DeepSeek-V2's
// multi-head latent attention (arXiv:2405.04434, `modeling_deepseek_v2.py`). MoE feed-forward blocks come
// from moe.ts. Cross-layer sharing plans are applied over the layer slots.

import { add, mul } from './arith.js';
import { moeEntries } from './moe.js';
import { applySharingPlan } from './sharing-plan.js';
import { embedding, linear, raw, swiglu, type BlockSpec, type ModelSpec, type ParamEntry } from './spec.js';
import type { HeadKind, SharingPlan } from './types.js';
import type { ResolvedAttention, ResolvedDecoder } from './validate.js';

/** Options a decoder spec needs (already defaulted by the caller). */
export interface DecoderSpecOptions {
  head: HeadKind;
  numLabels: number;
  sharing: SharingPlan;
}

/** Attention modules of one decoder layer (GQA with optional biases, or MLA). */
export function attentionEntries(att: ResolvedAttention, H: number): ParamEntry[] {
  if (att.kind === 'gqa') {
    const row = 'self-attention (q/k/v/o)';
    const q = mul('q_proj width', att.heads, att.headDim);
    const kv = mul('k_proj width', att.kvHeads, att.headDim);
    return [
      linear('self_attn.q_proj', 'attention', row, H, q, att.qkvBias),
      linear('self_attn.k_proj', 'attention', row, H, kv, att.qkvBias),
      linear('self_attn.v_proj', 'attention', row, H, kv, att.qkvBias),
      linear('self_attn.o_proj', 'attention', row, q, H, att.oBias),
    ];
  }
  const row = 'latent attention (MLA)';
  const qWidth = mul('q width', att.heads, add('qk head dim', att.qkNopeHeadDim, att.qkRopeHeadDim));
  const out: ParamEntry[] = [];
  if (att.qLoraRank === null) {
    out.push(linear('self_attn.q_proj', 'attention', row, H, qWidth, false));
  } else {
    out.push(
      linear('self_attn.q_a_proj', 'attention', row, H, att.qLoraRank, att.bias),
      raw('self_attn.q_a_layernorm', 'norms', 'RMSNorms', att.qLoraRank),
      linear('self_attn.q_b_proj', 'attention', row, att.qLoraRank, qWidth, false),
    );
  }
  const kvWidth = mul('kv_b_proj width', att.heads, add('kv head dim', att.qkNopeHeadDim, att.vHeadDim));
  const oWidth = mul('o_proj width', att.heads, att.vHeadDim);
  out.push(
    linear('self_attn.kv_a_proj_with_mqa', 'attention', row, H, add('kv_a width', att.kvLoraRank, att.qkRopeHeadDim), att.bias),
    raw('self_attn.kv_a_layernorm', 'norms', 'RMSNorms', att.kvLoraRank),
    linear('self_attn.kv_b_proj', 'attention', row, att.kvLoraRank, kvWidth, false),
    linear('self_attn.o_proj', 'attention', row, oWidth, H, att.bias),
  );
  return out;
}

/** One decoder layer: attention, two RMSNorms, and a dense or MoE feed-forward. */
function decoderLayer(cfg: ResolvedDecoder, layer: number): BlockSpec {
  const H = cfg.hidden;
  const sparse = cfg.moe !== null && cfg.moe.sparse[layer] === true;
  return {
    kind: sparse ? 'moe' : 'dense',
    entries: [
      ...attentionEntries(cfg.attention, H),
      raw('input_layernorm', 'norms', 'RMSNorms', H),
      raw('post_attention_layernorm', 'norms', 'RMSNorms', H),
      ...(sparse ? moeEntries(cfg, cfg.moe!) : swiglu('mlp.', H, cfg.intermediate, cfg.mlpBias, 'feed-forward (SwiGLU)')),
    ],
  };
}

/** The parameter spec of a dense or MoE decoder with the requested head and sharing plan. */
export function decoderSpec(cfg: ResolvedDecoder, opts: DecoderSpecOptions): ModelSpec {
  const H = cfg.hidden;
  // `…ForCausalLM` / `…ForSequenceClassification` hold the base model under `model.`.
  const p = opts.head === 'none' ? '' : 'model.';
  const perLayer = Array.from({ length: cfg.layers }, (_, i) => decoderLayer(cfg, i));
  const { blocks, slots } = applySharingPlan(perLayer, opts.sharing, (i) => `${p}layers.${i}.`);

  const top: ParamEntry[] = [
    embedding(`${p}embed_tokens`, 'token embeddings', cfg.vocab, H),
    raw(`${p}norm`, 'norms', 'final RMSNorm', H),
  ];
  if (opts.head === 'lm') {
    const head = linear('lm_head', 'head', cfg.tie ? 'lm_head (tied to embeddings)' : 'lm_head', H, cfg.vocab, false);
    top.push(cfg.tie ? { ...head, tied: true } : head);
  } else if (opts.head === 'classifier') {
    top.push(linear('score', 'head', 'classifier (score)', H, opts.numLabels, false));
  }
  return { modelType: cfg.modelType, family: cfg.family, head: opts.head, top, blocks, slots };
}

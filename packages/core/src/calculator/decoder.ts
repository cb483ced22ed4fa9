// Decoder-only Transformers as parameter specs: the LLaMA family (arXiv:2302.13971, `modeling_llama.py`,
// `modeling_mistral.py`, `modeling_qwen2.py`: RMSNorm, SwiGLU, grouped-query attention) and its 2025
// descendants as transformers v5 builds them — Qwen3 (q/k RMSNorms per head), Gemma 2/3 (four RMSNorms per
// layer, tied), Phi-3 (fused qkv_proj and gate_up_proj), PhiMoE (LayerNorms with bias), OLMoE (q/k norms over
// all heads), gpt-oss (attention sinks and biases), Llama 4 (feed_forward with dense layers of
// intermediate_size_mlp) — and DeepSeek-V2/V3's multi-head latent attention (arXiv:2405.04434,
// `modeling_deepseek_v2.py`, `modeling_deepseek_v3.py`) with V3's multi-token-prediction modules
// (arXiv:2412.19437 §2.2) counted apart. MoE feed-forward blocks come from moe.ts. Cross-layer sharing
// plans are applied over the layer slots.

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

/** Attention modules of one decoder layer (GQA with optional biases, norms, sinks, fused qkv; or MLA). */
export function attentionEntries(att: ResolvedAttention, H: number): ParamEntry[] {
  if (att.kind === 'gqa') {
    const row = 'self-attention (q/k/v/o)';
    const q = mul('q_proj width', att.heads, att.headDim);
    const kv = mul('k_proj width', att.kvHeads, att.headDim);
    const out: ParamEntry[] = att.fusedQkv
      ? [linear('self_attn.qkv_proj', 'attention', row, H, add('qkv_proj width', q, kv, kv), att.qkvBias)]
      : [
          linear('self_attn.q_proj', 'attention', row, H, q, att.qkvBias),
          linear('self_attn.k_proj', 'attention', row, H, kv, att.qkvBias),
          linear('self_attn.v_proj', 'attention', row, H, kv, att.qkvBias),
        ];
    out.push(linear('self_attn.o_proj', 'attention', row, q, H, att.oBias));
    if (att.qkNorm !== 'none') {
      // Qwen3 / Gemma 3: RMSNorm(head_dim) shared by all heads; OLMoE: RMSNorm over all q (k) heads.
      out.push(
        raw('self_attn.q_norm', 'norms', 'q/k norms', att.qkNorm === 'head' ? att.headDim : q),
        raw('self_attn.k_norm', 'norms', 'q/k norms', att.qkNorm === 'head' ? att.headDim : kv),
      );
    }
    if (att.sinks) out.push(raw('self_attn.sinks', 'attention', 'attention sinks', att.heads));
    return out;
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

/** Name and width of the decoder's norms: RMSNorm (H weights) or LayerNorm with bias (2H). */
function normOf(cfg: ResolvedDecoder): { row: string; params: number } {
  return cfg.norm === 'layer' ? { row: 'LayerNorms', params: mul('LayerNorm', 2, cfg.hidden) } : { row: 'RMSNorms', params: cfg.hidden };
}

/** The dense feed-forward of a layer: SwiGLU gate/up/down, or Phi-3's fused gate_up_proj. */
function denseFfn(cfg: ResolvedDecoder): ParamEntry[] {
  const H = cfg.hidden;
  const I = cfg.denseIntermediate;
  const p = `${cfg.mlpPrefix}.`;
  if (cfg.fusedGateUp) {
    return [
      linear(`${p}gate_up_proj`, 'ffn', 'feed-forward (SwiGLU)', H, mul('gate_up_proj width', 2, I), cfg.mlpBias),
      linear(`${p}down_proj`, 'ffn', 'feed-forward (SwiGLU)', I, H, cfg.mlpBias),
    ];
  }
  return swiglu(p, H, I, cfg.mlpBias, 'feed-forward (SwiGLU)');
}

/** One decoder layer: attention, two (Gemma: four) norms, and a dense or MoE feed-forward. */
function decoderLayer(cfg: ResolvedDecoder, layer: number): BlockSpec {
  const sparse = cfg.moe !== null && cfg.moe.sparse[layer] === true;
  const norm = normOf(cfg);
  const norms = cfg.sandwichNorms
    ? ['input_layernorm', 'post_attention_layernorm', 'pre_feedforward_layernorm', 'post_feedforward_layernorm']
    : ['input_layernorm', 'post_attention_layernorm'];
  return {
    kind: sparse ? 'moe' : 'dense',
    entries: [
      ...attentionEntries(cfg.attention, cfg.hidden),
      ...norms.map((n) => raw(n, 'norms', norm.row, norm.params)),
      ...(sparse ? moeEntries(cfg, cfg.moe!) : denseFfn(cfg)),
    ],
  };
}

/**
 * DeepSeek-V3's MTP module k (README_WEIGHTS.md of deepseek-ai/DeepSeek-V3: `model.layers.{L+k}`):
 * `enorm`, `hnorm` (RMSNorm H), `eh_proj` (2H → H, no bias), one MoE decoder layer, `shared_head.norm`;
 * its `embed_tokens` and `shared_head.head` repeat the main model's (stored again in the checkpoint).
 */
function mtpEntries(cfg: ResolvedDecoder, k: number, p: string): ParamEntry[] {
  const H = cfg.hidden;
  const at = `${p}layers.${cfg.layers + k}.`;
  const layer = decoderLayer({ ...cfg, moe: cfg.moe ? { ...cfg.moe, sparse: [true] } : null }, 0);
  return [
    raw(`${at}enorm`, 'norms', 'MTP', H),
    raw(`${at}hnorm`, 'norms', 'MTP', H),
    linear(`${at}eh_proj`, 'attention', 'MTP', mul('eh_proj in', 2, H), H, false),
    ...layer.entries.map((e) => ({ ...e, path: at + e.path })),
    raw(`${at}shared_head.norm`, 'norms', 'MTP', H),
  ];
}

/** The parameter spec of a dense or MoE decoder with the requested head and sharing plan. */
export function decoderSpec(cfg: ResolvedDecoder, opts: DecoderSpecOptions): ModelSpec {
  const H = cfg.hidden;
  // `…ForCausalLM` / `…ForSequenceClassification` hold the base model under `model.`.
  const p = opts.head === 'none' ? '' : 'model.';
  const perLayer = Array.from({ length: cfg.layers }, (_, i) => decoderLayer(cfg, i));
  const { blocks, slots } = applySharingPlan(perLayer, opts.sharing, (i) => `${p}layers.${i}.`);
  const norm = normOf(cfg);

  const top: ParamEntry[] = [
    embedding(`${p}embed_tokens`, 'token embeddings', cfg.vocab, H, true),
    raw(`${p}norm`, 'norms', `final ${norm.row.slice(0, -1)}`, norm.params),
  ];
  if (opts.head === 'lm') {
    const head: ParamEntry = { ...linear('lm_head', 'head', cfg.tie ? 'lm_head (tied to embeddings)' : 'lm_head', H, cfg.vocab, false), vocabHead: true };
    if (cfg.tie) {
      top.push({ ...head, tied: true });
      // A tied head's bias (PhiMoE lm_head_bias) is still its own parameter.
      if (cfg.lmHeadBias) top.push(raw('lm_head.bias', 'head', 'lm_head bias', cfg.vocab));
    } else {
      top.push(cfg.lmHeadBias ? { ...linear('lm_head', 'head', 'lm_head', H, cfg.vocab, true), vocabHead: true } : head);
    }
  } else if (opts.head === 'classifier') {
    top.push(linear('score', 'head', 'classifier (score)', H, opts.numLabels, false));
  }
  const spec: ModelSpec = { modelType: cfg.modelType, family: cfg.family, head: opts.head, top, blocks, slots };
  if (cfg.mtpLayers > 0) {
    spec.mtp = {
      entries: Array.from({ length: cfg.mtpLayers }, (_, k) => mtpEntries(cfg, k, p)).flat(),
      sharedCopies: mul('MTP shared copies', cfg.mtpLayers, 2, cfg.vocab, H),
    };
  }
  return spec;
}

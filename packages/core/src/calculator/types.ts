// Public types of the real-scale parameter calculator: model configs (field names exactly as in a
// transformers `config.json`, so a published config can be pasted as is), options, and the report.
// Defaults are the transformers configuration classes' defaults unless a comment says otherwise.

import type { SharingPlan } from './sharing-plan.js';

/** Numeric formats the report gives memory sizes for. `int4` packs two parameters per byte. */
export type ParamPrecision = 'fp32' | 'fp16' | 'bf16' | 'int8' | 'int4';

/** Every precision, in the order a table shows them. */
export const PARAM_PRECISIONS: readonly ParamPrecision[] = ['fp32', 'fp16', 'bf16', 'int8', 'int4'];

/** What a breakdown row belongs to. */
export type ParamComponent =
  | 'embeddings'
  | 'attention'
  | 'ffn'
  | 'experts'
  | 'router'
  | 'norms'
  | 'head'
  | 'ssm'
  | 'adapters';

/**
 * Which model class is counted.
 * - `'none'`: the bare model (`AutoModel`: `BertModel` with its pooler, `LlamaModel`, …).
 * - `'lm'`: the language-model head (`BertForMaskedLM` — no pooler, MLM head with the decoder tied to
 *   the word embeddings — or `…ForCausalLM` with `lm_head`, tied when `tie_word_embeddings`).
 * - `'classifier'`: `…ForSequenceClassification` (encoders: pooler + `Linear(H, numLabels)` with bias;
 *   decoders: `score = Linear(H, numLabels, bias=False)`, no `lm_head`).
 */
export type HeadKind = 'none' | 'lm' | 'classifier';

/** Architecture family of a config (`moe`: decoder-only or encoder-decoder with routed experts; `ssm`: Mamba). */
export type ModelFamily = 'encoder' | 'decoder' | 'moe' | 'encoder-decoder' | 'ssm';

/** Every `model_type` the calculator understands. */
export const SUPPORTED_MODEL_TYPES = [
  'bert',
  'albert',
  'llama',
  'mistral',
  'qwen2',
  'mixtral',
  'qwen2_moe',
  'deepseek',
  'deepseek_v2',
  'deepseek_v3',
  'qwen3',
  'qwen3_moe',
  'gemma2',
  'gemma3_text',
  'phi3',
  'phimoe',
  'olmoe',
  'gpt2',
  'llama4_text',
  'gpt_oss',
  't5',
  'switch_transformers',
  'mamba',
] as const;

/** A `model_type` the calculator understands. */
export type SupportedModelType = (typeof SUPPORTED_MODEL_TYPES)[number];

/** Fields every supported config has (the transformer's core sizes; all required). */
export interface CoreSizes {
  /** Vocabulary size V (rows of the token embedding). Required. */
  vocab_size: number;
  /** Hidden size H. Required. */
  hidden_size: number;
  /** Number of transformer layers, i.e. layer *slots* (a shared layer counts once per slot). Required. */
  num_hidden_layers: number;
  /** Number of attention (query) heads. Required. */
  num_attention_heads: number;
  /** Width of the (dense) feed-forward layer; for Mixtral, of each expert. Required. */
  intermediate_size: number;
}

/** BERT encoder (`modeling_bert.py`): learned position and token-type embeddings, post-LayerNorm. */
export interface BertConfig extends CoreSizes {
  /** Discriminator. */
  model_type: 'bert';
  /** Rows of the learned position embedding. Default 512. */
  max_position_embeddings?: number;
  /** Rows of the token-type (segment) embedding. Default 2. */
  type_vocab_size?: number;
  /** Whether the MLM decoder shares the word-embedding matrix (only matters for `head: 'lm'`). Default true. */
  tie_word_embeddings?: boolean;
  /** Only `'absolute'` is supported (relative variants add per-layer distance embeddings). Default `'absolute'`. */
  position_embedding_type?: string;
}

/** ALBERT encoder (`modeling_albert.py`): factorized embeddings (V×E then E→H) and layer groups. */
export interface AlbertConfig extends CoreSizes {
  /** Discriminator. */
  model_type: 'albert';
  /** Embedding width E (the factorized embedding is V×E, then a Linear E→H). Default 128. */
  embedding_size?: number;
  /** Number of distinct layer groups; slot i uses group ⌊i / ⌊L/G⌋⌋. Default 1. */
  num_hidden_groups?: number;
  /** Layers inside each group, all run at every slot that uses the group. Default 1. */
  inner_group_num?: number;
  /** Rows of the learned position embedding. Default 512. */
  max_position_embeddings?: number;
  /** Rows of the token-type embedding. Default 2. */
  type_vocab_size?: number;
  /** Whether the MLM decoder shares the word-embedding matrix (only matters for `head: 'lm'`). Default true. */
  tie_word_embeddings?: boolean;
  /** Only `'absolute'` is supported. Default `'absolute'`. */
  position_embedding_type?: string;
}

/** Attention fields shared by the decoder families. */
export interface DecoderAttentionFields {
  /** Key/value heads for grouped-query attention. Default (or null): `num_attention_heads`. */
  num_key_value_heads?: number | null;
  /** Per-head width. Default (or null): `hidden_size / num_attention_heads`. */
  head_dim?: number | null;
  /** Whether the input and output embeddings share one matrix. Default false (all supported decoders). */
  tie_word_embeddings?: boolean;
}

/**
 * LLaMA-family dense decoder: RMSNorm, SwiGLU (gate/up/down), grouped-query attention.
 * `llama`: q/k/v/o biases iff `attention_bias`; `mistral`: no biases; `qwen2`: q/k/v biases, o without.
 */
export interface LlamaConfig extends CoreSizes, DecoderAttentionFields {
  /** Discriminator. */
  model_type: 'llama' | 'mistral' | 'qwen2';
  /** LLaMA only: bias on q/k/v/o. Default false. */
  attention_bias?: boolean;
  /** LLaMA only: bias on gate/up/down. Default false. */
  mlp_bias?: boolean;
}

/** Mixtral sparse MoE decoder: every layer has `num_local_experts` SwiGLU experts (w1/w3/w2) and a router. */
export interface MixtralConfig extends CoreSizes, DecoderAttentionFields {
  /** Discriminator. */
  model_type: 'mixtral';
  /** Experts per layer E. Required. */
  num_local_experts: number;
  /** Experts each token is routed to (k). Required. */
  num_experts_per_tok: number;
}

/**
 * Qwen2-MoE decoder (Qwen1.5-MoE): fine-grained routed experts, one shared expert with a sigmoid gate
 * `Linear(H, 1)`, q/k/v biases. A layer is sparse iff it is not in `mlp_only_layers` and
 * `(layer + 1) % decoder_sparse_step == 0`; other layers use a dense SwiGLU of `intermediate_size`.
 */
export interface Qwen2MoeConfig extends CoreSizes, DecoderAttentionFields {
  /** Discriminator. */
  model_type: 'qwen2_moe';
  /** Routed experts per sparse layer. Required. */
  num_experts: number;
  /** Routed experts per token. Required. */
  num_experts_per_tok: number;
  /** Width of each routed expert. Required. */
  moe_intermediate_size: number;
  /** Width of the shared expert (0 gives an empty shared expert, its gate is still there). Required. */
  shared_expert_intermediate_size: number;
  /** Every `decoder_sparse_step`-th layer is sparse. Default 1. */
  decoder_sparse_step?: number;
  /** Layer indices forced dense. Default []. */
  mlp_only_layers?: number[] | null;
  /** Bias on q/k/v. Default true. */
  qkv_bias?: boolean;
}

/**
 * DeepSeekMoE decoder (`model_type: "deepseek"`, the remote code of deepseek-moe-16b): LLaMA attention,
 * routed experts of `moe_intermediate_size`, `n_shared_experts` merged into one SwiGLU of
 * `n_shared_experts × moe_intermediate_size`, a router weight (E×H, not an `nn.Linear`). Layer i is sparse iff
 * experts are configured, `i >= first_k_dense_replace` and `i % moe_layer_freq == 0`.
 */
export interface DeepseekConfig extends CoreSizes, DecoderAttentionFields {
  /** Discriminator. */
  model_type: 'deepseek';
  /** Routed experts per sparse layer; null means a dense model. Default null. */
  n_routed_experts?: number | null;
  /** Shared experts; null or 0 means none. Default null. */
  n_shared_experts?: number | null;
  /** Routed experts per token. Required when `n_routed_experts` is set. */
  num_experts_per_tok?: number | null;
  /** Width of each routed (and each shared) expert. Required when `n_routed_experts` is set. */
  moe_intermediate_size?: number;
  /** The first k layers stay dense. Default 0. */
  first_k_dense_replace?: number;
  /** Every `moe_layer_freq`-th layer (from `first_k_dense_replace` on) is sparse. Default 1. */
  moe_layer_freq?: number;
  /** Bias on q/k/v/o. Default false. */
  attention_bias?: boolean;
}

/**
 * DeepSeek-V2 decoder (`modeling_deepseek_v2.py`): multi-head latent attention (MLA) and DeepSeekMoE.
 * MLA: `q_proj` (or `q_a_proj` → RMSNorm → `q_b_proj` when `q_lora_rank` is set), `kv_a_proj_with_mqa`
 * (H → kv_lora_rank + qk_rope_head_dim), RMSNorm(kv_lora_rank), `kv_b_proj` (kv_lora_rank →
 * heads·(qk_nope_head_dim + v_head_dim)), `o_proj` (heads·v_head_dim → H).
 */
export interface DeepseekV2Config extends CoreSizes {
  /** Discriminator. */
  model_type: 'deepseek_v2';
  /** Routed experts per sparse layer; null means a dense model. Required (may be null). */
  n_routed_experts: number | null;
  /** Shared experts (null or 0: none). Default null. */
  n_shared_experts?: number | null;
  /** Routed experts per token. Required when `n_routed_experts` is set. */
  num_experts_per_tok?: number | null;
  /** Width of each routed (and each shared) expert. Required when `n_routed_experts` is set. */
  moe_intermediate_size?: number;
  /** The first k layers stay dense. Default 0. */
  first_k_dense_replace?: number;
  /** Every `moe_layer_freq`-th layer (from `first_k_dense_replace` on) is sparse. Default 1. */
  moe_layer_freq?: number;
  /** Query compression rank; null: a plain `q_proj`. Required (may be null). */
  q_lora_rank: number | null;
  /** Key/value compression rank. Required. */
  kv_lora_rank: number;
  /** Per-head query/key width without rotary embedding. Required. */
  qk_nope_head_dim: number;
  /** Per-head query/key rotary width (the rotary key is shared by all heads). Required. */
  qk_rope_head_dim: number;
  /** Per-head value width. Required. */
  v_head_dim: number;
  /** Bias on `q_a_proj`, `kv_a_proj_with_mqa` and `o_proj`. Default false. */
  attention_bias?: boolean;
  /** Whether the input and output embeddings share one matrix. Default false. */
  tie_word_embeddings?: boolean;
}

/**
 * The newer decoders (`modeling_<type>.py` in transformers v5): Qwen3 (q/k RMSNorms of one head's width),
 * Gemma 2 / Gemma 3 text (four RMSNorms per layer, tied, head_dim default 256; Gemma 3 adds q/k norms),
 * Phi-3 (fused `qkv_proj` and `gate_up_proj`). Every field is the transformers config field of that name.
 */
export interface DenseDecoderConfig extends CoreSizes, DecoderAttentionFields {
  /** Discriminator. */
  model_type: 'qwen3' | 'gemma2' | 'gemma3_text' | 'phi3';
  /** Bias on q/k/v/o (not Phi-3). Default false. */
  attention_bias?: boolean;
  /** Other config.json fields: accepted when known not to change the count (field-lists.ts), refused otherwise. */
  [field: string]: unknown;
}

/**
 * The newer MoE decoders: Qwen3-MoE (`num_experts`, `moe_intermediate_size`, `decoder_sparse_step`,
 * `mlp_only_layers`; no shared expert), OLMoE (q/k norms over all heads), PhiMoE (LayerNorms with bias,
 * `lm_head_bias`), gpt-oss (attention sinks, biases everywhere, router bias), Llama 4 text (MoE layers by
 * `moe_layers` or `interleave_moe_layer_step`, a shared expert, dense layers of `intermediate_size_mlp`),
 * DeepSeek-V3 (MLA, `n_shared_experts`, `first_k_dense_replace`, `num_nextn_predict_layers` MTP modules
 * counted apart). Expert counts: `num_experts` / `num_local_experts` / `n_routed_experts` as the family names it.
 */
export interface MoeDecoderConfig extends CoreSizes, DecoderAttentionFields {
  /** Discriminator. */
  model_type: 'qwen3_moe' | 'olmoe' | 'phimoe' | 'gpt_oss' | 'llama4_text' | 'deepseek_v3';
  /** Routed experts per token. Default: the config class's. */
  num_experts_per_tok?: number | null;
  /** Other fields of the family (see the interface comment and field-lists.ts). */
  [field: string]: unknown;
}

/** GPT-2 (`modeling_gpt2.py`): learned positions, Conv1D q/k/v/o and MLP with biases, LayerNorms, tied head. */
export interface Gpt2Config {
  /** Discriminator. */
  model_type: 'gpt2';
  /** Vocabulary size. Default 50257. */
  vocab_size?: number;
  /** Rows of the position embedding. Default 1024. */
  n_positions?: number;
  /** Hidden size. Default 768. */
  n_embd?: number;
  /** Layers. Default 12. */
  n_layer?: number;
  /** Heads. Default 12. */
  n_head?: number;
  /** MLP width; null: 4 × n_embd. Default null. */
  n_inner?: number | null;
  /** Adds a cross-attention block to every layer. Default false. */
  add_cross_attention?: boolean;
  /** lm_head shares the token embedding. Default true. */
  tie_word_embeddings?: boolean;
  /** Other fields known not to change the count (field-lists.ts). */
  [field: string]: unknown;
}

/**
 * T5 and Switch Transformers encoder-decoders (`modeling_t5.py`, `modeling_switch_transformers.py`): a
 * shared embedding, relative position bias in the first block of each stack, T5 LayerNorms (no bias),
 * `feed_forward_proj` "relu" or "gated-gelu" (T5 v1.1), and for Switch a routed FFN in every
 * `encoder_sparse_step`-th block.
 */
export interface T5Config {
  /** Discriminator. */
  model_type: 't5' | 'switch_transformers';
  /** Vocabulary size. Default 32128. */
  vocab_size?: number;
  /** Hidden size. Default 512 (T5) / 768 (Switch). */
  d_model?: number;
  /** Per-head width. Default 64. */
  d_kv?: number;
  /** Feed-forward width. Default 2048. */
  d_ff?: number;
  /** Encoder layers. Default 6 (T5) / 12 (Switch). */
  num_layers?: number;
  /** Decoder layers; null: num_layers. */
  num_decoder_layers?: number | null;
  /** Heads. Default 8 (T5) / 12 (Switch). */
  num_heads?: number;
  /** Other fields of the family (field-lists.ts). */
  [field: string]: unknown;
}

/** Mamba (`modeling_mamba.py`): in_proj, depthwise conv1d, x_proj, dt_proj, A_log, D, out_proj per layer. */
export interface MambaConfig {
  /** Discriminator. */
  model_type: 'mamba';
  /** Vocabulary size. Default 50280. */
  vocab_size?: number;
  /** Hidden size. Default 768. */
  hidden_size?: number;
  /** SSM state size N. Default 16. */
  state_size?: number;
  /** Layers. Default 32. */
  num_hidden_layers?: number;
  /** Inner width = expand × hidden_size unless intermediate_size is given. Default 2. */
  expand?: number;
  /** Other fields of the family (field-lists.ts). */
  [field: string]: unknown;
}

/** Any config the calculator understands, discriminated by `model_type`. */
export type ModelConfig =
  | BertConfig
  | AlbertConfig
  | LlamaConfig
  | MixtralConfig
  | Qwen2MoeConfig
  | DeepseekConfig
  | DeepseekV2Config
  | DenseDecoderConfig
  | MoeDecoderConfig
  | Gpt2Config
  | T5Config
  | MambaConfig;

/** Cross-layer sharing plan over the `num_hidden_layers` slots (slot i is the i-th layer a token passes); see sharing-plan.ts. */
export type { SharingPlan };

/**
 * Which modules an adapter wraps, with PEFT's matching rules: a list matches a module whose path equals
 * an entry or ends with `"." + entry`; a single string is a regular expression that must match the whole path.
 */
export type TargetModules = string[] | string;

/**
 * LoRA (`r·(in + out)` per targeted Linear, `r·(V + H)` per targeted Embedding); with `dora`, plus the
 * DoRA magnitude vector of `out` per Linear (`H` per Embedding).
 */
export interface LoraAdapter {
  /** Discriminator. */
  method: 'lora';
  /** Rank r. Required. */
  r: number;
  /**
   * Modules to wrap. Default: `["query", "value"]` (BERT/ALBERT), `["q_proj", "v_proj"]` (LLaMA family,
   * Mixtral, Qwen2-MoE); required for DeepSeek (as PEFT requires it for models it has no default for).
   */
  targetModules?: TargetModules;
  /** DoRA: add the magnitude vector (`out` per Linear, `H` per Embedding). Default false. */
  dora?: boolean;
}

/** LoHa: two Hadamard-multiplied low-rank pairs, `2r·(in + out)` per targeted Linear. */
export interface LohaAdapter {
  /** Discriminator. */
  method: 'loha';
  /** Rank r. Required. */
  r: number;
  /** Modules to wrap; same defaults as LoRA. */
  targetModules?: TargetModules;
}

/**
 * LoKr (PEFT `LoKrConfig`, Linear layers): out = a·b and in = c·d by PEFT's `factorization`; W = kron(W1, W2)
 * with W1 (a×c) full unless `decomposeBoth` and r < max(a, c)/2 (then r·(a + c)), W2 (b×d) full when
 * r ≥ max(b, d)/2, else r·(b + d).
 */
export interface LokrAdapter {
  /** Discriminator. */
  method: 'lokr';
  /** Rank r. Required. */
  r: number;
  /** Modules to wrap; same defaults as LoRA. */
  targetModules?: TargetModules;
  /** Also factorize W1 when r is small. Default false. */
  decomposeBoth?: boolean;
  /** PEFT `decompose_factor`; -1 factorizes near the square root. Default -1. */
  decomposeFactor?: number;
}

/**
 * (IA)³: one learned scaling vector per targeted Linear, of length `out`, or `in` for a feed-forward module.
 */
export interface Ia3Adapter {
  /** Discriminator. */
  method: 'ia3';
  /**
   * Modules to wrap. Default: `["key", "value", "output.dense"]` (BERT), `["k_proj", "v_proj", "down_proj"]`
   * (llama, mistral, qwen2); required otherwise.
   */
  targetModules?: TargetModules;
  /**
   * Which targets are feed-forward (their vector scales the input): a list matches by plain path suffix
   * (PEFT's rule for this field), a string as a full regex. Default: `["output.dense"]` / `["down_proj"]`
   * with the default targets, else [].
   */
  feedforwardModules?: TargetModules;
}

/**
 * An adapter of another registered method (`registerAdapterCount`; @weft/sharing registers the count
 * of every method it has one for, e.g. `residual`, `mos`): its own options, named as in its Weft config.
 */
export interface RegisteredAdapter {
  /** Registered method name. */
  method: string;
  /** Modules to wrap; required unless the method declares defaults for the model type. */
  targetModules?: TargetModules;
  /** The method's options. */
  [option: string]: unknown;
}

/** Any adapter the calculator counts. The base model is frozen when one is attached. */
export type AdapterConfig = LoraAdapter | LohaAdapter | LokrAdapter | Ia3Adapter | RegisteredAdapter;

/** Options of a count. */
export interface CountOptions {
  /** Head to count. Default `'none'` for encoders (AutoModel), `'lm'` for decoders (ForCausalLM). */
  head?: HeadKind;
  /** Encoders: include the pooler (`Linear(H, H)` with bias). Default true, except false with `head: 'lm'`. */
  pooler?: boolean;
  /** Labels of a `'classifier'` head. Default 2. */
  numLabels?: number;
  /** Cross-layer sharing plan (not for ALBERT, which shares through its own config). Default `'none'`. */
  sharing?: SharingPlan;
  /**
   * A plan over the layers' dense feed-forward modules only (MobiLlama, arXiv:2402.16840: `'all-shared'`,
   * one FFN for every layer); attention and norms stay per layer. Needs `sharing` 'none'. Default: none.
   */
  ffnSharing?: SharingPlan;
  /**
   * A plan over the MoE layers' routed expert banks (Megrez2, arXiv:2507.17728: `{ name: 'block-repeat', repeat: 3 }`,
   * adjacent layers reuse one bank); routers, shared experts and attention stay per layer. Needs `sharing` 'none'. Default: none.
   */
  expertSharing?: SharingPlan;
  /** Adapter to attach; when set, only its parameters are trainable. Default: none. */
  adapter?: AdapterConfig;
}

/** One row of the breakdown table. Rows with the same component and name are summed. */
export interface BreakdownRow {
  /** What the row belongs to. */
  component: ParamComponent;
  /** Human-readable name, e.g. `"self-attention (q/k/v/o)"`. */
  name: string;
  /** Unique parameters held in memory. */
  stored: number;
  /** Parameters counted once per use (a block shared by 12 slots, or a tied matrix used twice, counts every use). */
  effective: number;
  /** Parameters that train (adapter parameters only when an adapter is attached). */
  trainable: number;
  /** Parameters one token passes through, counted per use, with only k routed experts per MoE layer (a head tied to the embedding counts once). */
  activePerToken: number;
}

/** Summary of an attached adapter. */
export interface AdapterSummary {
  /** Method name. */
  method: string;
  /** Number of distinct modules wrapped (each routed expert's Linear counts once). */
  targetedModules: number;
  /** Adapter parameters stored. */
  params: number;
}

/** The result of a count: a breakdown table and totals, all exact integers. */
export interface ParamReport {
  /** The config's `model_type`. */
  modelType: SupportedModelType;
  /** Architecture family. */
  family: ModelFamily;
  /** Head counted. */
  head: HeadKind;
  /** Layer slots (`num_hidden_layers`; for ALBERT, `num_hidden_layers × inner_group_num` layer applications). */
  slots: number;
  /** Distinct layer blocks stored. */
  uniqueBlocks: number;
  /** Breakdown rows in model order. */
  rows: BreakdownRow[];
  /** Base-model parameters as transformers' `num_parameters()` counts them (unique, no adapter). */
  total: number;
  /** Unique parameters in memory: `total` plus adapter parameters. */
  stored: number;
  /** Parameters counted once per use. */
  effective: number;
  /** Trainable parameters: the adapter's when one is attached, otherwise `stored`. */
  trainable: number;
  /**
   * Parameters one token passes through, counted per use: everything except the routed experts, plus k
   * routed experts per MoE layer. Embedding tables count in full (the usual convention, e.g. Mixtral's 12.9B);
   * an output head tied to the input embedding counts once with it (a dense tied model's active is its total).
   */
  activePerToken: number;
  /** Bytes of `stored` at each precision (`int4`: ⌈n/2⌉). */
  bytes: Record<ParamPrecision, number>;
  /** The attached adapter, or null. */
  adapter: AdapterSummary | null;
  /** Parameters of the input token embedding (`get_input_embeddings()`; T5's `shared`, GPT-2's `wte`). */
  inputEmbedding: number;
  /**
   * `total − inputEmbedding −` an untied `lm_head`: the "non-embedding" count model cards quote (Qwen2.5/3,
   * Gemma); a tied head is the embedding and is not subtracted twice.
   */
  nonEmbedding: number;
  /** The largest single weight tensor (routed experts stacked `[E, in, out]`, as Weft stores them). */
  largestTensor: { path: string; params: number };
  /**
   * DeepSeek-V3's multi-token-prediction modules (`num_nextn_predict_layers`), which transformers does not
   * build and the model card quotes apart: `params` unique to them (norms, `eh_proj`, one decoder layer),
   * `withSharedCopies` adding the embedding and head the checkpoint stores again for them, `activePerToken`
   * (k routed experts). Null for other models.
   */
  mtp: { params: number; withSharedCopies: number; activePerToken: number } | null;
}

// Which config.json fields each model_type may have. A field is either read (it can change the
// parameter count, and validate.ts checks and uses it) or listed here as known not to change it
// (dropout rates, epsilons, rotary settings, token ids, generation defaults, router loss weights,
// attention windows…). Any other field is refused with its name: a field the calculator does not
// understand could change the count, and a silently wrong count is worse than an error. The lists
// follow the configuration classes of transformers (`configuration_<model>.py`, v4.40–v5) and the
// fields their published config.json files carry from older versions (`rope_theta`, `torch_dtype`…).

import type { SupportedModelType } from './types.js';

/** Fields of transformers' `PretrainedConfig` and the Hub's tooling that never change a count. */
const COMMON = [
  'model_type', 'architectures', 'transformers_version', '_name_or_path', 'name_or_path', 'auto_map', 'dtype', 'torch_dtype',
  'use_bfloat16', 'output_hidden_states', 'output_attentions', 'return_dict', 'torchscript', 'chunk_size_feed_forward',
  'is_encoder_decoder', 'is_decoder', 'cross_attention_hidden_size', 'tie_encoder_decoder', 'id2label', 'label2id', 'num_labels',
  'problem_type', '_num_labels', 'output_past', 'unsloth_fixed', 'unsloth_version', 'finetuning_task', 'task_specific_params', 'tokenizer_class', 'prefix', 'pad_token_id', 'bos_token_id', 'eos_token_id',
  'sep_token_id', 'decoder_start_token_id', 'use_cache', 'initializer_range', 'initializer_factor', 'max_length', 'min_length',
  'do_sample', 'early_stopping', 'num_beams', 'num_beam_groups', 'diversity_penalty', 'temperature', 'top_k', 'top_p', 'typical_p',
  'repetition_penalty', 'length_penalty', 'no_repeat_ngram_size', 'encoder_no_repeat_ngram_size', 'bad_words_ids',
  'num_return_sequences', 'output_scores', 'return_dict_in_generate', 'forced_bos_token_id', 'forced_eos_token_id',
  'remove_invalid_values', 'exponential_decay_length_penalty', 'suppress_tokens', 'begin_suppress_tokens', 'tf_legacy_loss',
  'gradient_checkpointing', 'quantization_config', '_attn_implementation', '_attn_implementation_autoset', 'attn_implementation',
  '_commit_hash', 'pretraining_tp', 'max_position_embeddings', 'hidden_act', 'hidden_activation', 'attention_dropout',
  'rope_theta', 'rope_scaling', 'rope_parameters', 'partial_rotary_factor', 'rms_norm_eps', 'layer_norm_eps', 'layer_norm_epsilon',
  'classifier_dropout', 'output_router_logits', 'router_aux_loss_coef', 'router_z_loss_coef', 'router_jitter_noise', 'norm_topk_prob',
  'sliding_window', 'use_sliding_window', 'max_window_layers', 'layer_types', 'pruned_heads', 'add_cross_attention',
  'use_flash_attn', 'use_flash_attention_2', 'fused_mlp', 'pretrained_config_archive_map',
  // Dropout rates under every name the configuration classes use.
  'hidden_dropout', 'hidden_dropout_prob', 'attention_probs_dropout_prob', 'resid_pdrop', 'embd_pdrop', 'attn_pdrop', 'dropout',
  'dropout_rate', 'activation_dropout',
] as const;

const DENSE_DECODER = ['vocab_size', 'hidden_size', 'num_hidden_layers', 'num_attention_heads', 'intermediate_size', 'num_key_value_heads', 'head_dim', 'tie_word_embeddings'];

/** Per model_type: `read` fields change the count; `ignored` fields are known not to. */
export const FIELD_LISTS: Record<SupportedModelType, { read: readonly string[]; ignored: readonly string[] }> = {
  bert: {
    read: ['vocab_size', 'hidden_size', 'num_hidden_layers', 'num_attention_heads', 'intermediate_size', 'max_position_embeddings', 'type_vocab_size', 'tie_word_embeddings', 'position_embedding_type'],
    ignored: ['hidden_dropout_prob', 'attention_probs_dropout_prob', 'directionality', 'pooler_fc_size', 'pooler_num_attention_heads', 'pooler_num_fc_layers', 'pooler_size_per_head', 'pooler_type'],
  },
  albert: {
    read: ['vocab_size', 'hidden_size', 'num_hidden_layers', 'num_attention_heads', 'intermediate_size', 'embedding_size', 'num_hidden_groups', 'inner_group_num', 'max_position_embeddings', 'type_vocab_size', 'tie_word_embeddings', 'position_embedding_type'],
    ignored: ['hidden_dropout_prob', 'attention_probs_dropout_prob', 'classifier_dropout_prob', 'net_structure_type', 'gap_size', 'num_memory_blocks', 'down_scale_factor'],
  },
  // is_llama_config and rope_interleaved: nanotron's exports (SmolLM2); a flag and a rotary layout.
  llama: { read: [...DENSE_DECODER, 'attention_bias', 'mlp_bias'], ignored: ['is_llama_config', 'rope_interleaved'] },
  mistral: { read: DENSE_DECODER, ignored: [] },
  qwen2: { read: DENSE_DECODER, ignored: ['use_mrope'] },
  qwen3: { read: [...DENSE_DECODER, 'attention_bias'], ignored: [] },
  mixtral: { read: [...DENSE_DECODER, 'num_local_experts', 'num_experts_per_tok'], ignored: [] },
  qwen2_moe: {
    read: [...DENSE_DECODER, 'num_experts', 'num_experts_per_tok', 'moe_intermediate_size', 'shared_expert_intermediate_size', 'decoder_sparse_step', 'mlp_only_layers', 'qkv_bias'],
    ignored: [],
  },
  qwen3_moe: {
    read: [...DENSE_DECODER, 'num_experts', 'num_local_experts', 'num_experts_per_tok', 'moe_intermediate_size', 'decoder_sparse_step', 'mlp_only_layers', 'attention_bias'],
    ignored: [],
  },
  deepseek: {
    read: [...DENSE_DECODER, 'n_routed_experts', 'n_shared_experts', 'num_experts_per_tok', 'moe_intermediate_size', 'first_k_dense_replace', 'moe_layer_freq', 'attention_bias'],
    ignored: ['scoring_func', 'aux_loss_alpha', 'seq_aux', 'topk_method', 'n_group', 'topk_group', 'routed_scaling_factor', 'ep_size'],
  },
  deepseek_v2: {
    read: ['vocab_size', 'hidden_size', 'num_hidden_layers', 'num_attention_heads', 'intermediate_size', 'tie_word_embeddings', 'n_routed_experts', 'n_shared_experts', 'num_experts_per_tok', 'moe_intermediate_size', 'first_k_dense_replace', 'moe_layer_freq', 'q_lora_rank', 'kv_lora_rank', 'qk_nope_head_dim', 'qk_rope_head_dim', 'v_head_dim', 'attention_bias', 'mlp_bias'],
    // num_key_value_heads and head_dim exist on the config class but MLA does not use them.
    ignored: ['num_key_value_heads', 'head_dim', 'qk_head_dim', 'scoring_func', 'aux_loss_alpha', 'seq_aux', 'topk_method', 'n_group', 'topk_group', 'routed_scaling_factor', 'ep_size', 'rope_interleave'],
  },
  deepseek_v3: {
    read: ['vocab_size', 'hidden_size', 'num_hidden_layers', 'num_attention_heads', 'intermediate_size', 'tie_word_embeddings', 'n_routed_experts', 'num_local_experts', 'n_shared_experts', 'num_experts_per_tok', 'moe_intermediate_size', 'first_k_dense_replace', 'moe_layer_freq', 'q_lora_rank', 'kv_lora_rank', 'qk_nope_head_dim', 'qk_rope_head_dim', 'v_head_dim', 'attention_bias', 'num_nextn_predict_layers'],
    ignored: ['num_key_value_heads', 'head_dim', 'qk_head_dim', 'scoring_func', 'aux_loss_alpha', 'seq_aux', 'topk_method', 'n_group', 'topk_group', 'routed_scaling_factor', 'ep_size', 'rope_interleave'],
  },
  gemma2: {
    read: [...DENSE_DECODER, 'attention_bias'],
    // sliding_window_size: the older name of sliding_window in gemma-2-9b/27b's config.json.
    ignored: ['query_pre_attn_scalar', 'final_logit_softcapping', 'attn_logit_softcapping', 'cache_implementation', 'use_bidirectional_attention', 'sliding_window_size'],
  },
  gemma3_text: {
    read: [...DENSE_DECODER, 'attention_bias'],
    ignored: ['query_pre_attn_scalar', 'final_logit_softcapping', 'attn_logit_softcapping', 'cache_implementation', 'sliding_window_pattern', '_sliding_window_pattern', 'rope_local_base_freq', 'use_bidirectional_attention'],
  },
  phi3: {
    // attention_bias, mlp_bias, lm_head_bias: Phi-3/3.5/4-mini configs carry them as false; Phi-3 has no such
    // biases, so true is refused (validate.ts). full_attn_mod, interpolate_factor: Phi-4-mini's attention/rotary settings.
    read: [...DENSE_DECODER, 'attention_bias', 'mlp_bias', 'lm_head_bias'],
    ignored: ['resid_pdrop', 'embd_pdrop', 'original_max_position_embeddings', 'full_attn_mod', 'interpolate_factor'],
  },
  phimoe: {
    read: [...DENSE_DECODER, 'num_local_experts', 'num_experts_per_tok', 'attention_bias', 'lm_head_bias'],
    ignored: ['input_jitter_noise', 'original_max_position_embeddings'],
  },
  olmoe: {
    read: [...DENSE_DECODER, 'num_experts', 'num_local_experts', 'num_experts_per_tok', 'attention_bias'],
    ignored: ['clip_qkv'],
  },
  llama4_text: {
    read: [...DENSE_DECODER, 'intermediate_size_mlp', 'num_local_experts', 'num_experts_per_tok', 'moe_layers', 'interleave_moe_layer_step', 'attention_bias'],
    // use_qk_norm is an L2 norm without weights; no_rope_layers and attention chunks change no weight.
    ignored: ['use_qk_norm', 'no_rope_layers', 'no_rope_layer_interval', 'attention_chunk_size', 'attn_temperature_tuning', 'floor_scale', 'attn_scale', 'for_llm_compressor', 'cache_implementation'],
  },
  gpt_oss: {
    read: [...DENSE_DECODER, 'num_local_experts', 'num_experts', 'num_experts_per_tok', 'attention_bias'],
    ignored: ['swiglu_limit', 'experts_per_token', 'initial_context_length'],
  },
  gpt2: {
    // n_special (OpenAI GPT's extra token rows, 0 in gpt2-medium/large's config.json) is read and must be 0.
    read: ['vocab_size', 'n_positions', 'n_embd', 'n_layer', 'n_head', 'n_inner', 'tie_word_embeddings', 'add_cross_attention', 'hidden_size', 'num_hidden_layers', 'num_attention_heads', 'n_special'],
    ignored: ['predict_special_tokens', 'n_ctx', 'activation_function', 'resid_pdrop', 'embd_pdrop', 'attn_pdrop', 'summary_type', 'summary_use_proj', 'summary_activation', 'summary_proj_to_labels', 'summary_first_dropout', 'scale_attn_weights', 'scale_attn_by_inverse_layer_idx', 'reorder_and_upcast_attn', 'gradient_checkpointing'],
  },
  t5: {
    read: ['vocab_size', 'd_model', 'd_kv', 'd_ff', 'num_layers', 'num_decoder_layers', 'num_heads', 'relative_attention_num_buckets', 'feed_forward_proj', 'is_gated_act', 'tie_word_embeddings', 'hidden_size', 'num_hidden_layers', 'num_attention_heads'],
    ignored: ['relative_attention_max_distance', 'dropout_rate', 'dense_act_fn', 'n_positions', 'output_past', 'scale_decoder_outputs'],
  },
  switch_transformers: {
    read: ['vocab_size', 'd_model', 'd_kv', 'd_ff', 'num_layers', 'num_decoder_layers', 'num_heads', 'relative_attention_num_buckets', 'num_experts', 'num_sparse_encoder_layers', 'num_sparse_decoder_layers', 'encoder_sparse_step', 'decoder_sparse_step', 'router_bias', 'tie_word_embeddings', 'hidden_size', 'num_hidden_layers', 'num_attention_heads'],
    // router_type: switch-base-*'s config.json ("tokens_masked"); every router type has the same Linear(d_model, E).
    ignored: ['router_type', 'relative_attention_max_distance', 'dropout_rate', 'dense_act_fn', 'expert_capacity', 'router_dtype', 'router_ignore_padding_tokens', 'add_router_probs', 'batch_prioritized_routing', 'num_selected_experts', 'feed_forward_proj', 'is_gated_act'],
  },
  mamba: {
    // d_model, n_layer, d_inner, ssm_cfg: the mamba_ssm names that the -hf checkpoints keep; transformers reads
    // hidden_size, num_hidden_layers and intermediate_size, so the old names must agree with them (mamba.ts).
    read: ['vocab_size', 'hidden_size', 'state_size', 'num_hidden_layers', 'expand', 'intermediate_size', 'conv_kernel', 'use_bias', 'use_conv_bias', 'time_step_rank', 'tie_word_embeddings', 'd_model', 'n_layer', 'd_inner', 'ssm_cfg'],
    ignored: ['residual_in_fp32', 'time_step_scale', 'time_step_min', 'time_step_max', 'time_step_init_scheme', 'time_step_floor', 'rescale_prenorm_residual', 'use_mambapy', 'use_associative_scan', 'fused_add_norm', 'pad_vocab_size_multiple', 'rms_norm', 'residual_in_fp32'],
  },
};

/** Fields of any model_type that change no count (shown in error messages). */
export const COMMON_IGNORED_FIELDS: readonly string[] = COMMON;

/**
 * The first own key of `obj` that the calculator neither reads nor knows to be count-neutral for
 * `modelType`, with the names it does know (for a did-you-mean hint), or null.
 */
export function unknownField(obj: Record<string, unknown>, modelType: SupportedModelType): { key: string; known: string[] } | null {
  const lists = FIELD_LISTS[modelType];
  const known = new Set<string>([...COMMON, ...lists.read, ...lists.ignored]);
  for (const key of Object.keys(obj)) {
    if (!known.has(key)) return { key, known: [...lists.read, ...lists.ignored] };
  }
  return null;
}

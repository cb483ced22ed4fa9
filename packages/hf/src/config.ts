// Reading a transformers `config.json` into the spec Weft builds a model from. Every field is either
// read (it changes the computation, and is honoured), refused unless it has the value Weft computes
// with, or listed as not affecting the forward pass with the reason; an unknown field is refused by
// name, so nothing that changes the computation is silently given a default.
import { describeValue, nearestName, ropeParameters, type ActivationName, type RotaryConfig } from '@weft/core';

/** The `model_type`s Weft loads. */
export const HF_MODEL_TYPES = ['llama', 'mistral', 'qwen2', 'qwen3', 'mixtral', 'qwen2_moe', 'qwen3_moe', 'olmoe', 'gpt2', 'bert'] as const;
/** A `model_type` Weft loads. */
export type HfModelType = (typeof HF_MODEL_TYPES)[number];

/** The routed-experts part of a decoder spec (Mixtral, Qwen-MoE, OLMoE). */
export interface MoESpec {
  /** Routed experts E. */
  numExperts: number;
  /** Experts per token k. */
  topK: number;
  /** Renormalise the k kept router probabilities (`norm_topk_prob`; Mixtral always). */
  normTopK: boolean;
  /** Hidden width of each expert. */
  hidden: number;
  /** Hidden width of Qwen2-MoE's sigmoid-gated shared expert, or 0. */
  sharedHidden: number;
  /** Per layer: whether its MLP is an MoE block (`decoder_sparse_step`, `mlp_only_layers`). */
  sparseLayers: boolean[];
  /** Weight of the load-balancing loss in training (`router_aux_loss_coef` when `output_router_logits`, else 0). */
  auxLossWeight: number;
}

/** A decoder-only causal LM (the LLaMA family and its MoE relatives). */
export interface DecoderSpec {
  kind: 'decoder';
  modelType: HfModelType;
  vocabSize: number;
  hidden: number;
  numLayers: number;
  numHeads: number;
  numKVHeads: number;
  headDim: number;
  /** Hidden width of the dense MLPs. */
  intermediate: number;
  activation: ActivationName;
  rmsEps: number;
  rope: RotaryConfig;
  /** cos/sin multiplier of the rope type at init (transformers' attention_scaling: 1 except for yarn and longrope). */
  ropeAttentionScaling: number;
  tieEmbeddings: boolean;
  /** Biases of q, k, v and of o. */
  qkvBias: boolean;
  oBias: boolean;
  mlpBias: boolean;
  /** RMSNorm on q and k: per head over head_dim (Qwen3) or over the whole projection (OLMoE), or none. */
  qkNorm: 'head' | 'full' | null;
  /** Clamp q, k, v to ±clip (OLMoE `clip_qkv`), or null. */
  clipQkv: number | null;
  /** Per layer: its sliding window, or null for full attention. */
  slidingWindows: Array<number | null>;
  attentionDropout: number;
  maxPositions: number;
  moe: MoESpec | null;
}

/** GPT-2 (learned positions, LayerNorm, Conv1D weights [in, out], tied head). */
export interface Gpt2Spec {
  kind: 'gpt2';
  modelType: 'gpt2';
  vocabSize: number;
  hidden: number;
  numLayers: number;
  numHeads: number;
  inner: number;
  maxPositions: number;
  activation: ActivationName;
  eps: number;
  /** Divide scores by √head_dim (`scale_attn_weights`). */
  scaleAttnWeights: boolean;
  /** Also divide scores by layer index + 1 (`scale_attn_by_inverse_layer_idx`). */
  scaleByInverseLayerIdx: boolean;
  tieEmbeddings: boolean;
  embdDropout: number;
  attnDropout: number;
  residDropout: number;
}

/** BERT's encoder (BertModel: embeddings, post-norm layers, tanh pooler). */
export interface BertSpec {
  kind: 'bert';
  modelType: 'bert';
  vocabSize: number;
  hidden: number;
  numLayers: number;
  numHeads: number;
  intermediate: number;
  maxPositions: number;
  typeVocabSize: number;
  activation: ActivationName;
  eps: number;
  hiddenDropout: number;
  attnDropout: number;
}

/** What Weft builds from a config.json. */
export type ModelSpec = DecoderSpec | Gpt2Spec | BertSpec;

/** A config.json refused: the message names the file and the field. */
export class HfConfigError extends Error {
  constructor(message: string) {
    super(`config.json: ${message}`);
    this.name = 'HfConfigError';
  }
}

/** Fields that do not change the forward pass or its gradients, with the reason (reported by the loader). */
export const NOT_COMPUTED: Record<string, string> = {
  architectures: 'the class name; model_type chooses the model',
  model_type: 'read to choose the model',
  dtype: 'Weft computes in float32 (weights are converted when loaded)',
  torch_dtype: 'Weft computes in float32 (weights are converted when loaded)',
  transformers_version: 'provenance only',
  _name_or_path: 'provenance only',
  initializer_range: 'initialisation only (weights come from the file)',
  use_cache: 'an inference switch; decoding here always caches',
  bos_token_id: 'a token id for generation',
  eos_token_id: 'default stop tokens of generate()',
  pad_token_id: "PyTorch's padding_idx only zeroes that embedding row's gradient; the pad row is trained here if the embedding is",
  decoder_start_token_id: 'a token id for generation',
  sep_token_id: 'a token id for generation',
  pretraining_tp: 'tensor-parallel slicing of the same products (transformers 4 only)',
  output_attentions: 'what the Python model returns',
  output_hidden_states: 'what the Python model returns',
  return_dict: 'what the Python model returns',
  id2label: 'labels of a classification head (not loaded)',
  label2id: 'labels of a classification head (not loaded)',
  num_labels: 'a classification head (not loaded)',
  problem_type: 'a classification head (not loaded)',
  classifier_dropout: 'a classification head (not loaded)',
  tokenizer_class: 'tokenizer.json is read instead',
  task_specific_params: 'generation presets',
  gradient_checkpointing: 'memory/speed trade-off, same values',
  max_window_layers: 'read through layer_types (or sliding_window with use_sliding_window)',
  summary_type: "GPT2DoubleHeadsModel's head (not loaded)",
  summary_use_proj: "GPT2DoubleHeadsModel's head (not loaded)",
  summary_activation: "GPT2DoubleHeadsModel's head (not loaded)",
  summary_proj_to_labels: "GPT2DoubleHeadsModel's head (not loaded)",
  summary_first_dropout: "GPT2DoubleHeadsModel's head (not loaded)",
  reorder_and_upcast_attn: 'float32 here throughout, so upcasting changes nothing',
  n_ctx: 'the same as n_positions',
  is_llama_config: "a marker in SmolLM's configs",
  'transformers.js_config': "transformers.js's download settings",
  _attn_implementation_autoset: 'which attention kernel PyTorch uses, same values',
  attn_implementation: 'which attention kernel PyTorch uses, same values',
  chunk_size_feed_forward: 'memory/speed trade-off, same values',
  torchscript: 'a PyTorch export switch',
};

/** The class defaults transformers 5 uses when a field is missing (only fields with a default). */
const DEFAULTS: Partial<Record<HfModelType, Record<string, unknown>>> = {
  llama: { tie_word_embeddings: false, attention_bias: false, mlp_bias: false, hidden_act: 'silu', rms_norm_eps: 1e-6, attention_dropout: 0 },
  mistral: { tie_word_embeddings: false, hidden_act: 'silu', rms_norm_eps: 1e-6, attention_dropout: 0, sliding_window: 4096 },
  qwen2: { tie_word_embeddings: false, hidden_act: 'silu', rms_norm_eps: 1e-6, attention_dropout: 0, use_sliding_window: false, sliding_window: 4096, max_window_layers: 28 },
  qwen3: { tie_word_embeddings: false, attention_bias: false, hidden_act: 'silu', rms_norm_eps: 1e-6, attention_dropout: 0, use_sliding_window: false, sliding_window: 4096, max_window_layers: 28 },
  mixtral: { tie_word_embeddings: false, hidden_act: 'silu', rms_norm_eps: 1e-5, attention_dropout: 0, router_jitter_noise: 0, output_router_logits: false, router_aux_loss_coef: 0.001 },
  qwen2_moe: { tie_word_embeddings: false, hidden_act: 'silu', rms_norm_eps: 1e-6, attention_dropout: 0, use_sliding_window: false, sliding_window: 4096, max_window_layers: 28, decoder_sparse_step: 1, norm_topk_prob: false, mlp_only_layers: [], qkv_bias: true, output_router_logits: false, router_aux_loss_coef: 0.001 },
  qwen3_moe: { tie_word_embeddings: false, attention_bias: false, hidden_act: 'silu', rms_norm_eps: 1e-6, attention_dropout: 0, use_sliding_window: false, sliding_window: 4096, max_window_layers: 28, decoder_sparse_step: 1, norm_topk_prob: false, mlp_only_layers: [], output_router_logits: false, router_aux_loss_coef: 0.001 },
  olmoe: { tie_word_embeddings: false, attention_bias: false, hidden_act: 'silu', rms_norm_eps: 1e-5, attention_dropout: 0, clip_qkv: null, norm_topk_prob: false, output_router_logits: false, router_aux_loss_coef: 0.01 },
  gpt2: { tie_word_embeddings: true, activation_function: 'gelu_new', layer_norm_epsilon: 1e-5, scale_attn_weights: true, scale_attn_by_inverse_layer_idx: false, n_inner: null, embd_pdrop: 0.1, attn_pdrop: 0.1, resid_pdrop: 0.1, add_cross_attention: false },
  bert: { hidden_act: 'gelu', layer_norm_eps: 1e-12, type_vocab_size: 2, hidden_dropout_prob: 0.1, attention_probs_dropout_prob: 0.1, position_embedding_type: 'absolute', is_decoder: false, add_cross_attention: false },
};

/** transformers' ACT2FN names → Weft activations. */
const ACTIVATIONS: Record<string, ActivationName> = {
  silu: 'silu', swish: 'silu', gelu: 'gelu', gelu_new: 'gelu_tanh', gelu_pytorch_tanh: 'gelu_tanh', gelu_fast: 'gelu_tanh', relu: 'relu', tanh: 'tanh',
};

/** Reads fields of one config object, recording which were read. */
class Reader {
  readonly read = new Set<string>(['model_type']);
  constructor(readonly j: Record<string, unknown>, readonly type: HfModelType) {}

  has(key: string): boolean {
    return Object.hasOwn(this.j, key) && this.j[key] !== undefined;
  }

  /** The field's value, or the model type's default; `undefined` when neither. */
  raw(key: string): unknown {
    this.read.add(key);
    if (this.has(key)) return this.j[key];
    const d = DEFAULTS[this.type];
    return d && Object.hasOwn(d, key) ? d[key] : undefined;
  }

  int(key: string, min = 1): number {
    const v = this.raw(key);
    if (v === undefined || v === null) throw new HfConfigError(`missing field ${key} (an integer ≥ ${min}) for model_type "${this.type}"`);
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw new HfConfigError(`${key}=${describeValue(v)} must be an integer ≥ ${min}`);
    return v;
  }

  intOr(key: string, fallback: number, min = 1): number {
    const v = this.raw(key);
    return v === undefined || v === null ? fallback : this.int(key, min);
  }

  num(key: string, min = 0, max = Infinity): number {
    const v = this.raw(key);
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
      throw new HfConfigError(`${key}=${describeValue(v)} must be a number in [${min}, ${max}]${v === undefined ? ' (missing)' : ''}`);
    }
    return v;
  }

  bool(key: string): boolean {
    const v = this.raw(key);
    if (typeof v !== 'boolean') throw new HfConfigError(`${key}=${describeValue(v)} must be true or false${v === undefined ? ' (missing)' : ''}`);
    return v;
  }

  /** Refuse the field unless it holds `allowed` (a value Weft computes with). */
  only(key: string, allowed: unknown[], why: string): void {
    const v = this.raw(key);
    if (v === undefined) return;
    if (!allowed.includes(v)) {
      throw new HfConfigError(`${key}=${describeValue(v)} is not supported (${why}); allowed: ${allowed.map((a) => describeValue(a)).join(', ')}`);
    }
  }

  activation(key: string): ActivationName {
    const v = this.raw(key);
    const a = typeof v === 'string' && Object.hasOwn(ACTIVATIONS, v) ? ACTIVATIONS[v] : undefined;
    if (!a) throw new HfConfigError(`${key}=${describeValue(v)} is not supported; allowed: ${Object.keys(ACTIVATIONS).join(', ')}`);
    return a;
  }

  /** Every field must have been read or be in {@link NOT_COMPUTED}; returns the fields not computed with. */
  finish(): string[] {
    const ignored: string[] = [];
    for (const k of Object.keys(this.j)) {
      if (this.read.has(k)) continue;
      if (Object.hasOwn(NOT_COMPUTED, k)) {
        ignored.push(k);
        continue;
      }
      if (/_dropout$|_pdrop$|dropout_prob$/.test(k)) {
        throw new HfConfigError(`field ${k} is a dropout Weft does not apply in model_type "${this.type}"`);
      }
      const near = nearestName(k, [...this.read, ...Object.keys(NOT_COMPUTED)]);
      throw new HfConfigError(
        `field ${k}=${describeValue(this.j[k])} is not known to Weft's "${this.type}" loader${near ? ` (did you mean ${near}?)` : ''}; it may change the computation, so the model is refused`,
      );
    }
    return ignored;
  }
}

/** The rope config of a decoder: transformers 5's `rope_parameters`, or 4's `rope_theta` + `rope_scaling`. */
function readRope(r: Reader, headDim: number): RotaryConfig {
  let p: unknown = r.raw('rope_parameters');
  const where = p === undefined || p === null ? 'rope_scaling' : 'rope_parameters';
  if (p === undefined || p === null) {
    const scaling = r.raw('rope_scaling');
    const theta = r.raw('rope_theta') ?? 10000;
    p = { rope_theta: theta, ...(scaling && typeof scaling === 'object' ? (scaling as object) : {}) };
    if (scaling !== undefined && scaling !== null && (typeof scaling !== 'object' || Array.isArray(scaling))) {
      throw new HfConfigError(`rope_scaling=${describeValue(scaling)} must be an object or null`);
    }
  } else r.raw('rope_theta');
  if (typeof p !== 'object' || p === null || Array.isArray(p)) throw new HfConfigError(`rope_parameters=${describeValue(p)} must be an object`);
  const o = p as Record<string, unknown>;
  const type = o['rope_type'] ?? o['type'] ?? 'default';
  // The fields each rope_type reads (transformers 5's modeling_rope_utils); others set are refused by name.
  const fields: Record<string, string[]> = {
    default: [],
    linear: ['factor'],
    dynamic: ['factor'],
    yarn: ['factor', 'original_max_position_embeddings', 'attention_factor', 'beta_fast', 'beta_slow', 'truncate', 'mscale', 'mscale_all_dim'],
    longrope: ['factor', 'original_max_position_embeddings', 'attention_factor', 'short_factor', 'long_factor'],
    llama3: ['factor', 'low_freq_factor', 'high_freq_factor', 'original_max_position_embeddings'],
  };
  if (typeof type !== 'string' || !Object.hasOwn(fields, type)) {
    throw new HfConfigError(`${where}.rope_type=${describeValue(type)} is not supported; allowed: ${Object.keys(fields).map((f) => `"${f}"`).join(', ')}`);
  }
  const known = new Set(['rope_type', 'type', 'rope_theta', 'partial_rotary_factor', ...Object.values(fields).flat()]);
  for (const k of Object.keys(o)) {
    if (!known.has(k)) throw new HfConfigError(`${where}.${k}=${describeValue(o[k])} is not supported (Weft reads ${[...known].join(', ')})`);
    if (!['rope_type', 'type', 'rope_theta', 'partial_rotary_factor', ...fields[type]!].includes(k) && o[k] !== undefined && o[k] !== null) {
      throw new HfConfigError(`${where}.${k} is set but rope_type is "${type}", which does not use it`);
    }
  }
  const num = (k: string, fallback?: number): number | undefined => {
    const v = o[k] ?? fallback;
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new HfConfigError(`${where}.${k}=${describeValue(v)} must be a number > 0`);
    return v;
  };
  // SmolLM writes rope_interleaved: false (rotate-half, transformers' only form); true pairs neighbours.
  const interleaved = r.raw('rope_interleaved');
  if (interleaved !== undefined && interleaved !== false) throw new HfConfigError(`rope_interleaved=${describeValue(interleaved)} is not supported (transformers' llama rotates halves; only false)`);
  const partial = num('partial_rotary_factor', 1);
  if (partial !== 1) throw new HfConfigError(`${where}.partial_rotary_factor=${partial} is not supported (Weft rotates the whole head)`);
  const theta = num('rope_theta', 10000)!;
  const maxPositions = r.int('max_position_embeddings');
  if (type === 'default') return { dim: headDim, theta };
  if (type === 'linear') return { dim: headDim, theta, scaling: 'linear', factor: num('factor') ?? missing(`${where}.factor`) };
  if (type === 'dynamic') return { dim: headDim, theta, scaling: 'dynamic', factor: num('factor') ?? missing(`${where}.factor`), maxPositions };
  if (type === 'llama3') {
    return {
      dim: headDim, theta, scaling: 'llama3',
      factor: num('factor') ?? missing(`${where}.factor`),
      lowFreqFactor: num('low_freq_factor') ?? missing(`${where}.low_freq_factor`),
      highFreqFactor: num('high_freq_factor') ?? missing(`${where}.high_freq_factor`),
      originalMaxPositions: num('original_max_position_embeddings') ?? missing(`${where}.original_max_position_embeddings`),
    };
  }
  // yarn and longrope: an unset factor is max_position_embeddings / original_max_position_embeddings,
  // an unset original_max_position_embeddings is max_position_embeddings (transformers 5).
  const common = { dim: headDim, theta, maxPositions, factor: num('factor'), originalMaxPositions: num('original_max_position_embeddings'), attentionFactor: num('attention_factor') };
  if (type === 'yarn') {
    const truncate = o['truncate'];
    if (truncate !== undefined && truncate !== null && typeof truncate !== 'boolean') throw new HfConfigError(`${where}.truncate=${describeValue(truncate)} must be true or false`);
    // transformers reads `beta_fast or 32`, `mscale and mscale_all_dim`: a 0 counts as unset, so 0 is allowed here.
    const opt = (k: string): number | undefined => (o[k] === 0 ? 0 : num(k));
    return { ...common, scaling: 'yarn', betaFast: opt('beta_fast'), betaSlow: opt('beta_slow'), mscale: opt('mscale'), mscaleAllDim: opt('mscale_all_dim'), truncate: truncate ?? undefined };
  }
  const list = (k: string): number[] => {
    const v = o[k];
    if (!Array.isArray(v) || v.length !== headDim / 2 || !v.every((f) => typeof f === 'number' && Number.isFinite(f) && f > 0)) {
      throw new HfConfigError(`${where}.${k}=${describeValue(v)} must be a list of ${headDim / 2} numbers > 0 (head_dim / 2)`);
    }
    return v as number[];
  };
  return { ...common, scaling: 'longrope', shortFactor: list('short_factor'), longFactor: list('long_factor') };
}

function missing(field: string): never {
  throw new HfConfigError(`missing field ${field}`);
}

/** Sliding windows per layer: `layer_types` when given, else Mistral's `sliding_window`, or Qwen's with `use_sliding_window`. */
function readWindows(r: Reader, numLayers: number): Array<number | null> {
  const t = r.type;
  const types = t === 'qwen2' || t === 'qwen3' || t === 'qwen2_moe' || t === 'qwen3_moe' || r.has('layer_types') ? r.raw('layer_types') : undefined;
  const uses = t === 'mistral' || t === 'mixtral' ? true : t.startsWith('qwen') ? r.bool('use_sliding_window') : false;
  const window = t === 'mistral' || t === 'mixtral' || t.startsWith('qwen') ? r.raw('sliding_window') : undefined;
  const size = (): number => {
    if (typeof window !== 'number' || !Number.isSafeInteger(window) || window < 1) {
      throw new HfConfigError(`sliding_window=${describeValue(window)} must be an integer ≥ 1 for a sliding-attention layer`);
    }
    return window;
  };
  if (types !== undefined && types !== null) {
    if (!Array.isArray(types) || types.length !== numLayers) {
      throw new HfConfigError(`layer_types=${describeValue(types)} must list one type per layer (num_hidden_layers=${numLayers})`);
    }
    return types.map((x, i) => {
      if (x === 'full_attention') return null;
      if (x === 'sliding_attention') return size();
      throw new HfConfigError(`layer_types[${i}]=${describeValue(x)}; allowed: "full_attention", "sliding_attention"`);
    });
  }
  if (!uses || window === null || window === undefined) return new Array<number | null>(numLayers).fill(null);
  if (t.startsWith('qwen')) {
    const from = r.int('max_window_layers', 0);
    return Array.from({ length: numLayers }, (_, i) => (i >= from ? size() : null));
  }
  return new Array<number | null>(numLayers).fill(size());
}

function readDecoder(r: Reader): DecoderSpec {
  const t = r.type;
  const hidden = r.int('hidden_size');
  const numHeads = r.int('num_attention_heads');
  const numKVHeads = r.intOr('num_key_value_heads', numHeads);
  if (numHeads % numKVHeads !== 0) throw new HfConfigError(`num_key_value_heads=${numKVHeads} must divide num_attention_heads=${numHeads}`);
  // Every decoder reads head_dim when set (transformers: getattr(config, "head_dim", None) or hidden_size // heads).
  if (!r.has('head_dim') && hidden % numHeads !== 0) throw new HfConfigError(`num_attention_heads=${numHeads} must divide hidden_size=${hidden} (or set head_dim)`);
  const headDim = r.intOr('head_dim', Math.floor(hidden / numHeads));
  if (headDim % 2 !== 0) throw new HfConfigError(`head_dim=${headDim} must be even (rotary embedding)`);
  const numLayers = r.int('num_hidden_layers');
  const activation = r.activation('hidden_act');
  const attnBias = t === 'llama' || t === 'qwen3' || t === 'qwen3_moe' || t === 'olmoe' ? r.bool('attention_bias') : false;
  const qkvBias = t === 'qwen2' ? true : t === 'qwen2_moe' ? r.bool('qkv_bias') : attnBias;
  const moeType = t === 'mixtral' || t === 'qwen2_moe' || t === 'qwen3_moe' || t === 'olmoe';
  let moe: MoESpec | null = null;
  if (moeType) {
    const a = r.has('num_local_experts') ? r.int('num_local_experts') : null;
    const b = r.has('num_experts') ? r.int('num_experts') : null;
    if (a !== null && b !== null && a !== b) throw new HfConfigError(`num_local_experts=${a} and num_experts=${b} disagree`);
    const numExperts = a ?? b ?? missing('num_experts (or num_local_experts)');
    const topK = r.int('num_experts_per_tok');
    if (topK > numExperts) throw new HfConfigError(`num_experts_per_tok=${topK} must be ≤ the ${numExperts} experts`);
    if (t === 'mixtral') r.only('router_jitter_noise', [0, null], 'multiplicative input noise in training');
    const sparse = t === 'qwen2_moe' || t === 'qwen3_moe';
    const step = sparse ? r.int('decoder_sparse_step') : 1;
    const only = sparse ? r.raw('mlp_only_layers') : [];
    if (!Array.isArray(only) || !only.every((x) => Number.isSafeInteger(x))) throw new HfConfigError(`mlp_only_layers=${describeValue(only)} must be a list of layer indices`);
    const sharedHidden = t === 'qwen2_moe' ? r.int('shared_expert_intermediate_size', 0) : 0;
    moe = {
      numExperts,
      topK,
      normTopK: t === 'mixtral' ? true : r.bool('norm_topk_prob'),
      hidden: sparse ? r.int('moe_intermediate_size') : r.int('intermediate_size'),
      sharedHidden,
      sparseLayers: Array.from({ length: numLayers }, (_, i) => !(only as number[]).includes(i) && (i + 1) % step === 0),
      auxLossWeight: r.bool('output_router_logits') ? r.num('router_aux_loss_coef') : (r.raw('router_aux_loss_coef'), 0),
    };
  }
  const needsDense = !moe || moe.sparseLayers.some((s) => !s);
  const rope = readRope(r, headDim);
  return {
    kind: 'decoder',
    modelType: t,
    vocabSize: r.int('vocab_size'),
    hidden,
    numLayers,
    numHeads,
    numKVHeads,
    headDim,
    intermediate: needsDense || r.has('intermediate_size') ? r.int('intermediate_size') : 0,
    activation,
    rmsEps: r.num('rms_norm_eps', Number.MIN_VALUE),
    rope,
    ropeAttentionScaling: ropeParameters(rope).attentionScaling,
    tieEmbeddings: r.bool('tie_word_embeddings'),
    qkvBias,
    oBias: t === 'llama' || t === 'qwen3' || t === 'qwen3_moe' || t === 'olmoe' ? attnBias : false,
    mlpBias: t === 'llama' ? r.bool('mlp_bias') : false,
    qkNorm: t === 'qwen3' || t === 'qwen3_moe' ? 'head' : t === 'olmoe' ? 'full' : null,
    clipQkv: t === 'olmoe' && r.raw('clip_qkv') !== null ? r.num('clip_qkv', Number.MIN_VALUE) : null,
    slidingWindows: readWindows(r, numLayers),
    attentionDropout: r.num('attention_dropout', 0, 1),
    maxPositions: r.int('max_position_embeddings'),
    moe,
  };
}

function readGpt2(r: Reader): Gpt2Spec {
  const hidden = r.int('n_embd');
  const numHeads = r.int('n_head');
  if (hidden % numHeads !== 0) throw new HfConfigError(`n_head=${numHeads} must divide n_embd=${hidden}`);
  r.only('add_cross_attention', [false], 'GPT2LMHeadModel without an encoder');
  return {
    kind: 'gpt2', modelType: 'gpt2',
    vocabSize: r.int('vocab_size'), hidden, numHeads, numLayers: r.int('n_layer'),
    inner: r.intOr('n_inner', 4 * hidden), maxPositions: r.int('n_positions'),
    activation: r.activation('activation_function'), eps: r.num('layer_norm_epsilon', Number.MIN_VALUE),
    scaleAttnWeights: r.bool('scale_attn_weights'), scaleByInverseLayerIdx: r.bool('scale_attn_by_inverse_layer_idx'),
    tieEmbeddings: r.bool('tie_word_embeddings'),
    embdDropout: r.num('embd_pdrop', 0, 1), attnDropout: r.num('attn_pdrop', 0, 1), residDropout: r.num('resid_pdrop', 0, 1),
  };
}

function readBert(r: Reader): BertSpec {
  const hidden = r.int('hidden_size');
  const numHeads = r.int('num_attention_heads');
  if (hidden % numHeads !== 0) throw new HfConfigError(`num_attention_heads=${numHeads} must divide hidden_size=${hidden}`);
  r.only('position_embedding_type', ['absolute'], 'Weft reads absolute position embeddings');
  r.only('is_decoder', [false], 'BertModel as an encoder');
  r.only('add_cross_attention', [false], 'BertModel as an encoder');
  r.raw('tie_word_embeddings'); // BertModel has no output embedding to tie
  return {
    kind: 'bert', modelType: 'bert',
    vocabSize: r.int('vocab_size'), hidden, numHeads, numLayers: r.int('num_hidden_layers'),
    intermediate: r.int('intermediate_size'), maxPositions: r.int('max_position_embeddings'), typeVocabSize: r.int('type_vocab_size'),
    activation: r.activation('hidden_act'), eps: r.num('layer_norm_eps', Number.MIN_VALUE),
    hiddenDropout: r.num('hidden_dropout_prob', 0, 1), attnDropout: r.num('attention_probs_dropout_prob', 0, 1),
  };
}

/** What {@link readHfConfig} returns. */
export interface ReadConfig {
  spec: ModelSpec;
  /** Fields present that do not change the computation ({@link NOT_COMPUTED} says why). */
  notComputed: string[];
  /** The parsed object. */
  json: Record<string, unknown>;
}

const MAX_CONFIG_CHARS = 1_000_000;

/** Parse and check a config.json (text or object). Throws {@link HfConfigError} naming the field. */
export function readHfConfig(config: string | Record<string, unknown>): ReadConfig {
  let j: unknown = config;
  if (typeof j === 'string') {
    if (j.length > MAX_CONFIG_CHARS) throw new HfConfigError(`is ${j.length} characters; at most ${MAX_CONFIG_CHARS} allowed`);
    try {
      j = JSON.parse(j);
    } catch (e) {
      throw new HfConfigError(`is not valid JSON (${(e as Error).message})`);
    }
  }
  if (typeof j !== 'object' || j === null || Array.isArray(j)) throw new HfConfigError(`must be a JSON object, got ${describeValue(j)}`);
  const json = j as Record<string, unknown>;
  const type = Object.hasOwn(json, 'model_type') ? json['model_type'] : undefined;
  if (!(HF_MODEL_TYPES as readonly unknown[]).includes(type)) {
    throw new HfConfigError(`model_type=${describeValue(type)} is not supported; allowed: ${HF_MODEL_TYPES.join(', ')}`);
  }
  const r = new Reader(json, type as HfModelType);
  const spec = type === 'gpt2' ? readGpt2(r) : type === 'bert' ? readBert(r) : readDecoder(r);
  return { spec, notComputed: r.finish(), json };
}

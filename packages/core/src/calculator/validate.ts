// Checks an untrusted config object (typed by a caller or parsed from a pasted config.json) and
// resolves it into a complete, internal form with every default filled in. Every size is bounded so
// that a hostile config cannot make the page loop or allocate for long; errors name the field, the
// value and what is allowed.

import { describeValue, nearestName } from '../config.js';
import { CalculatorError } from './arith.js';
import { FIELD_LISTS, unknownField } from './field-lists.js';
import { resolveGpt2, type ResolvedGpt2 } from './gpt2.js';
import { resolveMamba, type ResolvedMamba } from './mamba.js';
import { resolveT5, type ResolvedT5 } from './t5.js';
import { SUPPORTED_MODEL_TYPES, type SupportedModelType } from './types.js';

/** Upper bounds on config fields (and on the pasted text), so counting stays fast and exact. */
export const CALCULATOR_LIMITS = {
  /** Characters of a pasted config.json. */
  maxConfigChars: 1_000_000,
  /** `vocab_size`. */
  maxVocab: 4_194_304,
  /** `hidden_size`, `embedding_size`, `head_dim` and the MLA ranks and head widths. */
  maxWidth: 65_536,
  /** `intermediate_size` and expert widths. */
  maxIntermediate: 1_048_576,
  /** `num_hidden_layers`. */
  maxLayers: 1024,
  /** `num_attention_heads`, `num_key_value_heads`. */
  maxHeads: 65_536,
  /** `max_position_embeddings` (learned position tables of encoders). */
  maxPositions: 1_048_576,
  /** `type_vocab_size`. */
  maxTypeVocab: 1024,
  /** Experts per layer (routed or shared); switch-c-2048 has 2048. */
  maxExperts: 2048,
  /** ALBERT `inner_group_num`. */
  maxInnerGroups: 1024,
} as const;

/** Attention of a resolved decoder. */
export type ResolvedAttention =
  | {
      /** Grouped-query attention: q/k/v/o projections. */
      kind: 'gqa';
      heads: number;
      kvHeads: number;
      headDim: number;
      /** Bias on q/k/v. */
      qkvBias: boolean;
      /** Bias on o. */
      oBias: boolean;
      /** Per-layer q/k RMSNorms: none, over one head's width (Qwen3, Gemma 3) or over all heads (OLMoE). */
      qkNorm: 'none' | 'head' | 'full';
      /** gpt-oss: one learned attention-sink logit per head (`self_attn.sinks`). */
      sinks: boolean;
      /** Phi-3: q, k and v in one `qkv_proj`. */
      fusedQkv: boolean;
    }
  | {
      /** DeepSeek-V2 multi-head latent attention (fields as in the config). */
      kind: 'mla';
      heads: number;
      qLoraRank: number | null;
      kvLoraRank: number;
      qkNopeHeadDim: number;
      qkRopeHeadDim: number;
      vHeadDim: number;
      /** Bias on q_a_proj, kv_a_proj_with_mqa and o_proj. */
      bias: boolean;
    };

/** MoE part of a resolved decoder. */
export interface ResolvedMoe {
  /** Module naming and router style. */
  style: 'mixtral' | 'qwen2_moe' | 'deepseek' | 'deepseek_v2' | 'deepseek_v3' | 'qwen3_moe' | 'olmoe' | 'phimoe' | 'gpt_oss' | 'llama4';
  /** Routed experts per MoE layer. */
  numExperts: number;
  /** Routed experts per token. */
  topK: number;
  /** Width of each routed expert. */
  expertSize: number;
  /** Width of the (merged) shared expert, or null for none. */
  sharedSize: number | null;
  /** `sparse[i]`: layer i is an MoE layer. */
  sparse: boolean[];
}

/** An encoder config with defaults filled in (BERT has E = H, one group, one inner layer). */
export interface ResolvedEncoder {
  family: 'encoder';
  modelType: 'bert' | 'albert';
  /** vocab_size, hidden_size, num_hidden_layers, num_attention_heads, intermediate_size. */
  vocab: number;
  hidden: number;
  layers: number;
  heads: number;
  intermediate: number;
  /** max_position_embeddings. */
  positions: number;
  /** type_vocab_size. */
  typeVocab: number;
  /** tie_word_embeddings (the MLM decoder). */
  tie: boolean;
  /** Embedding width E (= hidden for BERT). */
  embedding: number;
  /** num_hidden_groups (1 for BERT). */
  groups: number;
  /** inner_group_num (1 for BERT). */
  innerGroups: number;
}

/** A decoder config (dense or MoE) with defaults filled in. */
export interface ResolvedDecoder {
  family: 'decoder' | 'moe';
  modelType: DecoderModelType;
  /** vocab_size, hidden_size, num_hidden_layers, intermediate_size (dense layers; Mixtral: each expert). */
  vocab: number;
  hidden: number;
  layers: number;
  intermediate: number;
  /** tie_word_embeddings. */
  tie: boolean;
  /** Bias on the dense gate/up/down projections (LLaMA `mlp_bias`). */
  mlpBias: boolean;
  attention: ResolvedAttention;
  /** Null for a dense model. */
  moe: ResolvedMoe | null;
  /** Norm weights per norm: `'rms'` H (RMSNorm), `'layer'` 2H (LayerNorm with bias, PhiMoE). */
  norm: 'rms' | 'layer';
  /** Gemma 2/3: RMSNorms before and after the feed-forward too (four per layer). */
  sandwichNorms: boolean;
  /** Module holding the feed-forward: `mlp`, or `feed_forward` (Llama 4). */
  mlpPrefix: 'mlp' | 'feed_forward';
  /** Phi-3: gate and up in one `gate_up_proj`. */
  fusedGateUp: boolean;
  /** Width of the dense feed-forward layers (Llama 4: `intermediate_size_mlp`). */
  denseIntermediate: number;
  /** PhiMoE `lm_head_bias`. */
  lmHeadBias: boolean;
  /** DeepSeek-V3 multi-token-prediction modules (`num_nextn_predict_layers`), counted apart from the model. */
  mtpLayers: number;
  /** KV-cache span of each layer: null = the whole context, n = a sliding window / attention chunk of n tokens. */
  windows: (number | null)[];
}

/** Every model_type built by decoder.ts. */
export type DecoderModelType = Exclude<SupportedModelType, 'bert' | 'albert' | 'gpt2' | 't5' | 'switch_transformers' | 'mamba'>;

/** Any resolved config. */
export type ResolvedConfig = ResolvedEncoder | ResolvedDecoder | ResolvedGpt2 | ResolvedT5 | ResolvedMamba;

/** A bounded rendering of an untrusted value (never the whole of a deep or huge one). */
const show = (value: unknown): string => describeValue(value);

/** Reads typed fields from an untrusted object, with errors that name the field and the bound. */
export class Fields {
  constructor(
    private readonly obj: Record<string, unknown>,
    /** Prefix of error messages (`config`, `config.json`). */
    readonly source: string,
    private readonly modelType: string,
  ) {}

  /** The config's model_type (for messages). */
  get modelTypeName(): string {
    return this.modelType;
  }

  private present(name: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.obj, name) && this.obj[name] !== null && this.obj[name] !== undefined;
  }

  /** The raw value of an own key (undefined when absent). */
  value(name: string): unknown {
    return this.has(name) ? this.obj[name] : undefined;
  }

  /** Whether the field is an own key (even if null). */
  has(name: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.obj, name);
  }

  /**
   * An integer that transformers accepts under two names (`attribute_map`, renamed fields): either may be
   * given; both must then agree. `fallback` when neither is present.
   */
  aliasInt(name: string, alias: string, min: number, max: number, fallback: number): number {
    const a = this.optInt(name, min, max, null);
    const b = this.optInt(alias, min, max, null);
    if (a !== null && b !== null && a !== b) this.fail(alias, b, `the same value as ${name}=${a} (the two names mean one field)`);
    return a ?? b ?? fallback;
  }

  /** A positive integer field that changes no count (attention windows), or null if absent or malformed. */
  rawNumber(name: string): number | null {
    const v = this.present(name) ? this.obj[name] : null;
    return typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? v : null;
  }

  /** A boolean field that changes no count, or null. */
  rawBool(name: string): boolean | null {
    const v = this.present(name) ? this.obj[name] : null;
    return typeof v === 'boolean' ? v : null;
  }

  /** A list of strings that changes no count (`layer_types`), or null if absent or malformed. */
  rawStrings(name: string): string[] | null {
    const v = this.present(name) ? this.obj[name] : null;
    return Array.isArray(v) && v.length <= CALCULATOR_LIMITS.maxLayers && v.every((x) => typeof x === 'string') ? (v as string[]) : null;
  }

  fail(name: string, value: unknown, allowed: string): never {
    throw new CalculatorError(`${this.source}: ${name}=${show(value)} is not allowed: expected ${allowed}`);
  }

  /** A required integer in [min, max]. */
  int(name: string, min: number, max: number): number {
    if (!this.present(name)) {
      throw new CalculatorError(
        `${this.source}: missing required field ${name} (an integer in [${min}, ${max}]) for model_type "${this.modelType}"`,
      );
    }
    return this.checkInt(name, min, max);
  }

  /** An optional integer in [min, max]; `fallback` when absent or null. */
  optInt<T extends number | null>(name: string, min: number, max: number, fallback: T): number | T {
    return this.present(name) ? this.checkInt(name, min, max) : fallback;
  }

  private checkInt(name: string, min: number, max: number): number {
    const v = this.obj[name];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      this.fail(name, v, `an integer in [${min}, ${max}]`);
    }
    return v;
  }

  /** An optional boolean; `fallback` when absent or null. */
  bool(name: string, fallback: boolean): boolean {
    if (!this.present(name)) return fallback;
    const v = this.obj[name];
    if (typeof v !== 'boolean') this.fail(name, v, 'true or false');
    return v;
  }

  /** An optional string from `allowed`; `fallback` when absent or null. */
  oneOf(name: string, allowed: readonly string[], fallback: string): string {
    if (!this.present(name)) return fallback;
    const v = this.obj[name];
    if (typeof v !== 'string' || !allowed.includes(v)) this.fail(name, v, `one of ${allowed.map((a) => `"${a}"`).join(', ')}`);
    return v;
  }

  /** An optional list of distinct integers in [min, max], at most `maxLength` long. */
  intList(name: string, min: number, max: number, maxLength: number): number[] {
    if (!this.present(name)) return [];
    const v = this.obj[name];
    if (!Array.isArray(v) || v.length > maxLength) {
      this.fail(name, v, `a list of at most ${maxLength} integers in [${min}, ${max}]`);
    }
    v.forEach((x, i) => {
      if (typeof x !== 'number' || !Number.isInteger(x) || x < min || x > max) {
        this.fail(`${name}[${i}]`, x, `an integer in [${min}, ${max}]`);
      }
    });
    return v as number[];
  }
}

const ARCHITECTURE_PREFIXES: Record<string, SupportedModelType> = {
  Qwen3: 'qwen3',
  Qwen3Moe: 'qwen3_moe',
  DeepseekV3: 'deepseek_v3',
  Gemma2: 'gemma2',
  Gemma3: 'gemma3_text',
  Phi3: 'phi3',
  Phimoe: 'phimoe',
  PhiMoE: 'phimoe',
  Olmoe: 'olmoe',
  OLMoE: 'olmoe',
  GPT2: 'gpt2',
  Llama4: 'llama4_text',
  GptOss: 'gpt_oss',
  SwitchTransformers: 'switch_transformers',
  T5: 't5',
  Mamba: 'mamba',
  Bert: 'bert',
  Albert: 'albert',
  Llama: 'llama',
  Mistral: 'mistral',
  Qwen2: 'qwen2',
  Mixtral: 'mixtral',
  Qwen2Moe: 'qwen2_moe',
  Deepseek: 'deepseek',
  DeepseekV2: 'deepseek_v2',
};

/** The `model_type` of a transformers architecture class name (`"LlamaForCausalLM"` → `"llama"`), or null. */
export function modelTypeOfArchitecture(arch: string): SupportedModelType | null {
  const m = /^([A-Za-z0-9]+?)(Model|For[A-Za-z]+|LMHeadModel|PreTrainedModel)$/.exec(arch);
  // Own properties only: "constructorForCausalLM" must not find Object.prototype.constructor.
  return m && Object.hasOwn(ARCHITECTURE_PREFIXES, m[1]!) ? ARCHITECTURE_PREFIXES[m[1]!]! : null;
}

function resolveModelType(obj: Record<string, unknown>, source: string): SupportedModelType {
  const mt = obj['model_type'];
  const allowed = SUPPORTED_MODEL_TYPES.join(', ');
  if (mt !== undefined && mt !== null) {
    if (typeof mt === 'string' && (SUPPORTED_MODEL_TYPES as readonly string[]).includes(mt)) {
      return mt as SupportedModelType;
    }
    const text = mt === 'gemma3' || mt === 'llama4' || mt === 'gemma3n' ? ` (a multimodal config: paste its text_config, model_type "${mt === 'llama4' ? 'llama4_text' : 'gemma3_text'}")` : '';
    throw new CalculatorError(`${source}: model_type=${show(mt)} is not supported${text}: expected one of ${allowed}`);
  }
  const archs = obj['architectures'];
  if (Array.isArray(archs) && archs.length > 0) {
    const first: unknown = archs[0];
    const found = typeof first === 'string' ? modelTypeOfArchitecture(first) : null;
    if (found) return found;
    throw new CalculatorError(
      `${source}: architectures[0]=${show(first)} is not a supported architecture and model_type is missing: ` +
        `expected a model_type among ${allowed}`,
    );
  }
  throw new CalculatorError(`${source}: missing required field model_type (one of ${allowed})`);
}

/**
 * Refuses a field the calculator neither reads nor knows to leave the count unchanged (field-lists.ts),
 * and the generic fields whose non-default values would change the count: `pruned_heads` (removes
 * attention rows) and `add_cross_attention` (adds a cross-attention block; counted for gpt2 only).
 */
function checkFieldsKnown(obj: Record<string, unknown>, source: string, modelType: SupportedModelType): void {
  const unknown = unknownField(obj, modelType);
  if (unknown) {
    const near = nearestName(unknown.key, unknown.known);
    throw new CalculatorError(
      `${source}: field ${show(unknown.key)} is not understood for model_type "${modelType}"` +
        `${near ? ` (did you mean "${near}"?)` : ''}; it might change the parameter count, so it is not ignored. ` +
        `Fields read: ${FIELD_LISTS[modelType].read.join(', ')}`,
    );
  }
  const pruned = Object.hasOwn(obj, 'pruned_heads') ? obj['pruned_heads'] : null;
  if (pruned !== null && pruned !== undefined && !(typeof pruned === 'object' && !Array.isArray(pruned) && Object.keys(pruned).length === 0)) {
    throw new CalculatorError(`${source}: pruned_heads=${show(pruned)} is not allowed: expected {} (pruned attention heads are not counted)`);
  }
  const cross = Object.hasOwn(obj, 'add_cross_attention') ? obj['add_cross_attention'] : null;
  if (modelType !== 'gpt2' && cross !== null && cross !== undefined && cross !== false) {
    throw new CalculatorError(`${source}: add_cross_attention=${show(cross)} is not allowed for model_type "${modelType}": expected false (cross-attention blocks are counted for gpt2 only)`);
  }
}

/**
 * Checks an untrusted config and fills in defaults. `source` prefixes error messages
 * (e.g. `"config.json"`). Throws a `CalculatorError` naming the field, value and allowed range.
 */
export function resolveConfig(config: unknown, source = 'config'): ResolvedConfig {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw new CalculatorError(
      `${source}: expected a JSON object with a model_type, got ${Array.isArray(config) ? 'an array' : show(config)}`,
    );
  }
  const obj = config as Record<string, unknown>;
  const modelType = resolveModelType(obj, source);
  const f = new Fields(obj, source, modelType);
  const resolved = resolveKnown(obj, f, modelType);
  // After the fields it reads are checked, so a bad value is named before an unknown field.
  checkFieldsKnown(obj, source, modelType);
  return resolved;
}

function resolveKnown(obj: Record<string, unknown>, f: Fields, modelType: SupportedModelType): ResolvedConfig {
  const L = CALCULATOR_LIMITS;
  if (modelType === 'gpt2') return resolveGpt2(f);
  if (modelType === 't5' || modelType === 'switch_transformers') return resolveT5(f, modelType);
  if (modelType === 'mamba') return resolveMamba(f);

  // Gemma 2/3 configs may leave sizes at the config class's defaults (gemma-3-4b's text_config has no
  // vocab_size or head counts); the other families' sizes are required.
  const d = CORE_DEFAULTS[modelType];
  const size = (name: keyof CoreDefaults, max: number): number => (d ? f.optInt(name, 1, max, d[name]) : f.int(name, 1, max));
  const vocab = size('vocab_size', L.maxVocab);
  const hidden = size('hidden_size', L.maxWidth);
  const layers = size('num_hidden_layers', L.maxLayers);
  const heads = size('num_attention_heads', L.maxHeads);
  const intermediate = size('intermediate_size', L.maxIntermediate);

  if (modelType === 'bert' || modelType === 'albert') {
    f.oneOf('position_embedding_type', ['absolute'], 'absolute');
    if (hidden % heads !== 0) {
      f.fail('num_attention_heads', heads, `a divisor of hidden_size=${hidden}`);
    }
    const enc: ResolvedEncoder = {
      family: 'encoder',
      modelType,
      vocab,
      hidden,
      layers,
      heads,
      intermediate,
      positions: f.optInt('max_position_embeddings', 1, L.maxPositions, 512),
      typeVocab: f.optInt('type_vocab_size', 1, L.maxTypeVocab, 2),
      tie: f.bool('tie_word_embeddings', true),
      embedding: hidden,
      groups: 1,
      innerGroups: 1,
    };
    if (modelType === 'albert') {
      enc.embedding = f.optInt('embedding_size', 1, L.maxWidth, 128);
      enc.groups = f.optInt('num_hidden_groups', 1, layers, 1);
      enc.innerGroups = f.optInt('inner_group_num', 1, L.maxInnerGroups, 1);
      // transformers: slot i runs group ⌊i / ⌊L/G⌋⌋, which must exist.
      const perGroup = Math.floor(layers / enc.groups);
      if (Math.floor((layers - 1) / perGroup) >= enc.groups) {
        f.fail('num_hidden_groups', enc.groups, `a divisor of num_hidden_layers=${layers} (layer i uses group ⌊i / ⌊L/G⌋⌋)`);
      }
    }
    return enc;
  }

  return resolveDecoder(f, modelType, { vocab, hidden, layers, heads, intermediate });
}

/** Sizes a config class fills in when config.json omits them. */
interface CoreDefaults {
  vocab_size: number;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  num_key_value_heads: number;
}

/** `Gemma2Config` and `Gemma3TextConfig` defaults (transformers; head_dim 256 is in DEFAULT_HEAD_DIM). */
const CORE_DEFAULTS: Partial<Record<SupportedModelType, CoreDefaults>> = {
  gemma2: { vocab_size: 256_000, hidden_size: 2304, num_hidden_layers: 26, num_attention_heads: 8, intermediate_size: 9216, num_key_value_heads: 4 },
  gemma3_text: { vocab_size: 262_208, hidden_size: 2304, num_hidden_layers: 26, num_attention_heads: 8, intermediate_size: 9216, num_key_value_heads: 4 },
};

/** A bias flag the calculator counts only when false (DeepSeek-V2's `mlp_bias`, Phi-3's): true is refused by name. */
function noBias(f: Fields, name: string): false {
  if (f.bool(name, false)) f.fail(name, true, `false (the ${f.modelTypeName} model has no such bias)`);
  return false;
}

/** Default `head_dim` of the config classes that do not derive it from hidden_size / num_attention_heads. */
const DEFAULT_HEAD_DIM: Partial<Record<DecoderModelType, number>> = { gemma2: 256, gemma3_text: 256, qwen3: 128, qwen3_moe: 128, llama4_text: 128, gpt_oss: 64 };

/** Default `tie_word_embeddings` of each decoder's config class. */
const TIED_BY_DEFAULT = new Set<string>(['gemma2', 'gemma3_text']);

/** Resolves the decoder families (decoder.ts builds them): attention, norms, feed-forward and MoE. */
function resolveDecoder(
  f: Fields,
  modelType: DecoderModelType,
  core: { vocab: number; hidden: number; layers: number; heads: number; intermediate: number },
): ResolvedDecoder {
  const L = CALCULATOR_LIMITS;
  const { vocab, hidden, layers, heads, intermediate } = core;
  const tie = f.bool('tie_word_embeddings', TIED_BY_DEFAULT.has(modelType));
  const mla = modelType === 'deepseek_v2' || modelType === 'deepseek_v3';
  let attention: ResolvedAttention;
  if (mla) {
    if (modelType === 'deepseek_v2' && !f.has('q_lora_rank')) {
      throw new CalculatorError(
        `${f.source}: missing required field q_lora_rank (null or an integer in [1, ${L.maxWidth}]) for model_type "deepseek_v2"`,
      );
    }
    const v3 = modelType === 'deepseek_v3';
    attention = {
      kind: 'mla',
      heads,
      // DeepseekV3Config defaults: q_lora_rank 1536, kv_lora_rank 512, nope 128, rope 64, v 128.
      qLoraRank: v3 && !f.has('q_lora_rank') ? 1536 : f.optInt('q_lora_rank', 1, L.maxWidth, null),
      kvLoraRank: v3 ? f.optInt('kv_lora_rank', 1, L.maxWidth, 512) : f.int('kv_lora_rank', 1, L.maxWidth),
      qkNopeHeadDim: v3 ? f.optInt('qk_nope_head_dim', 0, L.maxWidth, 128) : f.int('qk_nope_head_dim', 0, L.maxWidth),
      qkRopeHeadDim: v3 ? f.optInt('qk_rope_head_dim', 0, L.maxWidth, 64) : f.int('qk_rope_head_dim', 0, L.maxWidth),
      vHeadDim: v3 ? f.optInt('v_head_dim', 1, L.maxWidth, 128) : f.int('v_head_dim', 1, L.maxWidth),
      bias: f.bool('attention_bias', false),
    };
  } else {
    const kvHeads = f.optInt('num_key_value_heads', 1, heads, Math.min(CORE_DEFAULTS[modelType]?.num_key_value_heads ?? heads, heads));
    if (heads % kvHeads !== 0) {
      f.fail('num_key_value_heads', kvHeads, `a divisor of num_attention_heads=${heads}`);
    }
    // An absent head_dim takes the config class's default: 256 (Gemma 2/3), 128 (Qwen3, Qwen3-MoE,
    // Llama 4), 64 (gpt-oss); the other classes derive hidden_size / num_attention_heads.
    let headDim = f.has('head_dim') ? f.optInt('head_dim', 1, L.maxWidth, null) : f.optInt('head_dim', 1, L.maxWidth, DEFAULT_HEAD_DIM[modelType] ?? null);
    if (headDim === null) {
      if (hidden % heads !== 0) {
        f.fail('num_attention_heads', heads, `a divisor of hidden_size=${hidden} (or give head_dim)`);
      }
      headDim = hidden / heads;
    }
    let qkvBias = false;
    let oBias = false;
    switch (modelType) {
      case 'llama':
      case 'deepseek':
      case 'qwen3':
      case 'qwen3_moe':
      case 'gemma2':
      case 'gemma3_text':
      case 'phimoe':
      case 'olmoe':
      case 'llama4_text':
        qkvBias = oBias = f.bool('attention_bias', false);
        break;
      case 'gpt_oss':
        qkvBias = oBias = f.bool('attention_bias', true);
        break;
      case 'qwen2':
        qkvBias = true;
        break;
      case 'phi3':
        // Phi-3's qkv_proj and o_proj have no bias; its configs say attention_bias: false.
        noBias(f, 'attention_bias');
        break;
      case 'qwen2_moe':
        qkvBias = f.bool('qkv_bias', true);
        break;
      default:
        break;
    }
    const qkNorm = modelType === 'qwen3' || modelType === 'qwen3_moe' || modelType === 'gemma3_text' ? 'head' : modelType === 'olmoe' ? 'full' : 'none';
    attention = { kind: 'gqa', heads, kvHeads, headDim, qkvBias, oBias, qkNorm, sinks: modelType === 'gpt_oss', fusedQkv: modelType === 'phi3' };
  }

  let moe: ResolvedMoe | null = null;
  const allSparse = (): boolean[] => new Array<boolean>(layers).fill(true);
  switch (modelType) {
    case 'mixtral':
    case 'phimoe': {
      const numExperts = f.int('num_local_experts', 1, L.maxExperts);
      moe = { style: modelType, numExperts, topK: f.int('num_experts_per_tok', 1, numExperts), expertSize: intermediate, sharedSize: null, sparse: allSparse() };
      break;
    }
    case 'gpt_oss': {
      // GptOssConfig: num_local_experts (default 128); some exports name it num_experts.
      const numExperts = f.aliasInt('num_local_experts', 'num_experts', 1, L.maxExperts, 128);
      moe = { style: 'gpt_oss', numExperts, topK: f.optInt('num_experts_per_tok', 1, numExperts, Math.min(4, numExperts)), expertSize: intermediate, sharedSize: null, sparse: allSparse() };
      break;
    }
    case 'olmoe': {
      const numExperts = f.aliasInt('num_experts', 'num_local_experts', 1, L.maxExperts, 64);
      moe = { style: 'olmoe', numExperts, topK: f.optInt('num_experts_per_tok', 1, numExperts, Math.min(8, numExperts)), expertSize: intermediate, sharedSize: null, sparse: allSparse() };
      break;
    }
    case 'llama4_text': {
      const numExperts = f.optInt('num_local_experts', 1, L.maxExperts, 16);
      const topK = f.optInt('num_experts_per_tok', 1, numExperts, 1);
      // Llama4TextConfig: moe_layers, when given, overrides interleave_moe_layer_step (MoE at step-1, 2·step-1, …).
      const step = f.optInt('interleave_moe_layer_step', 1, L.maxLayers, 1);
      const listed = f.value('moe_layers') !== null && f.value('moe_layers') !== undefined ? new Set(f.intList('moe_layers', 0, layers - 1, L.maxLayers)) : null;
      const sparse = Array.from({ length: layers }, (_, i) => (listed ? listed.has(i) : (i + 1) % step === 0));
      moe = { style: 'llama4', numExperts, topK, expertSize: intermediate, sharedSize: intermediate, sparse };
      break;
    }
    case 'qwen2_moe':
    case 'qwen3_moe': {
      const qwen3 = modelType === 'qwen3_moe';
      const numExperts = qwen3 ? f.aliasInt('num_experts', 'num_local_experts', 0, L.maxExperts, 128) : f.int('num_experts', 0, L.maxExperts);
      const topK = qwen3
        ? f.optInt('num_experts_per_tok', numExperts > 0 ? 1 : 0, Math.max(numExperts, 1), Math.min(8, numExperts))
        : f.int('num_experts_per_tok', numExperts > 0 ? 1 : 0, Math.max(numExperts, 1));
      const expertSize = qwen3 ? f.optInt('moe_intermediate_size', 1, L.maxIntermediate, 768) : f.int('moe_intermediate_size', 1, L.maxIntermediate);
      const sharedSize = qwen3 ? null : f.int('shared_expert_intermediate_size', 0, L.maxIntermediate);
      const step = f.optInt('decoder_sparse_step', 1, L.maxLayers, 1);
      const denseOnly = new Set(f.intList('mlp_only_layers', 0, layers - 1, L.maxLayers));
      const sparse: boolean[] = [];
      for (let i = 0; i < layers; i++) sparse.push(!denseOnly.has(i) && numExperts > 0 && (i + 1) % step === 0);
      moe = { style: modelType, numExperts, topK, expertSize, sharedSize, sparse };
      break;
    }
    case 'deepseek':
    case 'deepseek_v2':
    case 'deepseek_v3': {
      const v3 = modelType === 'deepseek_v3';
      if (modelType === 'deepseek_v2' && !f.has('n_routed_experts')) {
        throw new CalculatorError(
          `${f.source}: missing required field n_routed_experts (null or an integer in [1, ${L.maxExperts}]) for model_type "deepseek_v2"`,
        );
      }
      const numExperts = v3
        ? f.aliasInt('n_routed_experts', 'num_local_experts', 1, L.maxExperts, 256)
        : f.optInt('n_routed_experts', 1, L.maxExperts, null);
      const firstDense = f.optInt('first_k_dense_replace', 0, layers, v3 ? 3 : 0);
      // transformers' DeepseekV3 makes every layer from first_k_dense_replace on an MoE layer; the
      // remote code's moe_layer_freq is honoured only where it changes nothing.
      const freq = v3 ? f.optInt('moe_layer_freq', 1, 1, 1) : f.optInt('moe_layer_freq', 1, L.maxLayers, 1);
      if (numExperts !== null) {
        // The count does not depend on k; a null num_experts_per_tok (DeepSeek-V2-Lite's config) means
        // "not given" and active-per-token counts fall back to the config class default.
        const topK = f.optInt('num_experts_per_tok', 1, numExperts, Math.min(v3 ? 8 : 6, numExperts));
        const expertSize = v3 ? f.optInt('moe_intermediate_size', 1, L.maxIntermediate, 2048) : f.int('moe_intermediate_size', 1, L.maxIntermediate);
        const nShared = f.optInt('n_shared_experts', 0, L.maxExperts, v3 ? 1 : null);
        const sharedSize = nShared === null || nShared === 0 ? null : expertSize * nShared;
        const sparse: boolean[] = [];
        for (let i = 0; i < layers; i++) sparse.push(i >= firstDense && i % freq === 0);
        moe = { style: modelType, numExperts, topK, expertSize, sharedSize, sparse };
      }
      break;
    }
    default:
      break;
  }

  return {
    family: moe ? 'moe' : 'decoder',
    modelType,
    vocab,
    hidden,
    layers,
    intermediate,
    tie,
    mlpBias: modelType === 'llama' ? f.bool('mlp_bias', false) : modelType === 'deepseek_v2' || modelType === 'phi3' ? noBias(f, 'mlp_bias') : false,
    attention,
    moe,
    norm: modelType === 'phimoe' ? 'layer' : 'rms',
    sandwichNorms: modelType === 'gemma2' || modelType === 'gemma3_text',
    mlpPrefix: modelType === 'llama4_text' ? 'feed_forward' : 'mlp',
    fusedGateUp: modelType === 'phi3',
    denseIntermediate: modelType === 'llama4_text' ? f.optInt('intermediate_size_mlp', 1, L.maxIntermediate, 16384) : intermediate,
    lmHeadBias: modelType === 'phimoe' ? f.bool('lm_head_bias', false) : modelType === 'phi3' ? noBias(f, 'lm_head_bias') : false,
    mtpLayers: modelType === 'deepseek_v3' ? f.optInt('num_nextn_predict_layers', 0, 16, 0) : 0,
    windows: attentionWindows(f, modelType, layers),
  };
}

/**
 * Which layers attend to a bounded span (for the KV cache only; no weight depends on it): `layer_types`
 * when given ("sliding_attention" → `sliding_window`, "chunked_attention" → `attention_chunk_size`), else
 * the config class's own pattern (Gemma 2 and gpt-oss alternate sliding/full; Gemma 3 has one full layer in
 * `sliding_window_pattern`, default 6; Mistral/Mixtral slide everywhere when `sliding_window` is set; Qwen
 * only with `use_sliding_window`; Llama 4 chunks every layer but each 4th). Values that cannot be read
 * fall back to full attention, which only over-estimates the cache.
 */
function attentionWindows(f: Fields, modelType: DecoderModelType, layers: number): (number | null)[] {
  const window = f.rawNumber('sliding_window');
  const chunk = f.rawNumber('attention_chunk_size') ?? (modelType === 'llama4_text' ? 8192 : null);
  const types = f.rawStrings('layer_types');
  if (types && types.length >= layers) {
    return Array.from({ length: layers }, (_, i) =>
      types[i] === 'sliding_attention' ? window : types[i] === 'chunked_attention' ? chunk : null,
    );
  }
  const every = (pred: (i: number) => boolean, span: number | null) => Array.from({ length: layers }, (_, i) => (pred(i) ? span : null));
  switch (modelType) {
    case 'gemma2':
    case 'gpt_oss':
      return every((i) => i % 2 === 0, window ?? (modelType === 'gpt_oss' ? 128 : 4096));
    case 'gemma3_text': {
      const pattern = f.rawNumber('sliding_window_pattern') ?? f.rawNumber('_sliding_window_pattern') ?? 6;
      return every((i) => (i + 1) % pattern !== 0, window ?? 4096);
    }
    case 'mistral':
    case 'mixtral':
    case 'phi3':
    case 'phimoe':
      return every(() => true, window);
    case 'qwen2':
    case 'qwen3':
    case 'qwen2_moe':
    case 'qwen3_moe':
      return every(() => f.rawBool('use_sliding_window') === true, window);
    case 'llama4_text':
      return every((i) => (i + 1) % 4 !== 0, chunk);
    default:
      return every(() => false, null);
  }
}

// Checks an untrusted config object (typed by a caller or parsed from a pasted config.json) and
// resolves it into a complete, internal form with every default filled in. Every size is bounded so
// that a hostile config cannot make the page loop or allocate for long; errors name the field, the
// value and what is allowed.

import { describeValue } from '../config.js';
import { CalculatorError } from './arith.js';
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
  /** Experts per layer (routed or shared). */
  maxExperts: 1024,
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
  style: 'mixtral' | 'qwen2_moe' | 'deepseek' | 'deepseek_v2';
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
  modelType: Exclude<SupportedModelType, 'bert' | 'albert'>;
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
}

/** Any resolved config. */
export type ResolvedConfig = ResolvedEncoder | ResolvedDecoder;

/** A bounded rendering of an untrusted value (never the whole of a deep or huge one). */
const show = (value: unknown): string => describeValue(value);

/** Reads typed fields from an untrusted object, with errors that name the field and the bound. */
class Fields {
  constructor(
    private readonly obj: Record<string, unknown>,
    private readonly source: string,
    private readonly modelType: string,
  ) {}

  private present(name: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.obj, name) && this.obj[name] !== null && this.obj[name] !== undefined;
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
    throw new CalculatorError(`${source}: model_type=${show(mt)} is not supported: expected one of ${allowed}`);
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
  const L = CALCULATOR_LIMITS;

  const vocab = f.int('vocab_size', 1, L.maxVocab);
  const hidden = f.int('hidden_size', 1, L.maxWidth);
  const layers = f.int('num_hidden_layers', 1, L.maxLayers);
  const heads = f.int('num_attention_heads', 1, L.maxHeads);
  const intermediate = f.int('intermediate_size', 1, L.maxIntermediate);

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

  const tie = f.bool('tie_word_embeddings', false);
  let attention: ResolvedAttention;
  if (modelType === 'deepseek_v2') {
    if (!Object.prototype.hasOwnProperty.call(obj, 'q_lora_rank')) {
      throw new CalculatorError(
        `${source}: missing required field q_lora_rank (null or an integer in [1, ${L.maxWidth}]) for model_type "deepseek_v2"`,
      );
    }
    attention = {
      kind: 'mla',
      heads,
      qLoraRank: f.optInt('q_lora_rank', 1, L.maxWidth, null),
      kvLoraRank: f.int('kv_lora_rank', 1, L.maxWidth),
      qkNopeHeadDim: f.int('qk_nope_head_dim', 0, L.maxWidth),
      qkRopeHeadDim: f.int('qk_rope_head_dim', 0, L.maxWidth),
      vHeadDim: f.int('v_head_dim', 1, L.maxWidth),
      bias: f.bool('attention_bias', false),
    };
  } else {
    const kvHeads = f.optInt('num_key_value_heads', 1, heads, heads);
    if (heads % kvHeads !== 0) {
      f.fail('num_key_value_heads', kvHeads, `a divisor of num_attention_heads=${heads}`);
    }
    let headDim = f.optInt('head_dim', 1, L.maxWidth, null);
    if (headDim === null) {
      if (hidden % heads !== 0) {
        f.fail('num_attention_heads', heads, `a divisor of hidden_size=${hidden} (or give head_dim)`);
      }
      headDim = hidden / heads;
    }
    let qkvBias = false;
    let oBias = false;
    if (modelType === 'llama' || modelType === 'deepseek') {
      qkvBias = oBias = f.bool('attention_bias', false);
    } else if (modelType === 'qwen2') {
      qkvBias = true;
    } else if (modelType === 'qwen2_moe') {
      qkvBias = f.bool('qkv_bias', true);
    }
    attention = { kind: 'gqa', heads, kvHeads, headDim, qkvBias, oBias };
  }

  let moe: ResolvedMoe | null = null;
  if (modelType === 'mixtral') {
    const numExperts = f.int('num_local_experts', 1, L.maxExperts);
    moe = {
      style: 'mixtral',
      numExperts,
      topK: f.int('num_experts_per_tok', 1, numExperts),
      expertSize: intermediate,
      sharedSize: null,
      sparse: new Array<boolean>(layers).fill(true),
    };
  } else if (modelType === 'qwen2_moe') {
    const numExperts = f.int('num_experts', 0, L.maxExperts);
    const topK = f.int('num_experts_per_tok', numExperts > 0 ? 1 : 0, Math.max(numExperts, 1));
    const expertSize = f.int('moe_intermediate_size', 1, L.maxIntermediate);
    const sharedSize = f.int('shared_expert_intermediate_size', 0, L.maxIntermediate);
    const step = f.optInt('decoder_sparse_step', 1, L.maxLayers, 1);
    const denseOnly = new Set(f.intList('mlp_only_layers', 0, layers - 1, L.maxLayers));
    const sparse: boolean[] = [];
    for (let i = 0; i < layers; i++) sparse.push(!denseOnly.has(i) && numExperts > 0 && (i + 1) % step === 0);
    moe = { style: 'qwen2_moe', numExperts, topK, expertSize, sharedSize, sparse };
  } else if (modelType === 'deepseek' || modelType === 'deepseek_v2') {
    if (modelType === 'deepseek_v2' && !Object.prototype.hasOwnProperty.call(obj, 'n_routed_experts')) {
      throw new CalculatorError(
        `${source}: missing required field n_routed_experts (null or an integer in [1, ${L.maxExperts}]) for model_type "deepseek_v2"`,
      );
    }
    const numExperts = f.optInt('n_routed_experts', 1, L.maxExperts, null);
    const firstDense = f.optInt('first_k_dense_replace', 0, layers, 0);
    const freq = f.optInt('moe_layer_freq', 1, L.maxLayers, 1);
    if (numExperts !== null) {
      const topK = f.int('num_experts_per_tok', 1, numExperts);
      const expertSize = f.int('moe_intermediate_size', 1, L.maxIntermediate);
      const nShared = f.optInt('n_shared_experts', 0, L.maxExperts, null);
      const sharedSize = nShared === null ? null : expertSize * nShared;
      const sparse: boolean[] = [];
      for (let i = 0; i < layers; i++) sparse.push(i >= firstDense && i % freq === 0);
      moe = { style: modelType, numExperts, topK, expertSize, sharedSize, sparse };
    }
  }

  return {
    family: moe ? 'moe' : 'decoder',
    modelType,
    vocab,
    hidden,
    layers,
    intermediate,
    tie,
    mlpBias: modelType === 'llama' ? f.bool('mlp_bias', false) : false,
    attention,
    moe,
  };
}

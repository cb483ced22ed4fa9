// Real-scale parameter calculator: ground-truth totals (the shared fixture, published checkpoints),
// each family's formula on small hand-computed configs, sharing plans, MoE active counts, adapters,
// and one test per rejected config or option.
import { describe, expect, it } from 'vitest';
import {
  CALCULATOR_LIMITS,
  CalculatorError,
  PRESETS,
  PRESET_NAMES,
  countParams,
  countParamsFromJson,
  lokrFactorization,
  parseConfigJson,
  planSlots,
  type BreakdownRow,
  type ParamComponent,
  type CountOptions,
  type ModelConfig,
  type ParamReport,
} from '../src/calculator/index.js';
import { CHECKS } from './calculator-preset-figures.js';

// Two configs as transformers 5.17's `to_dict()` writes them, verbatim, with the parameter counts
// transformers reported for them (copied here from a reference run, not in test/fixtures, whose
// calculator/param_counts.json covers other families): BertModel (with pooler) and
// MixtralForCausalLM (with lm_head).
const FIXTURE_BERT = `{"transformers_version":"5.17.0","architectures":null,"output_hidden_states":false,"return_dict":true,"dtype":null,"chunk_size_feed_forward":0,"is_encoder_decoder":false,"id2label":{"0":"LABEL_0","1":"LABEL_1"},"label2id":{"LABEL_0":0,"LABEL_1":1},"problem_type":null,"vocab_size":30522,"hidden_size":768,"num_hidden_layers":12,"num_attention_heads":12,"intermediate_size":3072,"hidden_act":"gelu","hidden_dropout_prob":0.1,"attention_probs_dropout_prob":0.1,"max_position_embeddings":512,"type_vocab_size":2,"initializer_range":0.02,"layer_norm_eps":1e-12,"pad_token_id":0,"use_cache":true,"classifier_dropout":null,"is_decoder":false,"add_cross_attention":false,"bos_token_id":null,"eos_token_id":null,"tie_word_embeddings":true,"_name_or_path":"","model_type":"bert","output_attentions":false}`;
const FIXTURE_MIXTRAL = `{"transformers_version":"5.17.0","architectures":null,"output_hidden_states":false,"return_dict":true,"dtype":null,"chunk_size_feed_forward":0,"is_encoder_decoder":false,"id2label":{"0":"LABEL_0","1":"LABEL_1"},"label2id":{"LABEL_0":0,"LABEL_1":1},"problem_type":null,"vocab_size":32000,"hidden_size":4096,"intermediate_size":14336,"num_hidden_layers":32,"num_attention_heads":32,"num_key_value_heads":8,"head_dim":null,"hidden_act":"silu","max_position_embeddings":131072,"initializer_range":0.02,"rms_norm_eps":1e-05,"use_cache":true,"pad_token_id":null,"bos_token_id":1,"eos_token_id":2,"tie_word_embeddings":false,"sliding_window":null,"attention_dropout":0.0,"num_experts_per_tok":2,"num_local_experts":8,"output_router_logits":false,"router_aux_loss_coef":0.001,"router_jitter_noise":0.0,"rope_parameters":{"rope_theta":1000000.0,"rope_type":"default"},"_name_or_path":"","model_type":"mixtral","output_attentions":false}`;

/** Sum of a report's rows of some components for one field. */
function sumRows(r: ParamReport, field: keyof Pick<BreakdownRow, 'stored' | 'effective' | 'trainable' | 'activePerToken'>, components: ParamComponent[]): number {
  return r.rows.filter((row) => components.includes(row.component)).reduce((s, row) => s + row[field], 0);
}

/** Every report must be internally consistent: rows sum to the totals, all exact integers. */
function checkConsistent(r: ParamReport): void {
  const all: ParamComponent[] = ['embeddings', 'attention', 'ffn', 'experts', 'router', 'norms', 'head', 'adapters'];
  expect(sumRows(r, 'stored', all)).toBe(r.stored);
  expect(sumRows(r, 'effective', all)).toBe(r.effective);
  expect(sumRows(r, 'trainable', all)).toBe(r.trainable);
  expect(sumRows(r, 'activePerToken', all)).toBe(r.activePerToken);
  expect(r.stored - (r.adapter?.params ?? 0)).toBe(r.total);
  for (const v of [r.total, r.stored, r.effective, r.trainable, r.activePerToken, ...Object.values(r.bytes)]) {
    expect(Number.isSafeInteger(v)).toBe(true);
  }
}

function count(config: ModelConfig, options: CountOptions = {}): ParamReport {
  const r = countParams(config, options);
  checkConsistent(r);
  return r;
}

describe('ground truth: the shared fixture', () => {
  it('BERT-base (BertModel, with pooler) = 109,482,240', () => {
    const r = countParamsFromJson(FIXTURE_BERT);
    checkConsistent(r);
    expect(r.head).toBe('none');
    expect(r.total).toBe(109_482_240);
  });

  it('Mixtral-8x7B (MixtralForCausalLM, with lm_head) = 46,702,792,704', () => {
    const r = countParamsFromJson(FIXTURE_MIXTRAL);
    checkConsistent(r);
    expect(r.head).toBe('lm');
    expect(r.total).toBe(46_702_792_704);
    // Without the head (MixtralModel) the untied lm_head's V·H goes away.
    expect(countParamsFromJson(FIXTURE_MIXTRAL, { head: 'none' }).total).toBe(46_702_792_704 - 32000 * 4096);
  });
});

describe('ground truth: presets against published sizes', () => {
  // [total, activePerToken] with the preset's default head (encoders: AutoModel; decoders: ForCausalLM).
  // Every total was found, exactly, in independent public sources (model cards, keras-hub preset metadata,
  // inference-engine logs that count loaded weights, `sum(p.numel())` printouts).
  const expected: Record<string, [number, number]> = {
    'bert-base-uncased': [109_482_240, 109_482_240],
    'bert-large-uncased': [335_141_888, 335_141_888],
    'albert-base-v2': [11_683_584, 89_650_176],
    'albert-large-v2': [17_683_968, 307_397_120],
    'albert-xxlarge-v2': [222_595_584, 2_437_773_824],
    'TinyLlama-1.1B': [1_100_048_384, 1_100_048_384],
    'Llama-2-7b': [6_738_415_616, 6_738_415_616],
    'Llama-3-8B': [8_030_261_248, 8_030_261_248],
    'Mistral-7B-v0.1': [7_241_732_096, 7_241_732_096],
    'Qwen2-0.5B': [494_032_768, 494_032_768], // tied head: active counts the matrix once, as the total does
    'Mixtral-8x7B': [46_702_792_704, 12_879_925_248],
    'Qwen1.5-MoE-A2.7B': [14_315_784_192, 2_689_173_504],
    'deepseek-moe-16b': [16_375_728_128, 2_828_650_496],
    'DeepSeek-V2-Lite': [15_706_484_224, 2_661_150_208],
    'DeepSeek-V2': [235_741_434_880, 21_375_800_320],
  };

  it('has an expectation for every preset (here, or a published figure in calculator-preset-figures.ts)', () => {
    const checked = new Set([...Object.keys(expected), ...CHECKS.map((c) => c[0])]);
    expect([...checked].sort()).toEqual([...PRESET_NAMES].sort());
  });

  for (const [name, [total, active]] of Object.entries(expected)) {
    it(`${name}: total ${total.toLocaleString('en')}, active ${active.toLocaleString('en')}`, () => {
      const r = count(PRESETS[name as keyof typeof PRESETS].config);
      expect(r.total).toBe(total);
      expect(r.activePerToken).toBe(active);
    });
  }

  it('BertForMaskedLM and AlbertForMaskedLM: no pooler, MLM head with the decoder tied', () => {
    // 109,514,298 is BertForMaskedLM's published count; 11,221,680 follows AlbertMLMHead (dense H→E,
    // LayerNorm(E), decoder E→V tied to the embeddings, one bias of V) on AlbertModel without pooler.
    const bert = count(PRESETS['bert-base-uncased'].config, { head: 'lm' });
    expect(bert.total).toBe(109_514_298);
    expect(bert.effective).toBe(109_514_298 + 30522 * 768); // the tied decoder is used again
    expect(count(PRESETS['albert-base-v2'].config, { head: 'lm' }).total).toBe(11_221_680);
  });

  it('Mixtral-8x7B active per token = total − 6 unused experts × 32 layers', () => {
    const r = count(PRESETS['Mixtral-8x7B'].config);
    const oneExpert = 3 * 4096 * 14336;
    expect(r.activePerToken).toBe(46_702_792_704 - 32 * 6 * oneExpert);
    expect(r.activePerToken / 1e9).toBeCloseTo(12.88, 2); // "12.9B active"
    const routed = r.rows.find((row) => row.name === 'routed experts')!;
    expect(routed.stored).toBe(32 * 8 * oneExpert);
    expect(routed.activePerToken).toBe(32 * 2 * oneExpert);
  });

  it('DeepSeek-V2 is 236B total and 21B active as published', () => {
    const r = count(PRESETS['DeepSeek-V2'].config);
    expect(Math.round(r.total / 1e9)).toBe(236);
    expect(Math.round(r.activePerToken / 1e9)).toBe(21);
  });

  it('bytes at every precision', () => {
    const r = count(PRESETS['Llama-2-7b'].config);
    expect(r.bytes).toEqual({
      fp32: 4 * 6_738_415_616,
      fp16: 2 * 6_738_415_616,
      bf16: 2 * 6_738_415_616,
      int8: 6_738_415_616,
      int4: 6_738_415_616 / 2,
    });
    expect(count(tinyBert, { head: 'classifier', numLabels: 1 }).bytes.int4).toBe(Math.ceil(449 / 2));
  });
});

// Small configs whose counts are worked out by hand in the comments.
const tinyBert: ModelConfig = {
  model_type: 'bert',
  vocab_size: 10,
  hidden_size: 4,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  intermediate_size: 8,
  max_position_embeddings: 6,
  type_vocab_size: 2,
};
const tinyLlama: ModelConfig = {
  model_type: 'llama',
  vocab_size: 10,
  hidden_size: 8,
  intermediate_size: 12,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
};

describe('encoders', () => {
  it('BERT: embeddings, q/k/v/o with biases, LayerNorms, FFN with biases, pooler', () => {
    // embeddings 10·4 + 6·4 + 2·4 + LN 8 = 80; layer: 4·(16+4) + 8 + (32+8) + (32+4) + 8 = 172; pooler 20.
    const r = count(tinyBert);
    expect(r.total).toBe(80 + 2 * 172 + 20);
    expect(sumRows(r, 'stored', ['embeddings'])).toBe(80);
    expect(sumRows(r, 'stored', ['attention'])).toBe(2 * 80);
    expect(sumRows(r, 'stored', ['ffn'])).toBe(2 * 76);
    expect(sumRows(r, 'stored', ['norms'])).toBe(2 * 16);
    expect(count(tinyBert, { pooler: false }).total).toBe(424);
    // BertForSequenceClassification: pooler + Linear(4, 3).
    expect(count(tinyBert, { head: 'classifier', numLabels: 3 }).total).toBe(444 + 15);
    // BertForMaskedLM: no pooler; transform 20 + LN 8 + bias 10; decoder tied (40 more effective).
    const mlm = count(tinyBert, { head: 'lm' });
    expect(mlm.total).toBe(424 + 38);
    expect(mlm.effective).toBe(424 + 38 + 40);
    expect(count({ ...tinyBert, tie_word_embeddings: false }, { head: 'lm' }).total).toBe(424 + 38 + 40);
  });

  it('ALBERT: factorized embeddings and layer groups (stored unique layers, effective slots)', () => {
    // embeddings 10·2 + 6·2 + 2·2 + LN 4 = 40; projection 2·4 + 4 = 12; 2 groups × 2 inner layers of 172; pooler 20.
    const r = count({
      model_type: 'albert',
      vocab_size: 10,
      embedding_size: 2,
      hidden_size: 4,
      num_hidden_layers: 4,
      num_attention_heads: 2,
      intermediate_size: 8,
      max_position_embeddings: 6,
      num_hidden_groups: 2,
      inner_group_num: 2,
    });
    expect(r.total).toBe(40 + 12 + 4 * 172 + 20);
    expect(r.uniqueBlocks).toBe(4);
    expect(r.slots).toBe(8); // 4 layers × 2 inner layers each
    expect(r.effective).toBe(40 + 12 + 8 * 172 + 20);
    expect(r.rows.find((row) => row.name === 'embedding projection (E→H)')!.stored).toBe(12);
  });
});

describe('dense decoders', () => {
  it('LLaMA: GQA q/k/v/o, SwiGLU, RMSNorms, final norm, untied lm_head', () => {
    // head_dim 2: q 8·8, k 8·4, v 8·4, o 8·8 = 192; SwiGLU 3·8·12 = 288; norms 16 → 496 per layer.
    const r = count(tinyLlama);
    expect(r.total).toBe(80 + 2 * 496 + 8 + 80);
    expect(sumRows(r, 'stored', ['attention'])).toBe(2 * 192);
    expect(count(tinyLlama, { head: 'none' }).total).toBe(80 + 2 * 496 + 8);
    expect(count(tinyLlama, { head: 'classifier', numLabels: 3 }).total).toBe(80 + 2 * 496 + 8 + 24);
  });

  it('tied embeddings are stored once and used twice', () => {
    const r = count({ ...tinyLlama, tie_word_embeddings: true });
    expect(r.total).toBe(80 + 2 * 496 + 8);
    expect(r.effective).toBe(r.total + 80);
    expect(r.rows.find((row) => row.component === 'head')!.stored).toBe(0);
  });

  it('biases: llama attention_bias (q/k/v/o), mlp_bias, qwen2 (q/k/v only), mistral (none)', () => {
    const base = 80 + 2 * 496 + 8 + 80;
    expect(count({ ...tinyLlama, attention_bias: true }).total).toBe(base + 2 * (8 + 4 + 4 + 8));
    expect(count({ ...tinyLlama, mlp_bias: true }).total).toBe(base + 2 * (12 + 12 + 8));
    expect(count({ ...tinyLlama, model_type: 'qwen2' }).total).toBe(base + 2 * (8 + 4 + 4));
    expect(count({ ...tinyLlama, model_type: 'mistral' }).total).toBe(base);
  });

  it('explicit head_dim overrides hidden_size / heads', () => {
    // head_dim 3: q 8·12, k 8·6, v 8·6, o 12·8 = 288 instead of 192.
    expect(count({ ...tinyLlama, head_dim: 3 }).total).toBe(80 + 2 * (288 + 288 + 16) + 8 + 80);
  });

  it('DeepSeek-V2 multi-head latent attention', () => {
    const mla = {
      model_type: 'deepseek_v2',
      vocab_size: 10,
      hidden_size: 8,
      intermediate_size: 12,
      num_hidden_layers: 1,
      num_attention_heads: 2,
      n_routed_experts: null,
      q_lora_rank: null,
      kv_lora_rank: 4,
      qk_nope_head_dim: 3,
      qk_rope_head_dim: 2,
      v_head_dim: 3,
    } as const;
    // q_proj 8·2·5 = 80; kv_a 8·(4+2) = 48; kv_a norm 4; kv_b 4·2·(3+3) = 48; o 2·3·8 = 48 → 228.
    const rest = 80 + 288 + 16 + 8 + 80;
    expect(count(mla).total).toBe(228 + rest);
    // q_lora_rank 5: q_a 8·5 = 40, norm 5, q_b 5·10 = 50 replace q_proj (80).
    expect(count({ ...mla, q_lora_rank: 5 }).total).toBe(228 - 80 + 95 + rest);
    // attention_bias: q_a +5, kv_a +6, o +8.
    expect(count({ ...mla, q_lora_rank: 5, attention_bias: true }).total).toBe(228 - 80 + 95 + 19 + rest);
  });
});

describe('MoE decoders', () => {
  it('Mixtral: E SwiGLU experts, router without bias; active = all but the unrouted experts', () => {
    // attention 192, experts 4·288, router 8·4 = 32, norms 16 → 1392 per layer.
    const mixtral: ModelConfig = { ...tinyLlama, model_type: 'mixtral', num_local_experts: 4, num_experts_per_tok: 2 };
    const r = count(mixtral);
    expect(r.family).toBe('moe');
    expect(r.total).toBe(80 + 2 * 1392 + 8 + 80);
    expect(r.activePerToken).toBe(80 + 2 * (192 + 2 * 288 + 32 + 16) + 8 + 80);
    expect(r.rows.find((row) => row.component === 'router')!.stored).toBe(64);
  });

  it('Qwen2-MoE: routed + shared expert + shared-expert gate, q/k/v bias, mlp_only_layers', () => {
    const cfg: ModelConfig = {
      model_type: 'qwen2_moe',
      vocab_size: 10,
      hidden_size: 8,
      intermediate_size: 12,
      num_hidden_layers: 3,
      num_attention_heads: 4,
      num_experts: 4,
      num_experts_per_tok: 2,
      moe_intermediate_size: 6,
      shared_expert_intermediate_size: 10,
      mlp_only_layers: [1],
    };
    // attention 4·64 + q/k/v bias 24 = 280; norms 16; sparse FFN: gate 32 + 4·144 + shared 240 + shared gate 8 = 856;
    // layer 1 dense: 288.
    const r = count(cfg);
    expect(r.total).toBe(3 * 280 + 3 * 16 + 2 * 856 + 288 + 80 + 8 + 80);
    expect(r.activePerToken).toBe(3 * 280 + 3 * 16 + 2 * (32 + 2 * 144 + 240 + 8) + 288 + 168);
    expect(r.rows.find((row) => row.name === 'shared-expert gate')!.stored).toBe(16);
    // decoder_sparse_step 3: only layer 2 ((i + 1) % 3 == 0) is sparse.
    expect(count({ ...cfg, mlp_only_layers: [], decoder_sparse_step: 3 }).total).toBe(
      3 * 280 + 3 * 16 + 856 + 2 * 288 + 168,
    );
  });

  it('DeepSeekMoE: shared experts merged, router weight, first_k_dense_replace and moe_layer_freq', () => {
    const cfg: ModelConfig = {
      model_type: 'deepseek',
      vocab_size: 10,
      hidden_size: 8,
      intermediate_size: 12,
      num_hidden_layers: 4,
      num_attention_heads: 4,
      n_routed_experts: 4,
      n_shared_experts: 2,
      num_experts_per_tok: 2,
      moe_intermediate_size: 6,
      first_k_dense_replace: 1,
      moe_layer_freq: 2,
    };
    // attention 256, norms 16; MoE FFN: gate 32 + 4·144 + shared (2·6 = 12 wide) 288 = 896; only layer 2 is sparse.
    const r = count(cfg);
    expect(r.total).toBe(4 * (256 + 16) + 896 + 3 * 288 + 168);
    expect(r.activePerToken).toBe(4 * (256 + 16) + 32 + 2 * 144 + 288 + 3 * 288 + 168);
    // n_routed_experts null: a dense model.
    expect(count({ ...cfg, n_routed_experts: null }).family).toBe('decoder');
  });
});

describe('sharing plans', () => {
  const deep: ModelConfig = { ...tinyLlama, num_hidden_layers: 12 };
  const block = 496;
  const outside = 80 + 8 + 80;
  const blockComponents: ParamComponent[] = ['attention', 'ffn', 'experts', 'router', 'norms'];

  it('slot maps', () => {
    expect(planSlots('none', 4)).toEqual([0, 1, 2, 3]);
    expect(planSlots('all-shared', 4)).toEqual([0, 0, 0, 0]);
    expect(planSlots({ name: 'groups', groups: 2 }, 6)).toEqual([0, 0, 0, 1, 1, 1]);
    expect(planSlots({ name: 'block-repeat', repeat: 2 }, 6)).toEqual([0, 0, 1, 1, 2, 2]);
    expect(planSlots({ name: 'sandwich' }, 5)).toEqual([0, 1, 1, 1, 2]);
    expect(planSlots({ name: 'cycle', unique: 2 }, 5)).toEqual([0, 1, 0, 1, 0]);
    expect(planSlots({ name: 'cycle-reverse', unique: 2 }, 5)).toEqual([0, 1, 0, 1, 0]);
    expect(planSlots({ name: 'custom', map: [1, 0, 1, 0] }, 4)).toEqual([1, 0, 1, 0]);
  });

  it('12-slot all-shared stores 1/12 of the effective block parameters', () => {
    const r = count(deep, { sharing: 'all-shared' });
    expect(r.uniqueBlocks).toBe(1);
    expect(r.slots).toBe(12);
    // The final RMSNorm is outside the blocks: subtract it from the norms rows.
    const storedBlocks = sumRows(r, 'stored', blockComponents) - 8;
    const effectiveBlocks = sumRows(r, 'effective', blockComponents) - 8;
    expect(storedBlocks).toBe(block);
    expect(effectiveBlocks).toBe(12 * storedBlocks);
    expect(r.total).toBe(outside + block);
    expect(r.effective).toBe(outside + 12 * block);
    expect(r.activePerToken).toBe(r.effective);
    // Unshared, the same model stores what it uses.
    expect(count(deep).total).toBe(count(deep, { sharing: 'all-shared' }).effective);
  });

  it.each([
    [{ name: 'groups', groups: 3 } as const, 3],
    [{ name: 'block-repeat', repeat: 2 } as const, 6],
    [{ name: 'sandwich' } as const, 3],
    [{ name: 'cycle', unique: 4 } as const, 4],
    [{ name: 'cycle-reverse', unique: 4 } as const, 4],
    [{ name: 'custom', map: [1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0] }, 2],
  ])('%j stores %i blocks and uses 12', (plan, unique) => {
    const r = count(deep, { sharing: plan });
    expect(r.uniqueBlocks).toBe(unique);
    expect(r.total).toBe(outside + unique * block);
    expect(r.effective).toBe(outside + 12 * block);
  });

  it('BERT layers can share too', () => {
    const r = count({ ...tinyBert, num_hidden_layers: 6 }, { sharing: 'all-shared' });
    expect(r.total).toBe(80 + 172 + 20);
    expect(r.effective).toBe(80 + 6 * 172 + 20);
  });

  it('MoE with sharing counts k experts per slot', () => {
    const cfg: ModelConfig = { ...deep, model_type: 'mixtral', num_local_experts: 4, num_experts_per_tok: 1 };
    const r = count(cfg, { sharing: 'all-shared' });
    expect(r.total).toBe(outside + 1392);
    expect(r.activePerToken).toBe(outside + 12 * (192 + 288 + 32 + 16));
  });
});

describe('adapters', () => {
  it('LoRA r=8 on q,v of LLaMA-7B = 4,194,304 trainable (PEFT prints "all params: 6,742,609,920")', () => {
    const r = count(PRESETS['Llama-2-7b'].config, { adapter: { method: 'lora', r: 8, targetModules: ['q_proj', 'v_proj'] } });
    expect(r.trainable).toBe(4_194_304);
    expect(r.stored).toBe(6_742_609_920);
    expect(r.total).toBe(6_738_415_616);
    expect(r.adapter).toEqual({ method: 'lora', targetedModules: 64, params: 4_194_304 });
    expect(sumRows(r, 'trainable', ['attention', 'ffn', 'embeddings', 'norms', 'head'])).toBe(0);
    // The default targets of llama are q_proj and v_proj.
    expect(count(PRESETS['Llama-2-7b'].config, { adapter: { method: 'lora', r: 8 } }).trainable).toBe(4_194_304);
  });

  it('LoRA r=8 on every Linear of Llama-2-7b including lm_head = 20,277,248 (a published training log)', () => {
    const targetModules = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj', 'lm_head'];
    const r = count(PRESETS['Llama-2-7b'].config, { adapter: { method: 'lora', r: 8, targetModules } });
    expect(r.trainable).toBe(20_277_248);
  });

  it('BERT query,value and the no-adapter case', () => {
    // 12 layers × 2 modules × 8·(768 + 768).
    expect(count(PRESETS['bert-base-uncased'].config, { adapter: { method: 'lora', r: 8 } }).trainable).toBe(294_912);
    expect(count(PRESETS['bert-base-uncased'].config).trainable).toBe(109_482_240);
  });

  it('DoRA adds the magnitude vector (out) per Linear', () => {
    const r = count(PRESETS['Llama-2-7b'].config, { adapter: { method: 'lora', r: 8, dora: true } });
    expect(r.trainable).toBe(4_194_304 + 32 * (4096 + 4096));
    expect(r.rows.at(-1)!.name).toBe('LoRA r=8 (DoRA)');
  });

  it('LoHa is 2r(in + out) per Linear', () => {
    // tinyLlama q_proj 8→8, v_proj 8→4, r=2: 2·2·16 + 2·2·12 = 112 per layer.
    expect(count(tinyLlama, { adapter: { method: 'loha', r: 2 } }).trainable).toBe(2 * 112);
  });

  it('LoKr follows PEFT factorization and full/low-rank choice', () => {
    expect(lokrFactorization(256)).toEqual([16, 16]);
    expect(lokrFactorization(128)).toEqual([8, 16]);
    expect(lokrFactorization(127)).toEqual([1, 127]);
    expect(lokrFactorization(128, 4)).toEqual([4, 32]);
    expect(lokrFactorization(11008)).toEqual([86, 128]);
    // 4096 → (64, 64) both ways; W1 64·64 full; r=8 < 64/2 so W2 is 8·(64+64): 5120 per q_proj.
    // v_proj 4096→4096 too (MHA); 32 layers × 2 × 5120.
    expect(count(PRESETS['Llama-2-7b'].config, { adapter: { method: 'lokr', r: 8 } }).trainable).toBe(32 * 2 * 5120);
    // decomposeBoth: W1 also low-rank (8 < 32): 8·128 + 1024.
    expect(
      count(PRESETS['Llama-2-7b'].config, { adapter: { method: 'lokr', r: 8, decomposeBoth: true } }).trainable,
    ).toBe(32 * 2 * 2048);
    // r=32 ≥ 64/2: W2 full (64·64).
    expect(count(PRESETS['Llama-2-7b'].config, { adapter: { method: 'lokr', r: 32 } }).trainable).toBe(32 * 2 * 8192);
  });

  it('IA3: out per target, in for feed-forward targets', () => {
    // Llama-2-7b defaults k_proj, v_proj (4096 each) and down_proj (feed-forward, in = 11008).
    const r = count(PRESETS['Llama-2-7b'].config, { adapter: { method: 'ia3' } });
    expect(r.trainable).toBe(32 * (4096 + 4096 + 11008));
    expect(r.adapter!.targetedModules).toBe(96);
  });

  it('regex targets, embeddings, and adapters on routed experts (active: k experts)', () => {
    // PEFT: a string is matched against the whole module path.
    const r = count(tinyLlama, { adapter: { method: 'lora', r: 1, targetModules: 'model\\.layers\\.0\\.self_attn\\.q_proj' } });
    expect(r.trainable).toBe(16);
    expect(count(tinyLlama, { adapter: { method: 'lora', r: 2, targetModules: ['embed_tokens'] } }).trainable).toBe(2 * 18);
    const mixtral: ModelConfig = { ...tinyLlama, model_type: 'mixtral', num_local_experts: 4, num_experts_per_tok: 2 };
    // w1 8→12, r=2: 40 per expert; 4 experts × 2 layers stored, 2 experts × 2 layers active.
    const m = count(mixtral, { adapter: { method: 'lora', r: 2, targetModules: ['w1'] } });
    expect(m.trainable).toBe(320);
    expect(m.rows.at(-1)!.activePerToken).toBe(160);
    // Only experts 0 and 1 of each layer, by regex.
    const part = count(mixtral, { adapter: { method: 'lora', r: 2, targetModules: '.*experts\\.[01]\\.w1' } });
    expect(part.trainable).toBe(160);
    expect(part.adapter!.targetedModules).toBe(4);
  });

  it('adapters on shared blocks are stored once and used per slot', () => {
    const r = count({ ...tinyLlama, num_hidden_layers: 12 }, { sharing: 'all-shared', adapter: { method: 'lora', r: 1 } });
    // q 8→8: 16, v 8→4: 12 → 28 once, 12 uses.
    expect(r.trainable).toBe(28);
    expect(r.rows.at(-1)!.effective).toBe(12 * 28);
  });
});

describe('config.json parsing', () => {
  it('reads model_type, or architectures when model_type is missing', () => {
    const json = JSON.stringify({ ...PRESETS['Llama-2-7b'].config, model_type: undefined, architectures: ['LlamaForCausalLM'] });
    expect(parseConfigJson(json).model_type).toBe('llama');
    expect(countParamsFromJson(json).total).toBe(6_738_415_616);
    expect(parseConfigJson(JSON.stringify({ ...tinyBert, architectures: ['BertForMaskedLM'] })).model_type).toBe('bert');
  });

  it('null optional fields take their defaults', () => {
    const cfg = { ...tinyLlama, num_key_value_heads: null, head_dim: null, tie_word_embeddings: null };
    // MHA: k and v are 8→8, so attention is 256 per layer.
    expect(countParamsFromJson(JSON.stringify(cfg)).total).toBe(80 + 2 * (256 + 288 + 16) + 8 + 80);
  });
});

describe('rejects bad configs with a message naming the field, the value and what is allowed', () => {
  const bad = (text: string, message: RegExp) => {
    let error: unknown;
    try {
      countParamsFromJson(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CalculatorError);
    expect((error as Error).message).toMatch(message);
  };
  const llama = (patch: Record<string, unknown>) => JSON.stringify({ ...tinyLlama, ...patch });

  it('malformed JSON', () => bad('{"model_type": "llama",', /config\.json: not valid JSON/));
  it('not an object', () => bad('[1, 2]', /expected a JSON object with a model_type, got an array/));
  it('text over the size limit', () =>
    bad(' '.repeat(CALCULATOR_LIMITS.maxConfigChars + 1), /characters is too long: expected at most 1000000/));
  it('unknown model_type', () => bad(llama({ model_type: 'falcon' }), /model_type="falcon" is not supported: expected one of bert, albert, llama/));
  it('missing model_type and architectures', () => bad(llama({ model_type: undefined }), /missing required field model_type/));
  it('unknown architecture', () =>
    bad(llama({ model_type: undefined, architectures: ['FalconForCausalLM'] }), /architectures\[0\]="FalconForCausalLM" is not a supported architecture/));
  it('wrong type', () => bad(llama({ hidden_size: '768' }), /hidden_size="768" is not allowed: expected an integer in \[1, 65536\]/));
  it('negative size', () => bad(llama({ num_hidden_layers: -1 }), /num_hidden_layers=-1 is not allowed: expected an integer in \[1, 1024\]/));
  it('non-integer size', () => bad(llama({ intermediate_size: 3072.5 }), /intermediate_size=3072.5 is not allowed/));
  it('huge size', () => bad(llama({ vocab_size: 1e12 }), /vocab_size=1000000000000 is not allowed: expected an integer in \[1, 4194304\]/));
  it('missing required field', () =>
    bad(llama({ hidden_size: undefined }), /missing required field hidden_size \(an integer in \[1, 65536\]\) for model_type "llama"/));
  it('heads that do not divide hidden_size', () => bad(llama({ num_attention_heads: 3, num_key_value_heads: 3 }), /num_attention_heads=3 is not allowed: expected a divisor of hidden_size=8/));
  it('key/value heads that do not divide the heads', () =>
    bad(llama({ num_key_value_heads: 3 }), /num_key_value_heads=3 is not allowed: expected a divisor of num_attention_heads=4/));
  it('wrong boolean', () => bad(llama({ tie_word_embeddings: 'yes' }), /tie_word_embeddings="yes" is not allowed: expected true or false/));
  it('top-k above the expert count', () =>
    bad(llama({ model_type: 'mixtral', num_local_experts: 8, num_experts_per_tok: 9 }), /num_experts_per_tok=9 is not allowed: expected an integer in \[1, 8\]/));
  it('missing MoE field', () =>
    bad(llama({ model_type: 'mixtral', num_experts_per_tok: 2 }), /missing required field num_local_experts/));
  it('mlp_only_layers out of range', () =>
    bad(
      JSON.stringify({ ...tinyLlama, model_type: 'qwen2_moe', num_experts: 4, num_experts_per_tok: 2, moe_intermediate_size: 4, shared_expert_intermediate_size: 4, mlp_only_layers: [5] }),
      /mlp_only_layers\[0\]=5 is not allowed: expected an integer in \[0, 1\]/,
    ));
  it('ALBERT groups that do not fit the layers', () =>
    bad(JSON.stringify({ ...tinyBert, model_type: 'albert', num_hidden_layers: 5, num_hidden_groups: 2 }), /num_hidden_groups=2 is not allowed: expected a divisor of num_hidden_layers=5/));
  it('relative position embeddings', () =>
    bad(JSON.stringify({ ...tinyBert, position_embedding_type: 'relative_key' }), /position_embedding_type="relative_key" is not allowed: expected one of "absolute"/));
  it('deepseek_v2 without its MLA fields', () =>
    bad(JSON.stringify({ ...tinyLlama, model_type: 'deepseek_v2', n_routed_experts: null }), /missing required field q_lora_rank/));
  it('a count too large to be exact', () =>
    bad(
      llama({ model_type: 'mixtral', num_local_experts: 1024, num_experts_per_tok: 2, hidden_size: 65536, num_attention_heads: 64, num_key_value_heads: 64, intermediate_size: 1_048_576, num_hidden_layers: 1024 }),
      /exceeds Number.MAX_SAFE_INTEGER/,
    ));
});

describe('rejects bad options', () => {
  const bad = (options: unknown, message: RegExp, config: ModelConfig = tinyLlama) => {
    expect(() => countParams(config, options as CountOptions)).toThrow(message);
  };
  it('head', () => bad({ head: 'mlm' }, /head="mlm" is not allowed: expected one of none, lm, classifier/));
  it('numLabels', () => bad({ head: 'classifier', numLabels: 0 }, /numLabels=0 is not allowed/));
  it('sharing plan name', () => bad({ sharing: { name: 'ring' } }, /sharing: planSlots: plan name="ring" is not registered/));
  it('sharing plan without a name', () => bad({ sharing: { kind: 'all' } }, /plan=\{"kind":"all"\} must be a plan name or \{ name, \.\.\.options \}/));
  it('sharing plan option typo', () => bad({ sharing: { name: 'groups', gruops: 2 } }, /sharing plan 'groups': unknown option 'gruops'; did you mean 'groups'\?/));
  it('sharing groups that do not divide', () =>
    bad({ sharing: { name: 'groups', groups: 5 } }, /groups=5 must divide the number of slots \(depth=12\) \(the slots are the num_hidden_layers=12 layers\)/, { ...tinyLlama, num_hidden_layers: 12 }));
  it('sandwich on too few layers', () => bad({ sharing: { name: 'sandwich' } }, /sharing plan 'sandwich': depth=2 must be ≥ 3/));
  it('custom map of the wrong length', () => bad({ sharing: { name: 'custom', map: [0] } }, /map=\[0\] must be an array of 2 block indices/));
  it('sharing across a dense and an MoE layer', () =>
    bad({ sharing: 'all-shared' }, /puts layer 0 \(dense\) and layer 1 \(moe\) in one block/, PRESETS['deepseek-moe-16b'].config));
  it('sharing plan on ALBERT', () => bad({ sharing: 'all-shared' }, /cannot be applied to albert/, PRESETS['albert-base-v2'].config));
  it('adapter rank', () => bad({ adapter: { method: 'lora', r: 0 } }, /adapter: r=0 is not allowed: expected an integer in \[1, 65536\]/));
  it('adapter method', () => bad({ adapter: { method: 'prefix', r: 8 } }, /method="prefix" is not supported/));
  it('adapter targets that match nothing', () =>
    bad({ adapter: { method: 'lora', r: 8, targetModules: ['query'] } }, /matched no module of llama; modules an adapter can wrap here: embed_tokens, q_proj/));
  it('adapter regex that does not compile', () => bad({ adapter: { method: 'lora', r: 8, targetModules: '(' } }, /is not a valid regular expression/));
  it('LoHa on an embedding', () => bad({ adapter: { method: 'loha', r: 8, targetModules: ['embed_tokens'] } }, /loha cannot wrap the embedding/));
  it('no default targets for deepseek', () =>
    bad({ adapter: { method: 'lora', r: 8 } }, /targetModules is required for lora on model_type "deepseek"/, PRESETS['deepseek-moe-16b'].config));
});

describe('hostile sizes are counted or refused', () => {
  const huge: ModelConfig = {
    model_type: 'qwen2_moe',
    vocab_size: CALCULATOR_LIMITS.maxVocab,
    hidden_size: 64,
    intermediate_size: 64,
    num_hidden_layers: CALCULATOR_LIMITS.maxLayers,
    num_attention_heads: 4,
    num_experts: CALCULATOR_LIMITS.maxExperts,
    num_experts_per_tok: 8,
    moe_intermediate_size: 64,
    shared_expert_intermediate_size: 64,
  };
  const evenExperts = '.*experts\\.[0-9]*[02468]\\.up_proj';

  // How fast is not asserted (a busy machine is slow, not wrong); a hang fails on the test timeout.
  it('the largest allowed config counts, also with adapters on every expert', () => {
    const r = count(huge, { adapter: { method: 'lora', r: 4, targetModules: ['up_proj'] } });
    expect(r.adapter!.targetedModules).toBe(1024 * 2049); // 2048 experts + the shared expert in each of 1024 layers
  });

  it('per-expert patterns are budgeted: within the budget they count, past it they are refused', () => {
    const r = count({ ...huge, num_hidden_layers: 128 }, { adapter: { method: 'lora', r: 4, targetModules: evenExperts } });
    expect(r.adapter!.targetedModules).toBe(128 * 1024);
    expect(() => count(huge, { adapter: { method: 'lora', r: 4, targetModules: evenExperts } })).toThrow(
      /must be tested on each expert's path separately .* takes 6291456 tests here, more than 1048576/,
    );
  });
});

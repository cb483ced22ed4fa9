// The calculator's newer families against test/fixtures/calculator/param_counts.json: `sum(p.numel())` of
// transformers 5.17 models built on the meta device for small configs of each model_type, with the full
// config as transformers wrote it, the model class, the input-embedding size and every parameter's count.
// Each family must match exactly: the total, the input embedding, and every module's parameters (module
// paths as transformers names them; v5's fused expert tensors compared with the per-expert rows summed).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CalculatorError, PRESETS, countParams, countParamsFromJson, parameterModules, type HeadKind, type ModelConfig } from '../src/calculator/index.js';

interface FixtureModel {
  model_type: string;
  class: string;
  config: Record<string, unknown>;
  total: number;
  input_embedding: number;
  tied_embeddings: boolean;
  per_parameter: Record<string, number>;
}
const FIXTURE = JSON.parse(
  readFileSync(new URL('../../../test/fixtures/calculator/param_counts.json', import.meta.url), 'utf8'),
) as Record<string, FixtureModel>;

/** The head a transformers class name counts. */
function headOf(cls: string): HeadKind {
  return /ForCausalLM$|LMHeadModel$|ForConditionalGeneration$/.test(cls) ? 'lm' : /ForSequenceClassification$/.test(cls) ? 'classifier' : 'none';
}

/**
 * Parameter name → module key: drop `.weight`/`.bias` (and v5's `_bias` of fused expert tensors), and
 * write every expert index (`experts.3.`, `experts.expert_3.`) or fused expert tensor (`experts.gate_up_proj`)
 * as `experts.*.`.
 */
function moduleKey(name: string): string {
  return name
    .replace(/\.(weight|bias)$/, '')
    .replace(/_proj_bias$/, '_proj')
    .replace(/\.experts\.(expert_)?\d+\./, '.experts.*.')
    .replace(/\.experts\.(gate_up_proj|down_proj|gate_proj|up_proj)$/, '.experts.*.$1');
}

function sumBy(entries: [string, number][]): Map<string, number> {
  const m = new Map<string, number>();
  for (const [k, v] of entries) m.set(k, (m.get(k) ?? 0) + v);
  return m;
}

describe('fixture: every family matches transformers exactly', () => {
  for (const [name, fx] of Object.entries(FIXTURE)) {
    it(`${name} (${fx.class}): total ${fx.total}, input embedding ${fx.input_embedding}, every module`, () => {
      const head = headOf(fx.class);
      const report = countParamsFromJson(JSON.stringify(fx.config), { head });
      expect(report.modelType).toBe(fx.model_type);
      expect(report.total).toBe(fx.total);
      expect(report.inputEmbedding).toBe(fx.input_embedding);
      // Non-embedding: without the input embedding and an untied vocabulary head.
      const vocabHead = fx.tied_embeddings ? 0 : (fx.per_parameter['lm_head.weight'] ?? 0) + (fx.per_parameter['lm_head.bias'] ?? 0);
      expect(report.nonEmbedding).toBe(fx.total - fx.input_embedding - vocabHead);
      const expected = sumBy(Object.entries(fx.per_parameter).map(([k, v]) => [moduleKey(k), v]));
      const ours = sumBy(parameterModules(fx.config as ModelConfig, { head }).map((m) => [m.path, m.params]));
      expect(Object.fromEntries(ours)).toEqual(Object.fromEntries(expected));
    });
  }
});

describe('fixture configs stay valid and every count-changing field is understood', () => {
  it('a field the calculator does not know is refused with its name', () => {
    for (const fx of Object.values(FIXTURE)) {
      const text = JSON.stringify({ ...fx.config, shared_layer_count: 2 });
      expect(() => countParamsFromJson(text)).toThrow(CalculatorError);
      expect(() => countParamsFromJson(text)).toThrow(/field "shared_layer_count" is not understood for model_type/);
    }
  });

  it('fields that change no count are accepted (old and new spellings)', () => {
    const extra = { torch_dtype: 'bfloat16', rope_theta: 10000, attention_dropout: 0.1, transformers_version: '4.51.0', architectures: ['X'], use_cache: false };
    for (const fx of Object.values(FIXTURE)) {
      const base = countParams(fx.config as ModelConfig, { head: headOf(fx.class) }).total;
      const cfg = { ...fx.config, ...extra, model_type: fx.model_type };
      expect(countParams(cfg as ModelConfig, { head: headOf(fx.class) }).total).toBe(base);
    }
  });
});

describe('structure the fixture configs do not exercise, against hand counts', () => {
  const tiny = (type: string) => structuredClone(FIXTURE[`tiny-${type}`]!.config);

  it('DeepSeek-V2-Lite with num_experts_per_tok null counts the same (the count does not depend on k)', () => {
    const lite = { ...(PRESETS['DeepSeek-V2-Lite'].config as Record<string, unknown>), num_experts_per_tok: null };
    expect(countParams(lite as ModelConfig).total).toBe(15_706_484_224);
  });

  it('Llama 4: interleave_moe_layer_step 2 makes layers 1 and 3 MoE (dense layers use intermediate_size_mlp)', () => {
    const cfg = { ...tiny('llama4_text'), num_hidden_layers: 4, moe_layers: null, no_rope_layers: null, layer_types: null };
    const H = 32, I = 48, Imlp = 64, E = 4;
    const attn = 4 * 8 * H * 2 + 2 * 8 * H * 2; // q, o: 32×32; k, v: 16×32
    const dense = 3 * H * Imlp;
    const moe = H * E + E * (H * 2 * I + I * H) + 3 * H * I;
    const perLayerNorms = 2 * H;
    const expected = 64 * H * 2 + H + 2 * (attn + dense + perLayerNorms) + 2 * (attn + moe + perLayerNorms);
    expect(countParams(cfg as ModelConfig).total).toBe(expected);
  });

  it('T5 v1.1 ("gated-gelu", untied): wi_0 and wi_1 in every block, an lm_head of its own', () => {
    const base = countParams(tiny('t5') as ModelConfig).total;
    const gated = countParams({ ...tiny('t5'), feed_forward_proj: 'gated-gelu', is_gated_act: true, tie_word_embeddings: false } as ModelConfig).total;
    expect(gated - base).toBe((2 + 2) * 32 * 48 + 64 * 32);
    expect(() => countParams({ ...tiny('t5'), feed_forward_proj: 'gated-gelu', is_gated_act: false } as ModelConfig)).toThrow(/is_gated_act=false is not allowed/);
  });

  it('GPT-2 with add_cross_attention: c_attn (H→2H), q_attn, c_proj with biases and ln_cross_attn per layer', () => {
    const H = 32;
    const plain = countParams(tiny('gpt2') as ModelConfig).total;
    const cross = countParams({ ...tiny('gpt2'), add_cross_attention: true } as ModelConfig).total;
    expect(cross - plain).toBe(2 * (H * 2 * H + 2 * H + 2 * (H * H + H) + 2 * H));
  });

  it('Switch: sparse blocks from num_sparse_encoder_layers when no step is given (12 layers, 6 sparse → 1, 3, …, 11)', () => {
    const cfg = { ...tiny('switch_transformers'), num_layers: 12, num_decoder_layers: 12, num_sparse_encoder_layers: 6, num_sparse_decoder_layers: 6 };
    delete (cfg as Record<string, unknown>).encoder_sparse_step;
    delete (cfg as Record<string, unknown>).decoder_sparse_step;
    const r = countParams(cfg as ModelConfig);
    const router = r.rows.find((row) => row.component === 'router')!;
    expect(router.stored).toBe(12 * 32 * 4);
  });

  it('Mamba: time_step_rank "auto" is ⌈H/16⌉ and intermediate_size defaults to expand × H', () => {
    const cfg = { ...tiny('mamba'), time_step_rank: 'auto', intermediate_size: undefined };
    delete (cfg as Record<string, unknown>).intermediate_size;
    expect(countParams(cfg as ModelConfig).total).toBe(FIXTURE['tiny-mamba']!.total);
  });

  it('refuses what it cannot count: moe_layer_freq ≠ 1 on DeepSeek-V3, pruned heads, a multimodal model_type', () => {
    expect(() => countParams({ ...tiny('deepseek_v3'), moe_layer_freq: 2 } as ModelConfig)).toThrow(/moe_layer_freq=2 is not allowed/);
    expect(() => countParams({ ...tiny('qwen3'), pruned_heads: { 0: [1] } } as ModelConfig)).toThrow(/pruned_heads=.* is not allowed/);
    expect(() => countParams({ ...tiny('gemma3_text'), model_type: 'gemma3' } as unknown as ModelConfig)).toThrow(/paste its text_config/);
  });

  it('the MTP module of DeepSeek-V3 is reported apart and never in the total', () => {
    const r = countParams(tiny('deepseek_v3') as ModelConfig);
    expect(r.total).toBe(FIXTURE['tiny-deepseek_v3']!.total);
    // One MoE layer as in layers 1 and 2 (5,264 + 12,288 + 256 + 1,536 + 64) + enorm, hnorm, shared_head.norm (3×32) + eh_proj (64×32).
    const layer = Object.entries(FIXTURE['tiny-deepseek_v3']!.per_parameter).filter(([k]) => k.startsWith('model.layers.2.')).reduce((s, [, v]) => s + v, 0);
    expect(r.mtp!.params).toBe(layer + 3 * 32 + 64 * 32);
    expect(r.mtp!.withSharedCopies).toBe(r.mtp!.params + 2 * 64 * 32);
  });
});

describe('published config.json files (every field as on the Hub) are accepted and count as their presets', () => {
  // Field sets as the Hub's config.json files have them (values that do not change the count abridged).
  const HUB: Array<[keyof typeof PRESETS, Record<string, unknown>]> = [
    ['gpt-oss-20b', {
      architectures: ['GptOssForCausalLM'], attention_bias: true, attention_dropout: 0.0, eos_token_id: 200002, experts_per_token: 4, head_dim: 64,
      hidden_act: 'silu', hidden_size: 2880, initial_context_length: 4096, initializer_range: 0.02, intermediate_size: 2880,
      layer_types: Array.from({ length: 24 }, (_, i) => (i % 2 ? 'full_attention' : 'sliding_attention')), max_position_embeddings: 131072,
      model_type: 'gpt_oss', num_attention_heads: 64, num_experts_per_tok: 4, num_hidden_layers: 24, num_key_value_heads: 8, num_local_experts: 32,
      output_router_logits: false, pad_token_id: 199999, quantization_config: { modules_to_not_convert: ['model.layers.*.self_attn'], quant_method: 'mxfp4' },
      rms_norm_eps: 1e-5, rope_scaling: { beta_fast: 32.0, beta_slow: 1.0, factor: 32.0, original_max_position_embeddings: 4096, rope_type: 'yarn', truncate: false },
      rope_theta: 150000, router_aux_loss_coef: 0.9, sliding_window: 128, swiglu_limit: 7.0, tie_word_embeddings: false, transformers_version: '4.55.0.dev0',
      use_cache: true, vocab_size: 201088,
    }],
    ['Phi-3.5-MoE', {
      architectures: ['PhiMoEForCausalLM'], auto_map: { AutoConfig: 'configuration_phimoe.PhiMoEConfig' }, attention_bias: true, attention_dropout: 0.0,
      bos_token_id: 1, eos_token_id: 32000, hidden_act: 'silu', hidden_dropout: 0.0, hidden_size: 4096, initializer_range: 0.02, input_jitter_noise: 0.01,
      intermediate_size: 6400, lm_head_bias: true, max_position_embeddings: 131072, model_type: 'phimoe', num_attention_heads: 32, num_experts_per_tok: 2,
      num_hidden_layers: 32, num_key_value_heads: 8, num_local_experts: 16, original_max_position_embeddings: 4096, output_router_logits: false,
      rms_norm_eps: 1e-5, rope_scaling: { long_factor: [1.0], short_factor: [1.0], type: 'longrope' }, rope_theta: 10000.0, router_aux_loss_coef: 0.0,
      router_jitter_noise: 0.01, sliding_window: 131072, tie_word_embeddings: false, torch_dtype: 'bfloat16', transformers_version: '4.43.3', use_cache: true, vocab_size: 32064,
    }],
    ['DeepSeek-V3', {
      architectures: ['DeepseekV3ForCausalLM'], attention_bias: false, attention_dropout: 0.0, auto_map: {}, aux_loss_alpha: 0.001, bos_token_id: 0, eos_token_id: 1,
      ep_size: 1, first_k_dense_replace: 3, hidden_act: 'silu', hidden_size: 7168, initializer_range: 0.02, intermediate_size: 18432, kv_lora_rank: 512,
      max_position_embeddings: 163840, model_type: 'deepseek_v3', moe_intermediate_size: 2048, moe_layer_freq: 1, n_group: 8, n_routed_experts: 256,
      n_shared_experts: 1, norm_topk_prob: true, num_attention_heads: 128, num_experts_per_tok: 8, num_hidden_layers: 61, num_key_value_heads: 128,
      num_nextn_predict_layers: 1, q_lora_rank: 1536, qk_nope_head_dim: 128, qk_rope_head_dim: 64,
      quantization_config: { activation_scheme: 'dynamic', fmt: 'e4m3', quant_method: 'fp8', weight_block_size: [128, 128] }, rms_norm_eps: 1e-6,
      rope_scaling: { beta_fast: 32, beta_slow: 1, factor: 40, mscale: 1.0, mscale_all_dim: 1.0, original_max_position_embeddings: 4096, type: 'yarn' },
      rope_theta: 10000, routed_scaling_factor: 2.5, scoring_func: 'sigmoid', seq_aux: true, tie_word_embeddings: false, topk_group: 4, topk_method: 'noaux_tc',
      torch_dtype: 'bfloat16', transformers_version: '4.33.1', use_cache: true, v_head_dim: 128, vocab_size: 129280,
    }],
    ['gemma-2-2b', {
      architectures: ['Gemma2ForCausalLM'], attention_bias: false, attention_dropout: 0.0, attn_logit_softcapping: 50.0, bos_token_id: 2, cache_implementation: 'hybrid',
      eos_token_id: 1, final_logit_softcapping: 30.0, head_dim: 256, hidden_act: 'gelu_pytorch_tanh', hidden_activation: 'gelu_pytorch_tanh', hidden_size: 2304,
      initializer_range: 0.02, intermediate_size: 9216, max_position_embeddings: 8192, model_type: 'gemma2', num_attention_heads: 8, num_hidden_layers: 26,
      num_key_value_heads: 4, pad_token_id: 0, query_pre_attn_scalar: 256, rms_norm_eps: 1e-6, rope_theta: 10000.0, sliding_window: 4096,
      torch_dtype: 'float32', transformers_version: '4.42.4', use_cache: true, vocab_size: 256000,
    }],
    ['Qwen3-30B-A3B', {
      architectures: ['Qwen3MoeForCausalLM'], attention_bias: false, attention_dropout: 0.0, bos_token_id: 151643, decoder_sparse_step: 1, eos_token_id: 151645,
      head_dim: 128, hidden_act: 'silu', hidden_size: 2048, initializer_range: 0.02, intermediate_size: 6144, max_position_embeddings: 40960, max_window_layers: 48,
      mlp_only_layers: [], model_type: 'qwen3_moe', moe_intermediate_size: 768, norm_topk_prob: true, num_attention_heads: 32, num_experts: 128,
      num_experts_per_tok: 8, num_hidden_layers: 48, num_key_value_heads: 4, output_router_logits: false, rms_norm_eps: 1e-6, rope_scaling: null,
      rope_theta: 1000000.0, router_aux_loss_coef: 0.001, sliding_window: null, tie_word_embeddings: false, torch_dtype: 'bfloat16',
      transformers_version: '4.51.0', use_cache: true, use_sliding_window: false, vocab_size: 151936,
    }],
    ['mamba-130m', {
      architectures: ['MambaForCausalLM'], bos_token_id: 0, conv_kernel: 4, eos_token_id: 0, expand: 2, hidden_act: 'silu', hidden_size: 768, initializer_range: 0.1,
      intermediate_size: 1536, layer_norm_epsilon: 1e-5, model_type: 'mamba', n_layer: undefined, num_hidden_layers: 24, pad_token_id: 0,
      rescale_prenorm_residual: false, residual_in_fp32: true, state_size: 16, time_step_floor: 0.0001, time_step_init_scheme: 'random', time_step_max: 0.1,
      time_step_min: 0.001, time_step_rank: 48, time_step_scale: 1.0, torch_dtype: 'float32', transformers_version: '4.39.0.dev0', use_bias: false,
      use_cache: true, use_conv_bias: true, vocab_size: 50280,
    }],
  ];
  for (const [name, config] of HUB) {
    it(name, () => {
      const text = JSON.stringify(config); // drops undefined fields, as a file would not have them
      expect(countParamsFromJson(text).total).toBe(countParams(PRESETS[name].config as ModelConfig).total);
    });
  }
});

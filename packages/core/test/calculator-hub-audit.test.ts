// More published models than the presets: each config.json as the Hub has it (calculator-hub-configs.json,
// every field, count-neutral ones included) must be accepted and count exactly what transformers builds,
// and agree with the figure its model card or paper publishes, to that figure's precision.
// `exact` is `model.num_parameters()` of the transformers class, i.e. the sum of every parameter tensor's
// shape (worked per tensor for each family in the comments; the tiny-config fixture test checks the same
// formulas module by module against transformers itself).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CalculatorError, countParams, countParamsFromJson, estimateMemory, textModelOfJson, type ModelConfig, type ParamReport } from '../src/calculator/index.js';

const HUB = (JSON.parse(readFileSync(new URL('./calculator-hub-configs.json', import.meta.url), 'utf8')) as { configs: Record<string, Record<string, unknown>> }).configs;

type Figure = 'total' | 'active' | 'activeWithoutEmbedding' | 'nonEmbedding';
/** [config, exact total, published figures: [what, value, tolerance, source]]. */
type Row = [name: string, exact: number, published: Array<[Figure, number, number, string]>];
const B = 1e9;
const M = 1e6;

const ROWS: Row[] = [
  // LLaMA: V·H embedding (+ V·H lm_head unless tied) + L·(q,o: H·nh·hd; k,v: H·kv·hd; 3·H·I; 2 norms) + H.
  ['Llama-3.2-1B', 1_235_814_400, [['total', 1.23 * B, 0.01 * B, 'model card table: 1.23B (truncated)']]],
  ['Llama-3.2-3B', 3_212_749_824, [['total', 3.21 * B, 0.005 * B, 'model card table: 3.21B']]],
  ['Llama-3.1-8B', 8_030_261_248, [['total', 8.03 * B, 0.005 * B, 'model card table: 8.03B']]],
  ['SmolLM2-135M', 134_515_008, [['total', 135 * M, 0.5 * M, 'model card: 135M']]],
  ['SmolLM2-360M', 361_821_120, [['total', 360 * M, 2 * M, 'model card: 360M (the name rounds 361.8M)']]],
  ['SmolLM2-1.7B', 1_711_376_384, [['total', 1.7 * B, 0.05 * B, 'model card: 1.7B']]],
  // Mistral's announcement says "7.3B"; the checkpoint's tensors sum to 7.24B (the Hub shows 7.24B).
  ['Mistral-7B-v0.1', 7_241_732_096, [['total', 7.24 * B, 0.005 * B, 'Hub safetensors: 7.24B (announcement: "7.3B")']]],
  ['Mistral-Nemo-Base-2407', 12_247_782_400, [['total', 12.2 * B, 0.05 * B, 'Hub: 12.2B (announcement: "12B")']]],
  // Qwen2: q/k/v biases.
  ['Qwen2.5-7B', 7_615_616_512, [['total', 7.61 * B, 0.01 * B, 'model card: 7.61B'], ['nonEmbedding', 6.53 * B, 0.005 * B, 'model card: 6.53B non-embedding']]],
  ['Qwen2.5-14B', 14_770_033_664, [['total', 14.7 * B, 0.1 * B, 'model card: 14.7B'], ['nonEmbedding', 13.1 * B, 0.15 * B, 'model card: 13.1B non-embedding (config gives 13.21B)']]],
  ['Qwen2.5-32B', 32_763_876_352, [['total', 32.5 * B, 0.3 * B, 'model card: 32.5B (config gives 32.76B; Hub 32.8B)'], ['nonEmbedding', 31.0 * B, 0.25 * B, 'model card: 31.0B non-embedding (config gives 31.21B)']]],
  // Qwen3: + q_norm, k_norm (head_dim each) per layer.
  ['Qwen3-4B', 4_022_468_096, [['total', 4.0 * B, 0.05 * B, 'model card: 4.0B'], ['nonEmbedding', 3.6 * B, 0.05 * B, 'model card: 3.6B non-embedding']]],
  ['Qwen3-8B', 8_190_735_360, [['total', 8.2 * B, 0.05 * B, 'model card: 8.2B'], ['nonEmbedding', 6.95 * B, 0.005 * B, 'model card: 6.95B non-embedding']]],
  ['Qwen3-14B', 14_768_307_200, [['total', 14.8 * B, 0.05 * B, 'model card: 14.8B'], ['nonEmbedding', 13.2 * B, 0.05 * B, 'model card: 13.2B non-embedding']]],
  ['Qwen3-30B-A3B', 30_532_122_624, [['total', 30.5 * B, 0.05 * B, 'model card: 30.5B'], ['active', 3.3 * B, 0.1 * B, 'model card: 3.3B activated'], ['nonEmbedding', 29.9 * B, 0.05 * B, 'model card: 29.9B non-embedding']]],
  // Qwen2-MoE: a shared expert of 5632 with its sigmoid gate Linear(H, 1), 60 routed experts of 1408.
  ['Qwen1.5-MoE-A2.7B', 14_315_784_192, [['total', 14.3 * B, 0.05 * B, 'model card: 14.3B'], ['active', 2.7 * B, 0.05 * B, 'model card: 2.7B activated']]],
  // MLA (q_lora_rank null: a plain q_proj) + 2 shared experts merged + 64 routed; num_experts_per_tok null.
  ['DeepSeek-V2-Lite', 15_706_484_224, [['total', 15.7 * B, 0.05 * B, 'DeepSeek-V2 paper / model card: 15.7B'], ['activeWithoutEmbedding', 2.4 * B, 0.1 * B, 'model card: 2.4B activated (2.45B without the embedding; k = 6 by default)']]],
  ['DeepSeek-V2', 235_741_434_880, [['total', 236 * B, 0.5 * B, 'DeepSeek-V2 paper: 236B'], ['activeWithoutEmbedding', 21 * B, 0.5 * B, 'DeepSeek-V2 paper: 21B activated']]],
  // transformers keeps e_score_correction_bias as a buffer, so 58 × 256 router biases the checkpoint stores are not parameters.
  ['DeepSeek-V3', 671_026_404_352, [['total', 671 * B, 0.5 * B, 'model card: 671B main model'], ['activeWithoutEmbedding', 36.6 * B, 0.05 * B, 'README_WEIGHTS.md: 36.6B activated incl. the head']]],
  ['Mixtral-8x7B-v0.1', 46_702_792_704, [['total', 46.7 * B, 0.05 * B, 'Mistral: 46.7B total'], ['active', 12.9 * B, 0.05 * B, 'Mistral: 12.9B per token']]],
  ['Mixtral-8x22B-v0.1', 140_620_634_112, [['total', 141 * B, 0.5 * B, 'Mistral: 141B'], ['active', 39 * B, 0.5 * B, 'Mistral: 39B active']]],
  // Phi-3: fused qkv_proj and gate_up_proj (same shapes summed); attention_bias false in the file.
  ['Phi-3-mini-4k-instruct', 3_821_079_552, [['total', 3.8 * B, 0.05 * B, 'model card: 3.8B']]],
  ['Phi-3-mini-128k-instruct', 3_821_079_552, [['total', 3.8 * B, 0.05 * B, 'model card: 3.8B']]],
  // Phi-4 (phi3 type, 10 KV heads) and Phi-4-mini (tied, 200k vocabulary; its lm_head_bias and mlp_bias are false).
  ['phi-4', 14_659_507_200, [['total', 14.7 * B, 0.05 * B, 'Hub: 14.7B (technical report: "14B")']]],
  ['Phi-4-mini-instruct', 3_836_021_760, [['total', 3.8 * B, 0.05 * B, 'model card: 3.8B']]],
  ['Phi-3.5-MoE-instruct', 41_873_153_344, [['total', 41.9 * B, 0.05 * B, 'model card: 41.9B'], ['active', 6.6 * B, 0.05 * B, 'model card: 6.6B active']]],
  // Gemma 2: four RMSNorms per layer, tied; gemma-2-9b's file also has the older sliding_window_size.
  ['gemma-2-2b', 2_614_341_888, [['nonEmbedding', 2_024_517_888, 0, 'Gemma 2 report, Table 1: 2,024,517,888 non-embedding']]],
  ['gemma-2-9b', 9_241_705_984, [['nonEmbedding', 8_324_201_984, 0, 'Gemma 2 report, Table 1: 8,324,201,984 non-embedding']]],
  // Gemma 3: + q/k norms; the 4B/12B/27B text_configs leave vocab_size (262,208) and, for 4B, the head counts at Gemma3TextConfig's defaults.
  ['gemma-3-1b-pt', 999_885_952, [['nonEmbedding', 698 * M, 0.5 * M, 'Gemma 3 report, Table 1: 698M non-embedding']]],
  ['gemma-3-270m', 268_098_176, [['nonEmbedding', 100 * M, 0.5 * M, 'model card: 170M embedding + 100M in the transformer blocks']]],
  ['gemma-3-4b-pt text_config', 3_880_263_168, [['nonEmbedding', 3_209 * M, 0.5 * M, 'Gemma 3 report, Table 1: 3,209M non-embedding']]],
  ['gemma-3-12b-pt text_config', 11_766_034_176, [['nonEmbedding', 10_759 * M, 0.5 * M, 'Gemma 3 report, Table 1: 10,759M non-embedding']]],
  ['gemma-3-27b-pt text_config', 27_009_346_304, [['nonEmbedding', 25_600 * M, 0.5 * M, 'Gemma 3 report, Table 1: 25,600M non-embedding']]],
  // gpt-oss: q/k/v/o biases, one sink per head, router bias, expert biases.
  ['gpt-oss-20b', 20_914_757_184, [['total', 20.91 * B, 0.005 * B, 'model card paper: 20.91B'], ['activeWithoutEmbedding', 3.61 * B, 0.005 * B, 'model card paper: 3.61B active']]],
  ['gpt-oss-120b', 116_829_156_672, [['total', 116.83 * B, 0.005 * B, 'model card paper: 116.83B'], ['activeWithoutEmbedding', 5.13 * B, 0.005 * B, 'model card paper: 5.13B active']]],
  // OLMoE: q/k norms over all heads.
  ['OLMoE-1B-7B-0924', 6_919_161_856, [['total', 6.9 * B, 0.05 * B, 'model card: 6.9B'], ['active', 1.3 * B, 0.05 * B, 'model card: 1.3B active']]],
  // Llama 4 Scout: every layer MoE (moe_layers 0–47), 16 experts + a shared expert; use_qk_norm has no weights.
  ['Llama-4-Scout-17B-16E text_config', 107_769_861_120, [['total', 108 * B, 1 * B, 'model card: 109B with the vision encoder'], ['active', 17 * B, 0.5 * B, 'model card: 17B active']]],
  // Switch: a router Linear(d, E) and E experts (wi, wo) in every 2nd block; lm_head tied (the file leaves tie_word_embeddings at true).
  ['switch-base-8', 619_339_008, [['total', 0.6 * B, 0.05 * B, 'Hub: 0.6B']]],
  ['switch-base-16', 1_072_397_568, [['total', 1.1 * B, 0.05 * B, 'Hub: 1.1B']]],
  ['switch-base-32', 1_978_514_688, [['total', 2.0 * B, 0.05 * B, 'Hub: 2B']]],
  ['switch-base-128', 7_415_217_408, [['total', 7 * B, 0.5 * B, 'Switch Transformers paper, Table 9: Switch-Base 7B']]],
  // T5 v1.0: shared embedding, relative bias in block 0 of each stack, tied head. The paper's "770 million" for
  // Large counts the 32.9M embedding a second time (737.7M + 32.9M = 770.6M); Small and Base do not.
  ['t5-small', 60_506_624, [['total', 60 * M, 1 * M, 'T5 paper: 60 million']]],
  ['t5-base', 222_903_552, [['total', 220 * M, 3 * M, 'T5 paper: 220 million']]],
  ['t5-large', 737_668_096, [['total', 738 * M, 0.5 * M, 'Hub safetensors: 738M (T5 paper: 770 million)']]],
  // FLAN-T5 (T5 v1.1): gated-GELU wi_0/wi_1, an untied lm_head.
  ['flan-t5-base', 247_577_856, [['total', 248 * M, 0.5 * M, 'Hub: 248M']]],
  // GPT-2: the paper's 117M/345M were miscounted; the released checkpoints hold 124M/355M.
  ['gpt2', 124_439_808, [['total', 124 * M, 0.5 * M, 'Hub: 124M (GPT-2 paper: 117M)']]],
  ['gpt2-medium', 354_823_168, [['total', 355 * M, 0.5 * M, 'Hub: 355M (GPT-2 paper: 345M)']]],
  ['gpt2-xl', 1_557_611_200, [['total', 1.56 * B, 0.005 * B, 'Hub: 1.56B (GPT-2 paper: 1542M)']]],
  ['mamba-130m-hf', 129_135_360, [['total', 130 * M, 1 * M, 'Mamba paper: 130M']]],
  ['mamba-370m-hf', 371_516_416, [['total', 370 * M, 2 * M, 'Mamba paper: 370M']]],
];

function figure(r: ParamReport, f: Figure): number {
  return f === 'active' ? r.activePerToken : f === 'activeWithoutEmbedding' ? r.activePerToken - r.inputEmbedding : r[f];
}

describe('published config.json files count exactly what transformers builds, and agree with their cards', () => {
  it('every config in the file has a row', () => {
    expect(Object.keys(HUB).sort()).toEqual(ROWS.map((r) => r[0]).sort());
  });
  for (const [name, exact, published] of ROWS) {
    it(`${name}: ${exact.toLocaleString('en-US')} — ${published.map((p) => p[3]).join('; ')}`, () => {
      const r = countParamsFromJson(JSON.stringify(HUB[name]));
      expect(r.total).toBe(exact);
      for (const [f, value, tol] of published) expect(Math.abs(figure(r, f) - value)).toBeLessThanOrEqual(tol);
    });
  }
});

/** A Hub config with some fields replaced (undefined deletes). */
function edit(name: string, fields: Record<string, unknown>): ModelConfig {
  const c: Record<string, unknown> = { ...HUB[name], ...fields };
  for (const [k, v] of Object.entries(fields)) if (v === undefined) delete c[k];
  return c as unknown as ModelConfig;
}
const total = (c: ModelConfig) => countParams(c).total;

describe('every count-changing field is read', () => {
  // [config, field, value, the change it must make to the total (hand count)].
  const L1 = 'Llama-3.2-1B';
  const cases: Array<[string, string, unknown, number]> = [
    // Llama-3.2-1B: H 2048, 16 layers, 32 heads × 64, 8 KV heads, I 8192, V 128,256.
    [L1, 'attention_bias', true, 16 * (2048 + 2 * 512 + 2048)],
    [L1, 'mlp_bias', true, 16 * (2 * 8192 + 2048)],
    [L1, 'tie_word_embeddings', false, 128_256 * 2048],
    [L1, 'head_dim', 128, 16 * (2 * 2048 * 32 * 64 + 2 * 2048 * 8 * 64)],
    // Qwen3-30B-A3B: 48 layers, 128 experts of 768, H 2048.
    ['Qwen3-30B-A3B', 'moe_intermediate_size', 1536, 48 * 128 * 3 * 2048 * 768],
    ['Qwen3-30B-A3B', 'decoder_sparse_step', 2, 24 * (3 * 2048 * 6144 - 128 * (3 * 2048 * 768 + 2048))],
    ['Qwen3-30B-A3B', 'mlp_only_layers', [0], 3 * 2048 * 6144 - 128 * (3 * 2048 * 768 + 2048)],
    ['Qwen3-30B-A3B', 'num_experts', 64, -48 * 64 * (3 * 2048 * 768 + 2048)],
    // DeepSeek-V3: 61 layers (3 dense), H 7168, 128 heads, 256 experts of 2048.
    ['DeepSeek-V3', 'first_k_dense_replace', 4, 3 * 7168 * 18_432 - (256 * 3 * 7168 * 2048 + 3 * 7168 * 2048 + 256 * 7168)],
    ['DeepSeek-V3', 'n_shared_experts', 2, 58 * 3 * 7168 * 2048],
    ['DeepSeek-V3', 'q_lora_rank', null, 61 * (7168 * 128 * 192 - (7168 * 1536 + 1536 + 1536 * 128 * 192))],
    ['DeepSeek-V3', 'kv_lora_rank', 256, -61 * 256 * (7168 + 1 + 128 * 256)],
    ['DeepSeek-V3', 'qk_rope_head_dim', 32, -61 * 32 * (1536 * 128 + 7168)],
    ['DeepSeek-V3', 'v_head_dim', 64, -61 * 64 * (512 * 128 + 128 * 7168)],
    // Llama 4 Scout without moe_layers: every 2nd layer MoE, the others dense of intermediate_size_mlp 16,384.
    ['Llama-4-Scout-17B-16E text_config', 'interleave_moe_layer_step', 2, 0],
    // gpt-oss-20b: 24 layers, 64 q heads × 64, 8 KV heads, H 2880.
    ['gpt-oss-20b', 'attention_bias', false, -24 * (64 * 64 + 2 * 8 * 64 + 2880)],
    ['Phi-3.5-MoE-instruct', 'lm_head_bias', false, -32_064],
    ['switch-base-8', 'router_bias', true, 12 * 8],
    // Up to switch-c-2048's 2048 experts: 12 sparse blocks gain 2040 experts (wi, wo) and their router rows.
    ['switch-base-8', 'num_experts', 2048, 12 * 2040 * (2 * 768 * 3072 + 768)],
    ['t5-small', 'num_decoder_layers', 7, 2 * 4 * 512 * 512 + 2 * 512 * 2048 + 3 * 512],
    ['gpt2', 'n_inner', 1024, 12 * 2 * 768 * (1024 - 3072) + 12 * (1024 - 3072)],
    ['mamba-130m-hf', 'conv_kernel', 8, 24 * 1536 * 4],
    ['mamba-130m-hf', 'use_bias', true, 24 * (2 * 1536 + 768)],
  ];
  for (const [name, field, value, delta] of cases) {
    it(`${name}: ${field} = ${JSON.stringify(value)} changes the total by ${delta.toLocaleString('en-US')}`, () => {
      const base = total(edit(name, {}));
      if (name.startsWith('Llama-4') && field === 'interleave_moe_layer_step') {
        // 24 MoE layers become dense: − (router + 16 experts + shared expert) + a dense MLP of 16,384.
        const H = 5120, I = 8192, Imlp = 16_384;
        const changed = total(edit(name, { moe_layers: null, [field]: value }));
        expect(changed - base).toBe(24 * (3 * H * Imlp - (H * 16 + 16 * 3 * H * I + 3 * H * I)));
        return;
      }
      expect(total(edit(name, { [field]: value })) - base).toBe(delta);
    });
  }

  it('DeepSeek-V3: num_nextn_predict_layers changes the MTP module, never the total', () => {
    const one = countParams(edit('DeepSeek-V3', {}));
    const two = countParams(edit('DeepSeek-V3', { num_nextn_predict_layers: 2 }));
    expect(two.total).toBe(one.total);
    expect(two.mtp!.params).toBe(2 * one.mtp!.params);
  });
});

describe('fields that change no count are accepted and change nothing', () => {
  const cases: Array<[string, Record<string, unknown>]> = [
    ['Qwen3-30B-A3B', { num_experts_per_tok: 2, router_aux_loss_coef: 0.5, norm_topk_prob: false, use_sliding_window: true, sliding_window: 4096, max_window_layers: 28 }],
    ['gpt-oss-20b', { layer_types: Array.from({ length: 24 }, () => 'full_attention'), sliding_window: 4096, swiglu_limit: 3, rope_scaling: null }],
    ['Llama-4-Scout-17B-16E text_config', { use_qk_norm: false, attention_chunk_size: 4096, no_rope_layers: [], router_jitter_noise: 0.1 }],
    ['gemma-3-1b-pt', { sliding_window: 4096, sliding_window_pattern: 2, query_pre_attn_scalar: 128, rope_local_base_freq: 1 }],
    ['DeepSeek-V2-Lite', { num_experts_per_tok: 6, topk_method: 'group_limited_greedy', n_group: 8, topk_group: 3, routed_scaling_factor: 16 }],
    // Re-uploads and older transformers versions add bookkeeping fields.
    ['Llama-3.2-1B', { unsloth_fixed: true, unsloth_version: '2024.9', output_past: true, _num_labels: 1, dtype: 'bfloat16' }],
  ];
  for (const [name, fields] of cases) {
    it(`${name}: ${Object.keys(fields).join(', ')}`, () => {
      expect(total(edit(name, fields))).toBe(total(edit(name, {})));
    });
  }
});

describe('fields that are not understood, or that would count differently, are refused by name', () => {
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    // Misspelt count-changing fields: refused with the nearest field the family reads.
    ['Qwen3-30B-A3B', { num_expert: 64 }, /field "num_expert" is not understood for model_type "qwen3_moe" \(did you mean "num_experts"\?\)/],
    ['Qwen3-30B-A3B', { shared_expert_intermediate_size: 4096 }, /field "shared_expert_intermediate_size" is not understood for model_type "qwen3_moe"/],
    ['DeepSeek-V3', { n_shared_expert: 2 }, /did you mean "n_shared_experts"\?/],
    ['Llama-3.1-8B', { attention_biases: true }, /did you mean "attention_bias"\?/],
    ['Mixtral-8x7B-v0.1', { num_local_expert: 4 }, /did you mean "num_local_experts"\?/],
    // Fields read but whose values transformers' class cannot have.
    ['Phi-3-mini-4k-instruct', { attention_bias: true }, /attention_bias=true is not allowed: expected false \(the phi3 model has no such bias\)/],
    ['Phi-3-mini-4k-instruct', { mlp_bias: true }, /mlp_bias=true is not allowed/],
    ['DeepSeek-V3', { moe_layer_freq: 2 }, /moe_layer_freq=2 is not allowed/],
    ['gpt2-medium', { n_special: 2 }, /n_special=2 is not allowed/],
    // mamba_ssm's names must agree with what transformers reads.
    ['mamba-130m-hf', { n_layer: 48 }, /n_layer=48 is not allowed: expected 24, the value of num_hidden_layers/],
    ['mamba-130m-hf', { d_model: 1024 }, /d_model=1024 is not allowed: expected 768, the value of hidden_size/],
    ['mamba-130m-hf', { ssm_cfg: { d_state: 64 } }, /ssm_cfg=.* is not allowed/],
  ];
  for (const [name, fields, message] of cases) {
    it(`${name}: ${JSON.stringify(fields)}`, () => {
      expect(() => countParamsFromJson(JSON.stringify(edit(name, fields)))).toThrow(CalculatorError);
      expect(() => countParamsFromJson(JSON.stringify(edit(name, fields)))).toThrow(message);
    });
  }
});

describe('KV cache of the published configs, by hand (bf16: 2 bytes a value)', () => {
  const kv = (name: string, context: number) => estimateMemory(edit(name, {}), { context }).parts.kvCache;

  it('gpt-oss-20b, 8192 tokens: 12 sliding layers keep 128 tokens, 12 full layers all 8192; K + V × 8 heads × 64', () => {
    expect(kv('gpt-oss-20b', 8192)).toBe(2 * 8 * 64 * 2 * (12 * 128 + 12 * 8192));
    // Shorter than the window, every layer keeps the whole context.
    expect(kv('gpt-oss-20b', 100)).toBe(2 * 8 * 64 * 2 * 24 * 100);
  });

  it('Gemma 3 1B, 32,768 tokens: layers 5, 11, 17, 23 are global, the other 22 keep a 512-token window; 1 KV head × 256', () => {
    expect(kv('gemma-3-1b-pt', 32_768)).toBe(2 * 1 * 256 * 2 * (22 * 512 + 4 * 32_768));
  });

  it('DeepSeek-V2-Lite caches the MLA latent: 27 layers × (512 + 64) values', () => {
    expect(kv('DeepSeek-V2-Lite', 4096)).toBe(27 * (512 + 64) * 2 * 4096);
  });

  it('Llama 4 Scout, 32,768 tokens: 36 chunked layers keep 8192 tokens, every 4th layer all of them; 8 KV heads × 128', () => {
    expect(kv('Llama-4-Scout-17B-16E text_config', 32_768)).toBe(2 * 8 * 128 * 2 * (36 * 8192 + 12 * 32_768));
  });
});

describe('a multimodal config.json: its text_config is the language model counted', () => {
  const siglip = { hidden_size: 1152, image_size: 896, intermediate_size: 4304, model_type: 'siglip_vision_model', num_attention_heads: 16, num_hidden_layers: 27, patch_size: 14, vision_use_head: false };
  const gemma3 = {
    architectures: ['Gemma3ForConditionalGeneration'], boi_token_index: 255_999, eoi_token_index: 256_000, eos_token_id: [1, 106], image_token_index: 262_144,
    initializer_range: 0.02, mm_tokens_per_image: 256, model_type: 'gemma3', text_config: HUB['gemma-3-4b-pt text_config'], torch_dtype: 'bfloat16',
    transformers_version: '4.50.0.dev0', vision_config: siglip,
  };
  // The text_config has no tie_word_embeddings of its own; the wrapper's false decides.
  const llama4 = {
    architectures: ['Llama4ForConditionalGeneration'], boi_token_index: 200_080, eoi_token_index: 200_081, image_token_index: 200_092,
    model_type: 'llama4', text_config: HUB['Llama-4-Scout-17B-16E text_config'], tie_word_embeddings: false, torch_dtype: 'bfloat16',
    transformers_version: '4.51.0.dev0', vision_config: { hidden_size: 1408, image_size: 336, intermediate_size: 5632, model_type: 'llama4_vision_model', num_hidden_layers: 34, patch_size: 14 },
  };

  it('countParamsFromJson refuses the wrapper and says to count its text_config', () => {
    expect(() => countParamsFromJson(JSON.stringify(gemma3))).toThrow(/model_type="gemma3" is not supported \(a multimodal config: paste its text_config/);
  });

  it('textModelOfJson: Gemma 3 4B → 3,880,263,168 (the 417M SigLIP encoder is not counted); Llama 4 Scout → 107.77B, untied as the wrapper says', () => {
    const g = textModelOfJson(JSON.stringify(gemma3))!;
    expect(g.wrapper).toBe('gemma3');
    expect(countParams(g.config).total).toBe(3_880_263_168);
    const l = textModelOfJson(JSON.stringify(llama4))!;
    expect(countParams(l.config).total).toBe(107_769_861_120);
    expect(countParams({ ...l.config, tie_word_embeddings: true } as ModelConfig).total).toBe(107_769_861_120 - 202_048 * 5120);
  });

  it('is null for a config that is not a known multimodal wrapper, and names text_config fields in its errors', () => {
    expect(textModelOfJson(JSON.stringify(HUB['Llama-3.1-8B']))).toBeNull();
    expect(textModelOfJson(JSON.stringify({ model_type: 'gemma3' }))).toBeNull();
    expect(() => textModelOfJson(JSON.stringify({ ...gemma3, text_config: { hidden_size: -1 } }))).toThrow(/config.json text_config: hidden_size=-1 is not allowed/);
  });
});

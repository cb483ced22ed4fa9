// Weft's loaded models against a float64 reference written from transformers' modeling code
// (reference.ts) on configs whose computation-changing options the fixtures leave at their defaults:
// attention and MLP biases, head_dim ≠ hidden/heads, linear, yarn, dynamic and longrope rope scaling, sliding windows per layer,
// Qwen3's per-head and OLMoE's whole-projection q/k norms, clip_qkv, norm_topk_prob, Qwen2-MoE's
// decoder_sparse_step / mlp_only_layers and gated shared expert, GPT-2's unscaled and
// inverse-layer-scaled attention with another activation, BERT's token types and padding mask.
// Weights are random (seeded, norms near 1), saved in transformers' layout and read back by both.
// Tolerance: 2e-4 absolute on outputs of size ~1 (float32 against float64).
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Rng, parseSafetensors } from '@weft/core';
import { buildTransformersModel, saveTransformers, type BertModel, type HfCausalLM } from '@weft/hf';
import { bertOutputs, decoderLogits, gpt2Logits } from './reference.js';

const TOL = 2e-4;
const IDS = [3, 17, 8, 41, 2, 29, 11];

async function randomized(config: Record<string, unknown>, seed: number) {
  const built = buildTransformersModel(config, seed);
  const rng = new Rng(seed + 100);
  for (const [path, v] of built.model.namedParameters()) {
    const norm = /norm|ln_|LayerNorm/.test(path) && path.endsWith('weight');
    const values = rng.normalArray(v.size, norm ? 1 : 0, norm ? 0.1 : 0.3);
    v.assign(tf.tensor(values, v.shape));
  }
  const saved = await saveTransformers(built);
  return { built, tensors: parseSafetensors(saved.safetensors).tensors };
}

function maxDiff(a: ArrayLike<number>, b: number[]): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < b.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

const base = { vocab_size: 48, hidden_size: 24, intermediate_size: 40, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 64, rms_norm_eps: 1e-5 };

const DECODERS: Array<[string, Record<string, unknown>]> = [
  ['llama: attention and MLP biases, head_dim 8 ≠ 24/4, linear rope ×2, untied head', { ...base, model_type: 'llama', head_dim: 8, attention_bias: true, mlp_bias: true, rope_parameters: { rope_type: 'linear', factor: 2, rope_theta: 500 } }],
  ['llama: yarn rope ×4 over 16 pre-training positions (ramped frequencies, attention factor 1.139)', { ...base, model_type: 'llama', head_dim: 16, rope_parameters: { rope_type: 'yarn', factor: 4, original_max_position_embeddings: 16, rope_theta: 10000 } }],
  ['llama: yarn rope, DeepSeek mscale ratio, betas 8/2, not truncated, factor from 64/8', { ...base, model_type: 'llama', head_dim: 16, rope_scaling: { type: 'yarn', original_max_position_embeddings: 8, mscale: 1, mscale_all_dim: 0.5, beta_fast: 8, beta_slow: 2, truncate: false }, rope_theta: 100 }],
  ['qwen2: dynamic NTK rope ×3 beyond max_position_embeddings 4 (7 ids)', { ...base, model_type: 'qwen2', max_position_embeddings: 4, rope_scaling: { rope_type: 'dynamic', factor: 3 }, rope_theta: 1000 }],
  ['llama: longrope, 7 ids beyond original 4: long factors, attention factor from 64/4', { ...base, model_type: 'llama', head_dim: 8, rope_parameters: { rope_type: 'longrope', original_max_position_embeddings: 4, short_factor: [1, 1.2, 1.5, 2], long_factor: [1.5, 3, 9, 20], rope_theta: 10000 } }],
  ['llama: longrope within original 8: short factors, given attention factor', { ...base, model_type: 'llama', head_dim: 8, rope_parameters: { rope_type: 'longrope', original_max_position_embeddings: 8, factor: 4, attention_factor: 1.3, short_factor: [1, 1.2, 1.5, 2], long_factor: [1.5, 3, 9, 20], rope_theta: 10000 } }],
  ['mistral: a sliding window of 3', { ...base, model_type: 'mistral', head_dim: 6, sliding_window: 3 }],
  ['qwen2: q/k/v biases, tied head, transformers 4 rope_theta', { ...base, model_type: 'qwen2', tie_word_embeddings: true, rope_theta: 1000 }],
  ['qwen3: attention bias, per-head q/k norm, layer 0 sliding (window 2), layer 1 full', { ...base, model_type: 'qwen3', head_dim: 8, attention_bias: true, use_sliding_window: true, sliding_window: 2, layer_types: ['sliding_attention', 'full_attention'] }],
  ['mixtral: 4 experts, top-2 renormalised', { ...base, model_type: 'mixtral', num_local_experts: 4, num_experts_per_tok: 2 }],
  ['olmoe: q/k norm over the projection, clip_qkv 0.5, norm_topk_prob', { ...base, model_type: 'olmoe', num_experts: 4, num_experts_per_tok: 2, clip_qkv: 0.5, norm_topk_prob: true }],
  ['qwen2_moe: sparse every 2nd layer, gated shared expert, norm_topk_prob', { ...base, model_type: 'qwen2_moe', num_hidden_layers: 3, num_experts: 4, num_experts_per_tok: 2, moe_intermediate_size: 12, shared_expert_intermediate_size: 20, decoder_sparse_step: 2, norm_topk_prob: true }],
  ['qwen3_moe: layer 1 dense by mlp_only_layers, top-3 of 5', { ...base, model_type: 'qwen3_moe', head_dim: 8, num_experts: 5, num_experts_per_tok: 3, moe_intermediate_size: 12, mlp_only_layers: [1], norm_topk_prob: false }],
];

describe("Weft's models against transformers' computation written out in float64", () => {
  for (const [name, config] of DECODERS) {
    it(name, async () => {
      const { built, tensors } = await randomized(config, name.length);
      const want = decoderLogits(config, tensors, IDS).flat();
      const got = await tf.tidy(() => (built.model as HfCausalLM).eval().call(tf.tensor2d([IDS], undefined, 'int32'))).data();
      expect(maxDiff(got, want)).toBeLessThan(TOL);
      built.model.dispose();
    });
  }

  it('gpt2: scale_attn_weights false, scale_attn_by_inverse_layer_idx, relu, n_inner 20, untied head', async () => {
    const config = { model_type: 'gpt2', vocab_size: 48, n_embd: 16, n_head: 2, n_layer: 2, n_positions: 32, n_inner: 20, activation_function: 'relu', scale_attn_weights: false, scale_attn_by_inverse_layer_idx: true, tie_word_embeddings: false, layer_norm_epsilon: 1e-4 };
    const { built, tensors } = await randomized(config, 5);
    const want = gpt2Logits(config, tensors, IDS).flat();
    const got = await tf.tidy(() => (built.model as HfCausalLM).eval().call(tf.tensor2d([IDS], undefined, 'int32'))).data();
    expect(maxDiff(got, want)).toBeLessThan(TOL);
    built.model.dispose();
  });

  it('bert: token_type_ids and a padding mask', async () => {
    const config = { model_type: 'bert', vocab_size: 48, hidden_size: 16, num_attention_heads: 2, num_hidden_layers: 2, intermediate_size: 24, max_position_embeddings: 16, type_vocab_size: 2, hidden_act: 'gelu' };
    const { built, tensors } = await randomized(config, 6);
    const types = [0, 0, 0, 1, 1, 1, 1];
    const mask = [1, 1, 1, 1, 1, 0, 0];
    const want = bertOutputs(config, tensors, IDS, types, mask);
    const model = (built.model as BertModel).eval();
    const out = tf.tidy(() => {
      const o = model.call({ ids: tf.tensor2d([IDS], undefined, 'int32'), tokenTypeIds: tf.tensor2d([types], undefined, 'int32'), attentionMask: tf.tensor2d([mask], undefined, 'int32') });
      return [o.lastHiddenState, o.poolerOutput];
    });
    expect(maxDiff(await out[0]!.data(), want.hidden.flat())).toBeLessThan(TOL);
    expect(maxDiff(await out[1]!.data(), want.pooled)).toBeLessThan(TOL);
    tf.dispose(out);
    built.model.dispose();
  });
});

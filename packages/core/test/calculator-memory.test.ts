// Memory estimates against hand calculations (the formulas and their sources are in memory.ts):
// Llama-3.1-8B (GQA) for inference, full fine-tuning with and without checkpointing, LoRA and QLoRA;
// DeepSeek-V3 (MLA's compressed cache); Gemma 2 (sliding-window layers); Mamba (a fixed state).
import { describe, expect, it } from 'vitest';
import { CalculatorError, NF4_BITS, PRESETS, estimateMemory, type ModelConfig } from '../src/calculator/index.js';

const llama = PRESETS['Llama-3.1-8B'].config as ModelConfig;
const N = 8_030_261_248; // LlamaForCausalLM parameters
const V = 128_256;
const H = 4096;

describe('inference', () => {
  it('Llama-3.1-8B, bf16, 8192 tokens: 16.06 GB of weights + 128 KiB of KV cache per token (1 GiB)', () => {
    const m = estimateMemory(llama, { mode: 'inference', precision: 'bf16', context: 8192 });
    // 32 layers × (K + V) × 8 KV heads × 128 dims × 2 bytes = 131,072 bytes per token.
    expect(m.kvBytesPerToken).toBe(32 * 2 * 8 * 128 * 2);
    expect(m.parts.kvCache).toBe(131_072 * 8192);
    expect(m.parts.weights).toBe(2 * N);
    expect(m.total).toBe(2 * N + 1_073_741_824);
  });

  it('weights at every precision, the cache in bf16 under int8/int4 weights, batch multiplies the cache', () => {
    expect(estimateMemory(llama, { precision: 'fp32', context: 1 }).parts.weights).toBe(4 * N);
    expect(estimateMemory(llama, { precision: 'int8', context: 1 }).parts.weights).toBe(N);
    const q4 = estimateMemory(llama, { precision: 'int4', context: 1000, batch: 3 });
    expect(q4.parts.weights).toBe(N / 2);
    expect(q4.kvPrecision).toBe('bf16');
    expect(q4.parts.kvCache).toBe(131_072 * 1000 * 3);
  });

  it('DeepSeek-V3 caches the MLA latent: (512 + 64) values × 61 layers × 2 bytes = 70,272 bytes per token', () => {
    const m = estimateMemory(PRESETS['DeepSeek-V3'].config as ModelConfig, { context: 1000 });
    expect(m.kvBytesPerToken).toBe(576 * 61 * 2);
    expect(m.parts.kvCache).toBe(576 * 61 * 2 * 1000);
    // Dense MHA of the same width would cache 2 × 128 heads × 128 dims per layer: 57× more.
    expect((2 * 128 * 128) / 576).toBeGreaterThan(56);
  });

  it('Gemma 2 2B: 13 sliding-window layers keep at most 4096 tokens, 13 full layers keep all 8192', () => {
    const m = estimateMemory(PRESETS['gemma-2-2b'].config as ModelConfig, { context: 8192 });
    const perLayer = 2 * 4 * 256 * 2; // K + V, 4 KV heads, head_dim 256, bf16
    expect(m.parts.kvCache).toBe(13 * perLayer * 4096 + 13 * perLayer * 8192);
  });

  it('Mamba keeps a fixed state per sequence: 24 layers × (1536 × 4 conv + 1536 × 16 SSM) values', () => {
    const a = estimateMemory(PRESETS['mamba-130m'].config as ModelConfig, { context: 10 });
    const b = estimateMemory(PRESETS['mamba-130m'].config as ModelConfig, { context: 100_000 });
    expect(a.parts.kvCache).toBe(24 * (1536 * 4 + 1536 * 16) * 2);
    expect(b.parts.kvCache).toBe(a.parts.kvCache);
  });
});

describe('fine-tuning', () => {
  // Per token and layer: norm inputs 2H; attention input H, Q (4096), K and V (1024 each), o_proj input (4096);
  // MLP input H and gate/up/product 3 × 14,336 — 69,632 values; plus the logits, V × fp32.
  const perLayer = 2 * H + (H + 4096 + 2 * 1024 + 4096) + (H + 3 * 14_336);

  it('Llama-3.1-8B full fine-tuning in bf16 with Adam: 16 bytes per parameter + activations', () => {
    const m = estimateMemory(llama, { mode: 'full', precision: 'bf16', context: 2048 });
    expect(perLayer).toBe(69_632);
    expect(m.parts.weights + m.parts.gradients + m.parts.masterWeights + m.parts.optimizer).toBe(16 * N);
    expect(m.activationBytesPerToken).toBe(32 * perLayer * 2 + V * 4);
    expect(m.parts.activations).toBe((32 * perLayer * 2 + V * 4) * 2048);
  });

  it('with checkpointing only layer inputs and one rebuilt layer are kept', () => {
    const m = estimateMemory(llama, { mode: 'full', context: 2048, checkpointing: true });
    expect(m.activationBytesPerToken).toBe((32 * H + perLayer) * 2 + V * 4);
  });

  it('without a fused attention kernel the probabilities (heads × context) are stored too', () => {
    const m = estimateMemory(llama, { mode: 'full', context: 2048, flashAttention: false });
    expect(m.activationBytesPerToken).toBe(32 * (perLayer + 32 * 2048) * 2 + V * 4);
  });

  it('fp32 training has no master copy; int8 full fine-tuning is refused', () => {
    const m = estimateMemory(llama, { mode: 'full', precision: 'fp32', context: 1 });
    expect(m.parts.masterWeights).toBe(0);
    expect(m.parts.weights + m.parts.gradients + m.parts.optimizer).toBe(16 * N);
    expect(() => estimateMemory(llama, { mode: 'full', precision: 'int8' })).toThrow(/precision=int8 is not allowed for mode=full/);
  });

  it('LoRA r=16 on q_proj, v_proj: a frozen bf16 base and 16 bytes per adapter parameter', () => {
    const m = estimateMemory(llama, { mode: 'lora', context: 512 });
    const adapter = 32 * 16 * (H + 4096 + (H + 1024));
    expect(m.report.adapter!.params).toBe(adapter);
    expect(m.parts.weights).toBe(2 * N);
    expect(m.parts.adapter).toBe(16 * adapter);
    expect(m.parts.gradients + m.parts.optimizer + m.parts.masterWeights).toBe(0);
  });

  it('QLoRA: Linear weights at 4.127 bits (NF4 + double quantization), embeddings, norms and lm_head at 16 bits', () => {
    const m = estimateMemory(llama, { mode: 'qlora', context: 512 });
    const tables = 2 * V * H;
    const norms = 32 * 2 * H + H;
    const linear = N - tables - norms;
    expect(NF4_BITS).toBeCloseTo(4.127, 3);
    expect(m.parts.weights).toBe(Math.ceil((linear * NF4_BITS) / 8) + (tables + norms) * 2);
    expect(m.parts.weights / N).toBeLessThan(0.75); // about 0.6 bytes per parameter for an 8B model with a 128k vocabulary
  });
});

describe('bad options are refused with their name', () => {
  it.each([
    [{ mode: 'train' }, /mode="train" is not allowed/],
    [{ context: 0 }, /context=0 is not allowed/],
    [{ batch: 1.5 }, /batch=1.5 is not allowed/],
    [{ precision: 'fp8' }, /precision="fp8" is not allowed/],
    [{ checkpointing: 'yes' }, /checkpointing="yes" is not allowed/],
    [{ contxt: 10 }, /unknown option "contxt"/],
  ])('%j', (options, message) => {
    expect(() => estimateMemory(llama, options as never)).toThrow(CalculatorError);
    expect(() => estimateMemory(llama, options as never)).toThrow(message);
  });
});

describe('sharing', () => {
  it('a shared block is stored and trained once: TinyLlama with block repeat ×2 holds 11 of 22 blocks', () => {
    const tiny = PRESETS['TinyLlama-1.1B'].config as ModelConfig;
    const plain = estimateMemory(tiny, { mode: 'full', context: 16 });
    const shared = estimateMemory(tiny, { mode: 'full', context: 16, sharing: { name: 'block-repeat', repeat: 2 } });
    const block = 2 * 2048 * 2048 + 2 * 2048 * 256 + 3 * 2048 * 5632 + 2 * 2048;
    expect(plain.parts.optimizer - shared.parts.optimizer).toBe(8 * 11 * block);
    // Every slot still runs, so the activations are the same.
    expect(shared.parts.activations).toBe(plain.parts.activations);
  });
});

// The published figures the presets are checked against (calculator-presets.test.ts). See there for the conventions.
import type { PRESETS } from '../src/calculator/index.js';

export type Field = 'total' | 'activePerToken' | 'activeWithoutEmbedding' | 'nonEmbedding' | 'inputEmbedding';
/** [preset, field, card figure, tolerance (half the card's last digit unless noted), what the card says]. */
export type Check = [name: keyof typeof PRESETS, field: Field, figure: number, tolerance: number, card: string];

export const B = 1e9;
export const M = 1e6;
export const CHECKS: Check[] = [
  ['Llama-3.1-8B', 'total', 8.03 * B, 0.005 * B, 'model card table: 8.03B (exactly 8,030,261,248)'],
  ['Llama-3.1-70B', 'total', 70.6 * B, 0.05 * B, 'model card table: 70.6B'],
  ['Llama-3.1-405B', 'total', 405.9 * B, 0.5 * B, 'model card: 405B (405.9B on the Hub)'],
  // The Llama 3.2 card truncates: 1,235,814,400 is listed as 1.23B.
  ['Llama-3.2-1B', 'total', 1.23 * B, 0.01 * B, 'model card table: 1.23B (truncated)'],
  ['Llama-3.2-3B', 'total', 3.21 * B, 0.005 * B, 'model card table: 3.21B'],
  ['Llama-4-Scout-17B-16E', 'activePerToken', 17 * B, 0.5 * B, 'model card: 17B active'],
  // 109B on the card includes the vision encoder (≈0.8B), which the text config does not describe.
  ['Llama-4-Scout-17B-16E', 'total', 108 * B, 1 * B, 'model card: 109B total with the vision encoder; text model 107.8B'],
  ['Qwen2.5-0.5B', 'total', 0.49 * B, 0.005 * B, 'model card: 0.49B'],
  ['Qwen2.5-0.5B', 'nonEmbedding', 0.36 * B, 0.005 * B, 'model card: 0.36B non-embedding'],
  ['Qwen2.5-1.5B', 'total', 1.54 * B, 0.005 * B, 'model card: 1.54B'],
  ['Qwen2.5-1.5B', 'nonEmbedding', 1.31 * B, 0.005 * B, 'model card: 1.31B non-embedding'],
  ['Qwen2.5-3B', 'total', 3.09 * B, 0.005 * B, 'model card: 3.09B'],
  ['Qwen2.5-3B', 'nonEmbedding', 2.77 * B, 0.01 * B, 'model card: 2.77B non-embedding (truncated: 2.7748B)'],
  ['Qwen2.5-7B', 'total', 7.61 * B, 0.01 * B, 'model card: 7.61B (truncated: 7.6156B)'],
  ['Qwen2.5-7B', 'nonEmbedding', 6.53 * B, 0.005 * B, 'model card: 6.53B non-embedding'],
  ['Qwen2.5-14B', 'total', 14.7 * B, 0.1 * B, 'model card: 14.7B (truncated: 14.77B)'],
  // The 14B/32B/72B cards' non-embedding figures are 0.1–0.2B below what their own configs give (13.21, 31.21,
  // 70.21B), and the 32B card's total 32.5B below the 32.76B its checkpoint holds (the Hub lists 32.8B).
  ['Qwen2.5-14B', 'nonEmbedding', 13.1 * B, 0.15 * B, 'model card: 13.1B non-embedding (config gives 13.21B)'],
  ['Qwen2.5-32B', 'total', 32.5 * B, 0.3 * B, 'model card: 32.5B (config gives 32.76B; Hub: 32.8B)'],
  ['Qwen2.5-72B', 'total', 72.7 * B, 0.05 * B, 'model card: 72.7B'],
  ['Qwen2.5-72B', 'nonEmbedding', 70.0 * B, 0.25 * B, 'model card: 70.0B non-embedding (config gives 70.21B)'],
  ['Qwen3-0.6B', 'total', 0.6 * B, 0.05 * B, 'model card: 0.6B'],
  ['Qwen3-0.6B', 'nonEmbedding', 0.44 * B, 0.005 * B, 'model card: 0.44B non-embedding'],
  ['Qwen3-1.7B', 'total', 1.7 * B, 0.05 * B, 'model card: 1.7B'],
  ['Qwen3-1.7B', 'nonEmbedding', 1.4 * B, 0.05 * B, 'model card: 1.4B non-embedding'],
  ['Qwen3-4B', 'total', 4.0 * B, 0.05 * B, 'model card: 4.0B'],
  ['Qwen3-4B', 'nonEmbedding', 3.6 * B, 0.05 * B, 'model card: 3.6B non-embedding'],
  ['Qwen3-8B', 'total', 8.2 * B, 0.05 * B, 'model card: 8.2B'],
  ['Qwen3-8B', 'nonEmbedding', 6.95 * B, 0.005 * B, 'model card: 6.95B non-embedding'],
  ['Qwen3-14B', 'total', 14.8 * B, 0.05 * B, 'model card: 14.8B'],
  ['Qwen3-14B', 'nonEmbedding', 13.2 * B, 0.05 * B, 'model card: 13.2B non-embedding'],
  ['Qwen3-32B', 'total', 32.8 * B, 0.05 * B, 'model card: 32.8B'],
  ['Qwen3-32B', 'nonEmbedding', 31.2 * B, 0.05 * B, 'model card: 31.2B non-embedding'],
  ['Qwen3-30B-A3B', 'total', 30.5 * B, 0.05 * B, 'model card: 30.5B'],
  ['Qwen3-30B-A3B', 'activePerToken', 3.3 * B, 0.1 * B, 'model card: 3.3B activated'],
  ['Qwen3-30B-A3B', 'nonEmbedding', 29.9 * B, 0.05 * B, 'model card: 29.9B non-embedding'],
  ['Qwen3-235B-A22B', 'total', 235 * B, 0.5 * B, 'model card: 235B'],
  ['Qwen3-235B-A22B', 'activePerToken', 22 * B, 0.5 * B, 'model card: 22B activated'],
  ['Qwen3-235B-A22B', 'nonEmbedding', 234 * B, 0.5 * B, 'model card: 234B non-embedding'],
  ['DeepSeek-V3', 'total', 671 * B, 0.5 * B, 'model card: 671B (main model)'],
  ['DeepSeek-V3', 'activeWithoutEmbedding', 36.6 * B, 0.05 * B, 'README_WEIGHTS.md: 36.6B activated incl. the 0.9B head; model card: 37B'],
  ['gpt-oss-20b', 'total', 20.91 * B, 0.005 * B, 'model card paper: 20.91B (card: 21B)'],
  ['gpt-oss-20b', 'activeWithoutEmbedding', 3.61 * B, 0.005 * B, 'model card paper: 3.61B active (card: 3.6B)'],
  ['gpt-oss-120b', 'total', 116.83 * B, 0.005 * B, 'model card paper: 116.83B (card: 117B)'],
  ['gpt-oss-120b', 'activeWithoutEmbedding', 5.13 * B, 0.005 * B, 'model card paper: 5.13B active (card: 5.1B)'],
  ['gemma-2-2b', 'nonEmbedding', 2_024_517_888, 0, 'Gemma 2 report, Table 1: 2,024,517,888 non-embedding'],
  ['gemma-2-9b', 'nonEmbedding', 8_324 * M, 0.5 * M, 'Gemma 2 report, Table 1: 8,324M non-embedding'],
  ['gemma-2-27b', 'nonEmbedding', 26_047_480_320, 0, 'Gemma 2 report, Table 1: 26,047,480,320 non-embedding'],
  ['gemma-2-2b', 'total', 2.6 * B, 0.05 * B, 'model card: 2.6B'],
  ['gemma-3-1b', 'inputEmbedding', 302 * M, 0.5 * M, 'Gemma 3 report, Table 1: 302M embedding'],
  ['gemma-3-1b', 'nonEmbedding', 698 * M, 0.5 * M, 'Gemma 3 report, Table 1: 698M non-embedding'],
  // The report's 4B/27B embedding rows (675M, 1,416M) count more rows than the text vocabulary of 262,208.
  ['gemma-3-4b (text)', 'nonEmbedding', 3_209 * M, 0.5 * M, 'Gemma 3 report, Table 1: 3,209M non-embedding'],
  ['gemma-3-27b (text)', 'nonEmbedding', 25_600 * M, 0.5 * M, 'Gemma 3 report, Table 1: 25,600M non-embedding'],
  ['Phi-3.5-mini', 'total', 3.8 * B, 0.05 * B, 'model card: 3.8B'],
  ['Phi-3.5-MoE', 'total', 41.9 * B, 0.05 * B, 'model card: 41.9B'],
  ['Phi-3.5-MoE', 'activePerToken', 6.6 * B, 0.05 * B, 'model card: 6.6B active'],
  ['OLMoE-1B-7B', 'total', 6.9 * B, 0.05 * B, 'model card: 6.9B'],
  ['OLMoE-1B-7B', 'activePerToken', 1.3 * B, 0.05 * B, 'model card: 1.3B active'],
  ['Mixtral-8x22B', 'total', 141 * B, 0.5 * B, 'Mistral: 141B'],
  ['Mixtral-8x22B', 'activePerToken', 39 * B, 0.5 * B, 'Mistral: 39B active'],
  ['switch-base-8', 'total', 0.6 * B, 0.05 * B, 'Hub: 0.6B (SwitchTransformersForConditionalGeneration, lm_head tied as its config.json leaves it: 619,339,008)'],
  ['switch-base-128', 'total', 7 * B, 0.5 * B, 'Switch Transformers paper, Table 9: Switch-Base 7B'],
  ['SmolLM2-135M', 'total', 135 * M, 0.5 * M, 'model card: 135M'],
  ['SmolLM2-360M', 'total', 360 * M, 2 * M, 'model card: 360M (362M exactly; the name rounds)'],
  ['SmolLM2-1.7B', 'total', 1.7 * B, 0.05 * B, 'model card: 1.7B'],
  ['gpt2', 'total', 124_439_808, 0, 'GPT2LMHeadModel: 124,439,808 (tied head)'],
  ['t5-base', 'total', 222_903_552, 0, 'T5ForConditionalGeneration: 222,903,552 (tied head)'],
  ['mamba-130m', 'total', 129_135_360, 0, 'MambaForCausalLM: 129,135,360 (tied head)'],
];


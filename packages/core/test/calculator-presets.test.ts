// The 2024–25 presets against the figures their model cards (or papers) publish. Each row names the
// figure, the card's precision and the count compared; totals are LlamaForCausalLM-style (`…ForCausalLM`,
// or ForConditionalGeneration), with an untied lm_head counted once.
// Conventions differ between cards and are followed as each card states them:
// - "active": Mixtral, Llama 4, Qwen3-MoE, OLMoE and Phi-3.5-MoE count every table (embedding and head);
//   gpt-oss and DeepSeek-V3 count the head but not the embedding lookup (README_WEIGHTS.md of DeepSeek-V3:
//   "36.6B activated (including 0.9B for the output Head)"; the gpt-oss model card's table).
// - "non-embedding": total minus the embedding and an untied lm_head (Qwen2.5/Qwen3, Gemma 2/3).
import { describe, expect, it } from 'vitest';
import { PRESETS, countParams, type ModelConfig, type ParamReport } from '../src/calculator/index.js';
import { B, CHECKS, type Field } from './calculator-preset-figures.js';

function field(r: ParamReport, f: Field): number {
  return f === 'activeWithoutEmbedding' ? r.activePerToken - r.inputEmbedding : r[f];
}

describe('presets agree with their published figures', () => {
  for (const [name, f, figure, tolerance, card] of CHECKS) {
    it(`${name}: ${f} — ${card}`, () => {
      const r = countParams(PRESETS[name].config as ModelConfig);
      expect(Math.abs(field(r, f) - figure)).toBeLessThanOrEqual(tolerance);
    });
  }

  it('DeepSeek-V3 MTP module: 11.5B unique (README_WEIGHTS.md), 685B on the Hub with its copies of the embedding and head', () => {
    const r = countParams(PRESETS['DeepSeek-V3'].config as ModelConfig);
    // enorm, hnorm, eh_proj (2H×H), one MoE layer, shared_head.norm: 11.61B, of which eh_proj 0.10B; the
    // README's "11.5B" rounds down. With the embedding and head stored again: 13.46B ("14B" on the card).
    expect(Math.abs(r.mtp!.params - 11.5 * B)).toBeLessThan(0.15 * B);
    expect(Math.abs(r.total + r.mtp!.withSharedCopies - 685 * B)).toBeLessThan(1 * B);
    // The MTP module is not part of DeepseekV3ForCausalLM's count (transformers does not build it).
    expect(r.total).toBe(671_026_404_352);
  });
});

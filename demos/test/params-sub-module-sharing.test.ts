// params.html's sub-module sharing choices (MobiLlama's one FFN, Megrez2's expert banks) reach the
// calculator as ffnSharing / expertSharing, in the count and in the memory estimate, and read as words.
import { describe, expect, it } from 'vitest';
import { PRESETS, countParams, type ModelConfig } from '@weft/core';
import { computeSide, sideMemory } from '../src/pages/params-model.js';
import { SHARING_CHOICES, planOfChoice, sharingScope, type MemoryState, type SideState } from '../src/pages/params-state.js';

const side = (preset: SideState['preset'], sharing: string): SideState =>
  ({ preset, layers: 0, width: 0, experts: 0, k: 0, sharing, adapter: 'none', rank: 8, targets: 'qv', head: 'default', pasted: 0 }) as SideState;
const memory: MemoryState = { mode: 'inference', prec: 'bf16', ctx: 4096, batch: 1, ckpt: 'off', gpu: '24' } as MemoryState;

describe('params.html sub-module sharing', () => {
  it('offers MobiLlama and Megrez2 choices, mapped to the calculator options', () => {
    for (const c of ['ffn:all-shared', 'experts:block-repeat-2', 'experts:block-repeat-3']) expect(SHARING_CHOICES).toContain(c);
    expect(sharingScope('ffn:all-shared')).toBe('ffnSharing');
    expect(sharingScope('experts:block-repeat-3')).toBe('expertSharing');
    expect(sharingScope('block-repeat-2')).toBe('sharing');
    expect(planOfChoice('experts:block-repeat-3')).toEqual({ name: 'block-repeat', repeat: 3 });
  });

  it('MobiLlama on TinyLlama and Megrez2 on Mixtral count as the calculator does, and the weights in memory shrink', () => {
    for (const [preset, choice, key] of [['TinyLlama-1.1B', 'ffn:all-shared', 'ffnSharing'], ['Mixtral-8x7B', 'experts:block-repeat-2', 'expertSharing']] as const) {
      const cfg = PRESETS[preset].config as ModelConfig;
      const r = computeSide(cfg, side(preset, choice));
      expect(r.error).toBeNull();
      expect(r.report!.total).toBe(countParams(cfg, { [key]: planOfChoice(choice) }).total);
      expect(r.report!.total).toBeLessThan(countParams(cfg).total);
      const plain = sideMemory(computeSide(cfg, side(preset, 'none')), memory);
      expect(sideMemory(r, memory).at!.parts.weights).toBeLessThan(plain.at!.parts.weights);
    }
  });

  it('Megrez2 on a dense model is the calculator\'s message, not a crash', () => {
    const r = computeSide(PRESETS['TinyLlama-1.1B'].config as ModelConfig, side('TinyLlama-1.1B', 'experts:block-repeat-2'));
    expect(r.report).toBeNull();
    expect(r.error).toMatch(/expertSharing: this llama config has no layer with the modules it shares/);
  });
});

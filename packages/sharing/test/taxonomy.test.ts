// Parameter-Efficient Fine-Tuning for Large Models: A Comprehensive Survey (arXiv:2403.14608) and
// Modular Deep Learning (arXiv:2302.11529): every registered adapter method carries its PEFT category
// and its modular dimensions (the registry refuses an entry without them), and the placements of the
// methods the surveys name match the surveys' own tables.
import { describe, expect, it } from 'vitest';
import { COMPUTATION_FUNCTIONS, ROUTING_FUNCTIONS, AGGREGATION_FUNCTIONS } from '@weft/core';
import { adapterMethod, adapterMethodNames, PEFT_CATEGORIES, registerAdapterMethod } from '../src/index.js';

describe('adapter taxonomy (PEFT survey categories, Modular Deep Learning dimensions)', () => {
  it('every registered method has a category and all three modular dimensions', () => {
    expect(adapterMethodNames().length).toBeGreaterThanOrEqual(13);
    for (const name of adapterMethodNames()) {
      const t = adapterMethod(name).taxonomy;
      expect(PEFT_CATEGORIES, name).toContain(t.peft);
      expect(COMPUTATION_FUNCTIONS, name).toContain(t.modular.computation);
      expect(ROUTING_FUNCTIONS, name).toContain(t.modular.routing);
      expect(AGGREGATION_FUNCTIONS, name).toContain(t.modular.aggregation);
    }
  });

  it('places the methods the surveys name as the surveys do', () => {
    const t = (n: string) => adapterMethod(n).taxonomy;
    // PEFT survey: LoRA and its kin reparameterise ΔW; (IA)³ and adapters add modules; TAPS selects layers; Shears mixes sparsity and LoRA.
    for (const n of ['lora', 'loha', 'lokr']) expect(t(n).peft, n).toBe('reparameterised');
    for (const n of ['ia3', 'residual']) expect(t(n).peft, n).toBe('additive');
    expect(t('taps').peft).toBe('selective');
    expect(t('shears').peft).toBe('hybrid');
    // Modular Deep Learning: LoRA is parameter composition; adapters and (IA)³ rescaling are function composition; Poly routes softly over a skill inventory and averages parameters.
    expect(t('lora').modular).toEqual({ computation: 'parameter', routing: 'fixed', aggregation: 'none' });
    expect(t('residual').modular.computation).toBe('function');
    expect(t('ia3').modular.computation).toBe('function');
    expect(t('poly').modular).toEqual({ computation: 'parameter', routing: 'learned-soft', aggregation: 'parameter' });
  });

  it('refuses a method without a taxonomy, or with a value outside it, naming what is allowed', () => {
    const { taxonomy: _, ...bare } = adapterMethod('lora');
    expect(() => registerAdapterMethod('test-bare', bare as never)).toThrow('registerAdapterMethod("test-bare"): taxonomy=undefined must be an object { peft, modular }');
    expect(() => registerAdapterMethod('test-bad-peft', { ...adapterMethod('lora'), taxonomy: { peft: 'prompt', modular: adapterMethod('lora').taxonomy.modular } } as never)).toThrow(
      "taxonomy.peft=\"prompt\" must be one of 'additive', 'selective', 'reparameterised', 'hybrid'",
    );
    expect(() => registerAdapterMethod('test-bad-agg', { ...adapterMethod('lora'), taxonomy: { peft: 'additive', modular: { computation: 'input', routing: 'fixed', aggregation: 'sum' } } } as never)).toThrow(
      "modularity.aggregation=\"sum\" must be one of 'none', 'parameter', 'representation', 'input', 'function'",
    );
    expect(adapterMethodNames()).not.toContain('test-bare');
  });
});

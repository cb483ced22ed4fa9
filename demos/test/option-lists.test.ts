// The pages' option lists come from the registries: a new router, adapter method, sharing plan or
// 2-D dataset registered before a page loads appears in its menu with no other edit; each
// exemption is the documented one; and every offered choice builds (a plan's slots, a calculator
// count, a registered op). The page modules are imported after the test registrations.
import { describe, expect, it } from 'vitest';
import { DATASETS, PRESETS, adapterCountNames, moons, registerDataset, registerSharingPlan, planSlots, type ModelConfig, type SharingPlanEntry } from '@weft/core';
import { DROP_POLICIES, EXPERT_KINDS, LOAD_BALANCE_FORMS, registerRouter, routerEntry, routerNames } from '@weft/moe';
import { HASH_METHODS, SHARING_PLANS, adapterMethod, adapterMethodNames, registerAdapterMethod } from '@weft/sharing';
import { opNames, searchMethodNames } from '@weft/nas';

// Registered before the page modules are imported, as a new technique's one registration line would be.
registerRouter('test-router', routerEntry('mixtral'));
registerAdapterMethod('test-lora', adapterMethod('lora'));
registerSharingPlan('test-every-other', {
  description: 'every other slot shares a block',
  defaults: { period: 2 },
  factory: (depth: number, c: { period: number }) => Array.from({ length: depth }, (_, i) => i % c.period),
} satisfies SharingPlanEntry<{ period: number }>);
registerDataset('test-moons', { description: 'moons again', defaults: {}, make: (_c, seed) => moons({}, seed) });

const moe = await import('../src/pages/moe-state.js');
const sharing = await import('../src/pages/sharing-state.js');
const sharingJob = await import('../src/jobs/sharing-job.js');
const techniques = await import('../src/pages/sharing-techniques.js');
const adapters = await import('../src/pages/adapters-state.js');
const params = await import('../src/pages/params-state.js');
const paramsModel = await import('../src/pages/params-model.js');
const train = await import('../src/pages/train-state.js');
const nasJob = await import('../src/jobs/nas-job.js');
const nas = await import('../src/pages/nas-state.js');

describe('moe.html', () => {
  it('offers every registered router, expert kind, balance form and drop policy', () => {
    expect(moe.MOE_ROUTERS).toEqual(routerNames());
    expect(moe.MOE_ROUTERS).toContain('test-router');
    expect(moe.MOE_EXPERTS).toEqual(EXPERT_KINDS);
    expect(moe.MOE_BALANCE).toEqual([...LOAD_BALANCE_FORMS, 'none']);
    expect(moe.MOE_DROP).toEqual(DROP_POLICIES);
  });
});

describe('sharing.html', () => {
  it('offers every registered plan but the baseline, then the hashed methods, then the page\'s techniques', () => {
    expect(sharing.SHARING_CHOICES).toEqual([...Object.keys(SHARING_PLANS).filter((p) => p !== 'none'), ...HASH_METHODS, ...Object.keys(techniques.PAGE_TECHNIQUES)]);
    expect(sharing.SHARING_CHOICES).toContain('test-every-other');
    expect(sharing.SHARING_CHOICES).not.toContain('none');
  });

  it('the K and Map fields set the option each plan declares, and every plan builds', () => {
    const state = { ...sharing.SHARING_SCHEMA, sharing: '', unique: 3, map: [0, 1, 1, 2, 2, 0], depth: 6 } as never as Parameters<typeof sharingJob.planOf>[0];
    const planFor = (name: string) => sharingJob.planOf({ ...state, sharing: name });
    expect(planFor('groups')).toEqual({ name: 'groups', groups: 3 });
    expect(planFor('cycle-reverse')).toEqual({ name: 'cycle-reverse', unique: 3 });
    expect(planFor('block-repeat')).toEqual({ name: 'block-repeat', repeat: 3 });
    expect(planFor('custom')).toEqual({ name: 'custom', map: [0, 1, 1, 2, 2, 0] });
    expect(planFor('sandwich')).toEqual({ name: 'sandwich' });
    expect(planFor('test-every-other')).toEqual({ name: 'test-every-other', period: 3 });
    for (const choice of sharing.SHARING_CHOICES.filter((c) => !sharing.isHashed(c) && !techniques.isTechnique(c))) {
      expect(planSlots(planFor(choice), 6), choice).toHaveLength(6);
    }
    expect(sharing.planFields('roast')).toEqual({ size: null, map: null });
  });
});

describe('adapters.html', () => {
  it('offers every registered method with a PEFT form, DoRA after LoRA, and full fine-tuning', () => {
    const withPeft = adapterMethodNames().filter((m) => adapterMethod(m).peft !== null);
    expect(adapters.ADAPTER_METHODS).toEqual([...withPeft.flatMap((m) => (m === 'lora' ? ['lora', 'dora'] : [m])), 'full']);
    expect(adapters.ADAPTER_METHODS).toContain('test-lora');
    for (const m of ['lora', 'dora', 'loha', 'lokr', 'ia3', 'full']) expect(adapters.ADAPTER_METHODS).toContain(m);
    // The exemption is the rule: the methods left out are exactly those without a PEFT form.
    const left = adapterMethodNames().filter((m) => !adapters.ADAPTER_METHODS.includes(m));
    expect(left.length).toBeGreaterThan(0);
    for (const m of left) expect(adapterMethod(m).peft, m).toBeNull();
    for (const m of adapters.ADAPTER_METHODS) expect(adapters.methodInfo(m).label, m).not.toBe('');
    expect(adapters.methodInfo('test-lora').label).toBe('LoRA');
  });

  it('offers the 2-D classification datasets that rotation changes', () => {
    expect(adapters.ADAPTER_DATASETS).toEqual(train.TRAIN_DATASETS.filter((d) => d !== 'circles'));
  });
});

describe('train.html', () => {
  it('offers every single-task 2-D classification dataset of the registry, a new one included', () => {
    expect(train.TRAIN_DATASETS).toEqual(['spirals', 'moons', 'circles', 'xor', 'clusters', 'test-moons']);
    // Left out by what they are: regression, sequences, images, and multi-task families.
    for (const d of ['sine', 'sort', 'shapes', 'rotated-spirals', 'permuted-labels']) {
      expect(Object.hasOwn(DATASETS, d), d).toBe(true);
      expect(train.TRAIN_DATASETS).not.toContain(d);
    }
  });
});

describe('params.html', () => {
  it('offers every plan but custom, with sizes for a plan’s integer option', () => {
    expect(params.SHARING_CHOICES).toEqual(
      expect.arrayContaining(['none', 'all-shared', 'sandwich', 'groups-2', 'groups-4', 'cycle-2', 'cycle-reverse-4', 'block-repeat-2', 'test-every-other-4']),
    );
    expect(params.SHARING_CHOICES).not.toContain('custom');
    expect(params.planOfChoice('groups-4')).toEqual({ name: 'groups', groups: 4 });
    expect(params.planOfChoice('block-repeat-2')).toEqual({ name: 'block-repeat', repeat: 2 });
    expect(params.planOfChoice('sandwich')).toBe('sandwich');
    expect(() => params.planOfChoice('repeat-2')).toThrow(/sharing="repeat-2" is not a choice; allowed: none, all-shared/);
  });

  it('offers every adapter the calculator counts, and each choice counts on BERT-base', () => {
    expect(params.ADAPTER_CHOICES).toEqual(['none', ...adapterCountNames().flatMap((m) => (m === 'lora' ? ['lora', 'dora'] : [m]))]);
    expect(params.ADAPTER_CHOICES).toContain('test-lora');
    const side = params.sideOf(Object.fromEntries(Object.entries(params.PARAMS_SCHEMA).map(([k, spec]) => [k, spec.default])), 'a');
    for (const adapter of params.ADAPTER_CHOICES) {
      const r = paramsModel.computeSide(PRESETS[side.preset].config as ModelConfig, { ...side, adapter, targets: 'qv' });
      expect(r.error, adapter).toBeNull();
      if (adapter !== 'none') expect(r.report!.trainable, adapter).toBeLessThan(r.report!.total);
    }
  });
});

describe('nas.html', () => {
  it('offers every registered search method; the cell space’s ops are registered vector ops', () => {
    expect(nas.NAS_METHODS).toEqual(searchMethodNames());
    for (const op of nasJob.CELL_SPACE.ops) expect(opNames('vector'), op).toContain(op);
  });
});

// The URL state of params.html: up to four sides (a–d; `n` says how many are shown), each a preset plus
// the slider settings, and the memory settings (mode, precision, context, batch, checkpointing, GPU
// memory). A value of 0 for layers / width / experts / k means "the preset's own", so a link stays short
// and survives a preset change. Pasted config.json files are not put in the link (they can be large and
// private): `a_pasted=1` says side a uses the config pasted in this browser, kept in its localStorage.
import { MEMORY_MODES, PARAM_PRECISIONS, PRESET_NAMES, SHARING_PLANS, adapterCount, adapterCountNames, type PresetName, type SharingPlan } from '@weft/core';
import { choiceParam, intParam, type ParamSpec } from '../url-state.js';

/** The values the comparator offers for a plan's one integer option (groups-2, groups-4, …). */
const PLAN_SIZES = [2, 4] as const;

/** A plan's integer option (groups, unique, repeat), if it has one. */
function sizeOption(plan: string): string | undefined {
  const defaults = (Object.hasOwn(SHARING_PLANS, plan) ? SHARING_PLANS[plan]!.defaults : {}) as Record<string, unknown>;
  return Object.keys(defaults).find((k) => typeof defaults[k] === 'number');
}

/**
 * Cross-layer sharing plans the sliders offer, from the plan registry: a plan without options by
 * its name, a plan with an integer option as `<plan>-2` and `<plan>-4`. Left out: `custom`, whose
 * per-slot map the comparator has no field for.
 */
export const SHARING_CHOICES = [
  ...Object.keys(SHARING_PLANS)
    .filter((name) => name !== 'custom')
    .flatMap((name) => (sizeOption(name) ? PLAN_SIZES.map((n) => `${name}-${n}`) : [name])),
  ...subModuleChoices(),
] as [string, ...string[]];

/**
 * Sub-module sharing (the calculator's `ffnSharing` / `expertSharing`): `ffn:all-shared` is MobiLlama's
 * one FFN for every layer; `experts:block-repeat-2` and `-3` are Megrez2's expert banks reused by 2 or 3
 * adjacent MoE layers.
 */
function subModuleChoices(): string[] {
  return ['ffn:all-shared', 'experts:block-repeat-2', 'experts:block-repeat-3'];
}

/** What a choice shares: whole blocks (the `sharing` count option), the FFNs (`ffnSharing`) or the expert banks (`expertSharing`). */
export function sharingScope(choice: SharingChoice): 'sharing' | 'ffnSharing' | 'expertSharing' {
  return choice.startsWith('ffn:') ? 'ffnSharing' : choice.startsWith('experts:') ? 'expertSharing' : 'sharing';
}
/** A sharing choice (see {@link SHARING_CHOICES}). */
export type SharingChoice = string;

/** The calculator's plan of a choice: `groups-4` is `{ name: 'groups', groups: 4 }`. */
export function planOfChoice(choice: SharingChoice): SharingPlan {
  if (sharingScope(choice) !== 'sharing') return planOfChoice(choice.slice(choice.indexOf(':') + 1));
  if (Object.hasOwn(SHARING_PLANS, choice)) return choice;
  const cut = choice.lastIndexOf('-');
  const name = choice.slice(0, cut);
  const option = sizeOption(name);
  if (cut < 0 || !option) throw new Error(`params: sharing=${JSON.stringify(choice)} is not a choice; allowed: ${SHARING_CHOICES.join(', ')}`);
  return { name, [option]: Number(choice.slice(cut + 1)) };
}

/**
 * Adapter methods the page offers: `none` (full fine-tuning), then every method core's calculator
 * can count, with DoRA (LoRA's `dora` option) as a choice of its own after LoRA.
 */
export const ADAPTER_CHOICES = [
  'none',
  ...adapterCountNames().flatMap((m) => (m === 'lora' && 'dora' in adapterCount('lora').options ? ['lora', 'dora'] : [m])),
] as [string, ...string[]];
/** An adapter choice. */
export type AdapterChoice = string;

/** Which modules an adapter wraps: query and value, all attention projections, or every Linear but the head. */
export const TARGET_CHOICES = ['qv', 'attn', 'all'] as const;
/** A target choice. */
export type TargetChoice = (typeof TARGET_CHOICES)[number];

/** Which model class is counted: the preset family's usual one, or a chosen head. */
export const HEAD_CHOICES = ['default', 'none', 'lm', 'classifier'] as const;
/** A head choice. */
export type HeadChoice = (typeof HEAD_CHOICES)[number];

/** Settings of one side of the comparison. */
export interface SideState {
  /** The preset the side starts from. */
  preset: PresetName;
  /** `num_hidden_layers`; 0 = the preset's. */
  layers: number;
  /** `hidden_size` (FFN widths scale with it); 0 = the preset's. */
  width: number;
  /** Routed experts per MoE layer; 0 = the preset's. */
  experts: number;
  /** Experts per token; 0 = the preset's. */
  k: number;
  /** Cross-layer sharing plan. */
  sharing: SharingChoice;
  /** Adapter method, or none. */
  adapter: AdapterChoice;
  /** Adapter rank (not used by (IA)³). */
  rank: number;
  /** Adapter targets. */
  targets: TargetChoice;
  /** Model class counted (`default`: AutoModel for encoders, …ForCausalLM for decoders). */
  head: HeadChoice;
  /** 1: the side uses the config.json pasted in this browser (localStorage), not the preset. */
  pasted: number;
}

const presetNames = PRESET_NAMES as readonly PresetName[];

/** The specs of one side's parameters, keyed by the field of {@link SideState}. */
function sideSpecs(defaultPreset: PresetName, defaults: Partial<SideState> = {}): { [K in keyof SideState]: ParamSpec<SideState[K]> } {
  return {
    preset: choiceParam(presetNames, defaultPreset),
    layers: intParam({ min: 0, max: 1024, default: defaults.layers ?? 0 }),
    width: intParam({ min: 0, max: 65_536, default: 0 }),
    experts: intParam({ min: 0, max: 4096, default: 0 }),
    k: intParam({ min: 0, max: 4096, default: 0 }),
    sharing: choiceParam(SHARING_CHOICES, 'none'),
    adapter: choiceParam(ADAPTER_CHOICES, defaults.adapter ?? 'none'),
    rank: intParam({ min: 1, max: 4096, default: 8 }),
    targets: choiceParam(TARGET_CHOICES, 'qv'),
    head: choiceParam(HEAD_CHOICES, 'default'),
    pasted: intParam({ min: 0, max: 1, default: 0 }),
  };
}

/** GPU memory sizes offered, in GB (10⁹ bytes): laptop GPUs to an H200 and a B200. */
export const GPU_CHOICES = ['4', '8', '12', '16', '24', '32', '40', '48', '80', '96', '141', '192'] as const;

/** The memory settings (shared by every side). */
export interface MemoryState {
  /** What the memory is for. */
  mode: (typeof MEMORY_MODES)[number];
  /** Weight format / training precision. */
  prec: (typeof PARAM_PRECISIONS)[number];
  /** Context length in tokens. */
  ctx: number;
  /** Sequences at once. */
  batch: number;
  /** Training with activation checkpointing. */
  ckpt: 'off' | 'on';
  /** GPU memory to fit into, GB. */
  gpu: (typeof GPU_CHOICES)[number];
}

/** Specs of the memory settings. */
const MEMORY_SPECS: { [K in keyof MemoryState]: ParamSpec<MemoryState[K]> } = {
  mode: choiceParam(MEMORY_MODES, 'inference'),
  prec: choiceParam(PARAM_PRECISIONS, 'bf16'),
  ctx: intParam({ min: 1, max: 1_048_576, default: 8192 }),
  batch: intParam({ min: 1, max: 1024, default: 1 }),
  ckpt: choiceParam(['off', 'on'] as const, 'off'),
  gpu: choiceParam(GPU_CHOICES, '24'),
};

/** The memory settings out of a parsed URL state. */
export function memoryOf(state: Record<string, unknown>): MemoryState {
  return Object.fromEntries(Object.keys(MEMORY_SPECS).map((k) => [k, state[k]])) as unknown as MemoryState;
}

/** The most models compared at once. */
export const MAX_SIDES = 4;

/** Query parameters of params.html: `n`, `a`, `a_layers`, …, `d_pasted`, then the memory settings. */
export const PARAMS_SCHEMA = (() => {
  const out: Record<string, ParamSpec<any>> = { n: intParam({ min: 1, max: MAX_SIDES, default: 2 }) };
  const defaults = [['a', 'bert-base-uncased'], ['b', 'albert-base-v2'], ['c', 'Llama-3.1-8B'], ['d', 'Qwen3-30B-A3B']] as const;
  for (const [side, preset] of defaults) {
    for (const [field, spec] of Object.entries(sideSpecs(preset))) out[field === 'preset' ? side : `${side}_${field}`] = spec;
  }
  Object.assign(out, MEMORY_SPECS);
  return out;
})();

/** The sides, in order; the first `n` are shown. */
export const SIDES = ['a', 'b', 'c', 'd'] as const;
/** A side. */
export type Side = (typeof SIDES)[number];

/** The URL key of a side's field. */
export function keyOf(side: Side, field: keyof SideState): string {
  return field === 'preset' ? side : `${side}_${field}`;
}

/** A side's state out of a parsed URL state. */
export function sideOf(state: Record<string, unknown>, side: Side): SideState {
  const f = (field: keyof SideState) => state[keyOf(side, field)];
  return {
    preset: f('preset') as PresetName,
    layers: f('layers') as number,
    width: f('width') as number,
    experts: f('experts') as number,
    k: f('k') as number,
    sharing: f('sharing') as SharingChoice,
    adapter: f('adapter') as AdapterChoice,
    rank: f('rank') as number,
    targets: f('targets') as TargetChoice,
    head: f('head') as HeadChoice,
    pasted: f('pasted') as number,
  };
}

/**
 * The query string of the shown sides and the memory settings: only values that differ from the defaults
 * (short links), every shown side's preset.
 */
export function formatSides(sides: Record<Side, SideState>, n = 2, memory?: MemoryState): string {
  const params = new URLSearchParams();
  if (n !== 2) params.set('n', String(n));
  for (const side of SIDES.slice(0, n)) {
    for (const [field, value] of Object.entries(sides[side]) as [keyof SideState, unknown][]) {
      const key = keyOf(side, field);
      const spec = PARAMS_SCHEMA[key]!;
      const text = spec.format(value);
      if (field === 'preset' || text !== spec.format(spec.default)) params.set(key, text);
    }
  }
  for (const [key, value] of Object.entries(memory ?? {})) {
    const spec = PARAMS_SCHEMA[key]!;
    const text = spec.format(value);
    if (text !== spec.format(spec.default)) params.set(key, text);
  }
  return `?${params.toString()}`;
}

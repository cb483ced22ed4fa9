// The URL state of params.html: two sides (a, b), each a preset plus the slider settings. A value
// of 0 for layers / width / experts / k means "the preset's own", so a link stays short and
// survives a preset change. Pasted config.json files are not put in the link (they can be large).
import { PRESET_NAMES, SHARING_PLANS, adapterCount, adapterCountNames, type PresetName, type SharingPlan } from '@weft/core';
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
export const SHARING_CHOICES = Object.keys(SHARING_PLANS)
  .filter((name) => name !== 'custom')
  .flatMap((name) => (sizeOption(name) ? PLAN_SIZES.map((n) => `${name}-${n}`) : [name])) as [string, ...string[]];
/** A sharing choice (see {@link SHARING_CHOICES}). */
export type SharingChoice = string;

/** The calculator's plan of a choice: `groups-4` is `{ name: 'groups', groups: 4 }`. */
export function planOfChoice(choice: SharingChoice): SharingPlan {
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
  };
}

/** Query parameters of params.html: `a`, `a_layers`, …, `b`, `b_layers`, …. */
export const PARAMS_SCHEMA = (() => {
  const out: Record<string, ParamSpec<any>> = {};
  for (const [side, preset] of [['a', 'bert-base-uncased'], ['b', 'albert-base-v2']] as const) {
    for (const [field, spec] of Object.entries(sideSpecs(preset))) out[field === 'preset' ? side : `${side}_${field}`] = spec;
  }
  return out;
})();

/** The two sides. */
export const SIDES = ['a', 'b'] as const;
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
  };
}

/** The query string of two sides: only values that differ from the defaults (short links). */
export function formatSides(sides: Record<Side, SideState>): string {
  const params = new URLSearchParams();
  for (const side of SIDES) {
    for (const [field, value] of Object.entries(sides[side]) as [keyof SideState, unknown][]) {
      const key = keyOf(side, field);
      const spec = PARAMS_SCHEMA[key]!;
      const text = spec.format(value);
      if (field === 'preset' || text !== spec.format(spec.default)) params.set(key, text);
    }
  }
  return `?${params.toString()}`;
}

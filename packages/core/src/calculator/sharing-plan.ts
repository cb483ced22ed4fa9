// Cross-layer sharing plans: which of K unique blocks fills each of L layer slots. Papers: ALBERT
// (arXiv:1909.11942) all-shared and `num_hidden_groups`; Universal Transformer (arXiv:1807.03819)
// all-shared; Takase & Kiyono, "Lessons on Parameter Sharing across Layers in Transformers"
// (arXiv:2104.06022) cycle and cycle-reverse; Subformer (arXiv:2101.00234) sandwich; MobileLLM
// (arXiv:2402.14905) immediate block-wise repeat. A plan is only the `slot -> block` array. This is
// the one registry of plans: the calculator counts a real-scale model through it (stored counts
// distinct blocks, effective counts slots), and @weft/sharing builds models through it (one block
// object in several slots; sharing by identity does the rest). A new plan is one entry and one
// `registerSharingPlan` line.
import { CalculatorError } from './arith.js';
import { checkKnownKeys, configKeys, nearestName, resolveConfig, describeValue } from '../config.js';
import { checkInt } from '../check.js';
import type { BlockSpec, ModelSpec, ParamEntry } from './spec.js';

/** The `slot -> block` map of a plan: entry i is the block index (0..K-1) used at slot i. */
export type SlotMap = number[];

/** A plan with options: its registry name and its config fields (those not given take the plan's defaults). */
export interface SharingPlanConfig {
  /** Registry name: 'none', 'all-shared', 'groups', 'cycle', 'cycle-reverse', 'sandwich', 'block-repeat', 'custom', or a registered one. */
  name: string;
  /** The plan's options (see its `defaults`). */
  [option: string]: unknown;
}

/** A sharing plan: a registered plan's name (all defaults), or `{ name, ...options }`. */
export type SharingPlan = string | SharingPlanConfig;

/** A registered plan: documented defaults and a factory from (slots, config) to the map. */
export interface SharingPlanEntry<C extends object = object> {
  /** One line on what the plan does and where it comes from. */
  description: string;
  /** The config defaults (plain JSON); their keys are the plan's only options. */
  defaults: C;
  /** The slot map for `depth` slots. Throws naming the bad value. */
  factory(depth: number, config: C): SlotMap;
}

/** Config of the 'groups' plan (ALBERT `num_hidden_groups`). */
export interface GroupsPlanConfig {
  /** Number of groups; consecutive runs of depth/groups slots share one block. Must divide the depth. Default: 2. */
  groups: number;
}
/** Config of the 'cycle' and 'cycle-reverse' plans. */
export interface CyclePlanConfig {
  /** Number of unique blocks K (1 ≤ K ≤ depth). Default: 2. */
  unique: number;
}
/** Config of the 'block-repeat' plan (MobileLLM-LS). */
export interface BlockRepeatPlanConfig {
  /** Times each block runs in a row; must divide the depth. Default: 2 (MobileLLM-LS). */
  repeat: number;
}
/** Config of the 'custom' plan. */
export interface CustomPlanConfig {
  /** The slot map itself: one block index per slot, every index 0..max used. Default: [] (must be given). */
  map: number[];
}

const range = (n: number, f: (i: number) => number): SlotMap => Array.from({ length: n }, (_, i) => f(i));

const ENTRY_KEYS = configKeys<SharingPlanEntry>({ description: true, defaults: true, factory: true });

/** The registry of sharing plans, by name (add to it with {@link registerSharingPlan}). */
export const SHARING_PLANS: Record<string, SharingPlanEntry<any>> = {};

/** Register a plan under `name` (a new plan is its entry plus this call). */
export function registerSharingPlan<C extends object>(name: string, entry: SharingPlanEntry<C>): void {
  if (typeof name !== 'string' || name === '') throw new Error(`registerSharingPlan: name=${describeValue(name)} must be a non-empty string`);
  if (Object.hasOwn(SHARING_PLANS, name)) throw new Error(`registerSharingPlan: name="${name}" is already registered`);
  checkKnownKeys(`registerSharingPlan('${name}')`, entry, ENTRY_KEYS);
  if (typeof entry.factory !== 'function' || entry.defaults === null || typeof entry.defaults !== 'object') {
    throw new Error(`registerSharingPlan('${name}'): the entry needs defaults (an object) and factory (a function)`);
  }
  SHARING_PLANS[name] = entry;
}

registerSharingPlan('none', { description: 'no sharing: every slot its own block (the baseline)', defaults: {}, factory: (L) => range(L, (i) => i) });
registerSharingPlan('all-shared', {
  description: 'ALBERT / Universal Transformer: one block in every slot',
  defaults: {},
  factory: (L) => range(L, () => 0),
});
registerSharingPlan<GroupsPlanConfig>('groups', {
  description: 'ALBERT num_hidden_groups: consecutive slots in G groups, one block per group',
  defaults: { groups: 2 },
  factory: (L, c) => {
    const g = checkInt(`sharing plan 'groups'`, 'groups', c.groups, 1, L);
    if (L % g !== 0) throw new Error(`sharing plan 'groups': groups=${g} must divide the number of slots (depth=${L})`);
    return range(L, (i) => Math.floor(i / (L / g)));
  },
});
registerSharingPlan<CyclePlanConfig>('cycle', {
  description: 'Takase & Kiyono CYCLE: blocks 0..K-1, 0..K-1, …',
  defaults: { unique: 2 },
  factory: (L, c) => {
    const k = checkInt(`sharing plan 'cycle'`, 'unique', c.unique, 1, L);
    return range(L, (i) => i % k);
  },
});
registerSharingPlan<CyclePlanConfig>('cycle-reverse', {
  description: 'Takase & Kiyono CYCLE (REV): CYCLE over the first L-K slots, then K-1..0',
  defaults: { unique: 2 },
  factory: (L, c) => {
    const k = checkInt(`sharing plan 'cycle-reverse'`, 'unique', c.unique, 1, L);
    return range(L, (i) => (i < L - k ? i % k : L - 1 - i));
  },
});
registerSharingPlan('sandwich', {
  description: 'Subformer sandwich: first and last slots unique, every middle slot one shared block',
  defaults: {},
  factory: (L) => {
    if (L < 3) throw new Error(`sharing plan 'sandwich': depth=${L} must be ≥ 3 (a first, a shared middle and a last slot)`);
    return range(L, (i) => (i === 0 ? 0 : i === L - 1 ? 2 : 1));
  },
});
registerSharingPlan<BlockRepeatPlanConfig>('block-repeat', {
  description: 'MobileLLM-LS immediate block-wise repeat: each block runs `repeat` times in a row',
  defaults: { repeat: 2 },
  factory: (L, c) => {
    const r = checkInt(`sharing plan 'block-repeat'`, 'repeat', c.repeat, 1, L);
    if (L % r !== 0) throw new Error(`sharing plan 'block-repeat': repeat=${r} must divide the number of slots (depth=${L})`);
    return range(L, (i) => Math.floor(i / r));
  },
});
registerSharingPlan<CustomPlanConfig>('custom', {
  description: 'any slot -> block map',
  defaults: { map: [] },
  factory: (L, c) => {
    if (!Array.isArray(c.map) || c.map.length !== L) {
      throw new Error(`sharing plan 'custom': map=${describeValue(c.map)} must be an array of ${L} block indices (one per slot, depth=${L})`);
    }
    const map = c.map.map((b, i) => checkInt(`sharing plan 'custom'`, `map[${i}]`, b, 0, L - 1));
    const k = Math.max(...map) + 1;
    for (let b = 0; b < k; b++) {
      if (!map.includes(b)) throw new Error(`sharing plan 'custom': map=${describeValue(map)} never uses block ${b}; block indices must be 0..${k - 1} with none missing`);
    }
    return map;
  },
});

/** A plan's name and its options, from either form of {@link SharingPlan}. */
function splitPlan(plan: SharingPlan): { name: string; options: Record<string, unknown> } {
  if (typeof plan === 'string') return { name: plan, options: {} };
  if (plan === null || typeof plan !== 'object' || Array.isArray(plan) || typeof plan.name !== 'string') {
    throw new Error(`planSlots: plan=${describeValue(plan)} must be a plan name or { name, ...options }`);
  }
  const { name, ...options } = plan;
  return { name, options };
}

/** Resolve a plan to its slot map for `depth` slots, validating everything (unknown options name the nearest allowed one). */
export function planSlots(plan: SharingPlan, depth: number): SlotMap {
  if (!Number.isInteger(depth) || depth < 1) throw new Error(`planSlots: depth=${describeValue(depth)} must be an integer ≥ 1`);
  const { name, options } = splitPlan(plan);
  const entry = Object.hasOwn(SHARING_PLANS, name) ? SHARING_PLANS[name] : undefined;
  if (!entry) {
    const near = nearestName(name, Object.keys(SHARING_PLANS));
    throw new Error(`planSlots: plan name=${describeValue(name)} is not registered${near ? `; did you mean '${near}'?` : ''} (allowed: ${Object.keys(SHARING_PLANS).join(', ')})`);
  }
  return entry.factory(depth, resolveConfig(`sharing plan '${name}'`, entry.defaults, options));
}

/** Number of unique blocks K of a slot map. */
export function uniqueBlocks(slots: SlotMap): number {
  return new Set(slots).size;
}

/**
 * Applies `plan` to per-layer block specs (`perLayer[i]` is layer i unshared; `pathOf(i)` its path).
 * Each distinct block takes the spec and path of its first slot; slots sharing a block must have the
 * same `kind` (a dense layer cannot share with an MoE layer). Errors are `CalculatorError`s.
 */
export function applySharingPlan(
  perLayer: BlockSpec[],
  plan: SharingPlan,
  pathOf: (layer: number) => string,
): { blocks: { path: string; spec: BlockSpec }[]; slots: number[] } {
  let map: SlotMap;
  try {
    map = planSlots(plan, perLayer.length);
  } catch (e) {
    throw new CalculatorError(`sharing: ${(e as Error).message} (the slots are the num_hidden_layers=${perLayer.length} layers)`);
  }
  // Blocks numbered in order of first use, so block b is first used at a later slot than block b-1.
  const ids = new Map<number, number>();
  const slots = map.map((b) => {
    if (!ids.has(b)) ids.set(b, ids.size);
    return ids.get(b)!;
  });
  const blocks: { path: string; spec: BlockSpec }[] = [];
  const firstLayer: number[] = [];
  slots.forEach((b, i) => {
    const spec = perLayer[i]!;
    if (b === blocks.length) {
      blocks.push({ path: pathOf(i), spec });
      firstLayer.push(i);
    } else if (blocks[b]!.spec.kind !== spec.kind) {
      throw new CalculatorError(
        `sharing: plan ${describeValue(plan)} puts layer ${firstLayer[b]} (${blocks[b]!.spec.kind}) and layer ${i} ` +
          `(${spec.kind}) in one block; only layers of the same kind can share`,
      );
    }
  });
  return { blocks, slots };
}

/**
 * Sub-module sharing (MobiLlama's one FFN, Megrez2's expert banks): `plan` over the layers places
 * banks of the entries `pick` selects; a layer reusing a bank an earlier layer stores gets those
 * entries as tied (counted in effective and active per token, not stored). Layers without such
 * entries (a dense layer under `expertSharing`) take no part: the plan runs over the layers that have
 * them. Needs one block per layer (block plan 'none'). `option` names the count option in errors.
 */
export function shareEntries(spec: ModelSpec, plan: SharingPlan, option: string, pick: (e: ParamEntry) => boolean): ModelSpec {
  if (spec.blocks.length !== spec.slots.length) {
    throw new CalculatorError(`${option}: shares sub-modules across layers and needs every layer its own block; got sharing with ${spec.blocks.length} unique blocks for ${spec.slots.length} layers (use sharing 'none')`);
  }
  const layers = spec.slots.map((b) => b).filter((b) => spec.blocks[b]!.spec.entries.some(pick));
  if (layers.length === 0) throw new CalculatorError(`${option}: this ${spec.modelType} config has no layer with the modules it shares`);
  let map: SlotMap;
  try {
    map = planSlots(plan, layers.length);
  } catch (e) {
    throw new CalculatorError(`${option}: ${(e as Error).message} (the slots are the ${layers.length} layers with these modules)`);
  }
  const stored = new Set<number>();
  const blocks = spec.blocks.map((b) => ({ ...b, spec: { ...b.spec, entries: [...b.spec.entries] } }));
  layers.forEach((blockIndex, i) => {
    if (!stored.has(map[i]!)) {
      stored.add(map[i]!);
      return;
    }
    const b = blocks[blockIndex]!;
    b.spec.entries = b.spec.entries.map((e) => (pick(e) ? { ...e, tied: true } : e));
  });
  return { ...spec, blocks };
}

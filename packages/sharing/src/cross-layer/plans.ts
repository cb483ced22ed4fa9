// Cross-layer sharing plans: which of K unique blocks fills each of L layer slots.
// Papers: ALBERT (arXiv:1909.11942) all-shared and `num_hidden_groups`; Takase & Kiyono, "Lessons on
// Parameter Sharing across Layers in Transformers" (arXiv:2104.06022) cycle and cycle-reverse;
// Subformer (arXiv:2101.00234) sandwich; MobileLLM (arXiv:2402.14905) immediate block-wise repeat.
// A plan is only the `slot -> block` array; applying it (apply.ts) puts one block object in several
// slots, and sharing by identity does the rest (the ledger needs no bookkeeping).

/** The `slot -> block` map of a plan: entry i is the block index (0..K-1) used at slot i. */
export type SlotMap = number[];

/** A registered plan: documented defaults and a factory from (slots, config) to the map. */
export interface PlanEntry<C extends object = object> {
  /** One line on what the plan does and where it comes from. */
  description: string;
  /** The config defaults (plain JSON). */
  defaults: C;
  /** The slot map for `slots` layers. Throws naming the bad value. */
  factory(slots: number, config: C): SlotMap;
}

/** Config of the 'groups' plan (ALBERT `num_hidden_groups`). */
export interface GroupsPlanConfig {
  /** Number of groups; consecutive runs of slots/groups slots share one block. Must divide the slot count. Default: 2. */
  groups: number;
}
/** Config of the 'cycle' and 'cycle-reverse' plans. */
export interface CyclePlanConfig {
  /** Number of unique blocks K (1 ≤ K ≤ slots). Default: 2. */
  unique: number;
}
/** Config of the 'block-repeat' plan (MobileLLM-LS). */
export interface BlockRepeatPlanConfig {
  /** Times each block runs in a row; must divide the slot count. Default: 2 (MobileLLM-LS). */
  repeat: number;
}
/** Config of the 'custom' plan. */
export interface CustomPlanConfig {
  /** The slot map itself: one block index per slot, every index 0..max used. Default: [] (must be given). */
  map: number[];
}

function int(plan: string, name: string, v: unknown, lo: number, hi: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
    throw new Error(`sharing plan '${plan}': ${name}=${JSON.stringify(v) ?? String(v)} must be an integer in [${lo}, ${hi}]`);
  }
  return v;
}

const range = (n: number, f: (i: number) => number): SlotMap => Array.from({ length: n }, (_, i) => f(i));

/** The registry of sharing plans, by name. */
export const SHARING_PLANS: Record<string, PlanEntry<any>> = {
  none: { description: 'no sharing: every slot its own block (the baseline)', defaults: {}, factory: (L) => range(L, (i) => i) },
  'all-shared': {
    description: 'ALBERT / Universal Transformer: one block in every slot',
    defaults: {},
    factory: (L) => range(L, () => 0),
  },
  groups: {
    description: 'ALBERT num_hidden_groups: consecutive slots in G groups, one block per group',
    defaults: { groups: 2 } satisfies GroupsPlanConfig,
    factory: (L, c: GroupsPlanConfig) => {
      const g = int('groups', 'groups', c.groups, 1, L);
      if (L % g !== 0) throw new Error(`sharing plan 'groups': groups=${g} must divide the number of slots (depth=${L})`);
      return range(L, (i) => Math.floor(i / (L / g)));
    },
  },
  cycle: {
    description: 'Takase & Kiyono CYCLE: blocks 0..K-1, 0..K-1, …',
    defaults: { unique: 2 } satisfies CyclePlanConfig,
    factory: (L, c: CyclePlanConfig) => {
      const k = int('cycle', 'unique', c.unique, 1, L);
      return range(L, (i) => i % k);
    },
  },
  'cycle-reverse': {
    description: 'Takase & Kiyono CYCLE (REV): CYCLE over the first L-K slots, then K-1..0',
    defaults: { unique: 2 } satisfies CyclePlanConfig,
    factory: (L, c: CyclePlanConfig) => {
      const k = int('cycle-reverse', 'unique', c.unique, 1, L);
      return range(L, (i) => (i < L - k ? i % k : L - 1 - i));
    },
  },
  sandwich: {
    description: 'Subformer sandwich: first and last slots unique, every middle slot one shared block',
    defaults: {},
    factory: (L) => {
      if (L < 3) throw new Error(`sharing plan 'sandwich': depth=${L} must be ≥ 3 (a first, a shared middle and a last slot)`);
      return range(L, (i) => (i === 0 ? 0 : i === L - 1 ? 2 : 1));
    },
  },
  'block-repeat': {
    description: 'MobileLLM-LS immediate block-wise repeat: each block runs `repeat` times in a row',
    defaults: { repeat: 2 } satisfies BlockRepeatPlanConfig,
    factory: (L, c: BlockRepeatPlanConfig) => {
      const r = int('block-repeat', 'repeat', c.repeat, 1, L);
      if (L % r !== 0) throw new Error(`sharing plan 'block-repeat': repeat=${r} must divide the number of slots (depth=${L})`);
      return range(L, (i) => Math.floor(i / r));
    },
  },
  custom: {
    description: 'any slot -> block map',
    defaults: { map: [] } satisfies CustomPlanConfig,
    factory: (L, c: CustomPlanConfig) => {
      if (!Array.isArray(c.map) || c.map.length !== L) {
        throw new Error(`sharing plan 'custom': map=${JSON.stringify(c.map)} must be an array of ${L} block indices (one per slot, depth=${L})`);
      }
      const map = c.map.map((b, i) => int('custom', `map[${i}]`, b, 0, L - 1));
      const k = Math.max(...map) + 1;
      for (let b = 0; b < k; b++) {
        if (!map.includes(b)) throw new Error(`sharing plan 'custom': map=${JSON.stringify(map)} never uses block ${b}; block indices must be 0..${k - 1} with none missing`);
      }
      return map;
    },
  },
};

/** A plan by name with its config (fields not given take the registry defaults). */
export interface PlanRef {
  /** Registry name: 'none', 'all-shared', 'groups', 'cycle', 'cycle-reverse', 'sandwich', 'block-repeat', 'custom'. */
  name: string;
  /** Plan config (see the plan's defaults). */
  [key: string]: unknown;
}

/** Register a plan (a new plan is one file plus this call). */
export function registerSharingPlan<C extends object>(name: string, entry: PlanEntry<C>): void {
  if (SHARING_PLANS[name]) throw new Error(`registerSharingPlan: name="${name}" is already registered`);
  SHARING_PLANS[name] = entry;
}

/** Resolve a plan to its slot map for `depth` slots, validating everything. */
export function planSlots(plan: PlanRef | string, depth: number): SlotMap {
  const ref: PlanRef = typeof plan === 'string' ? { name: plan } : plan;
  if (!Number.isInteger(depth) || depth < 1) throw new Error(`planSlots: depth=${String(depth)} must be an integer ≥ 1`);
  const entry = ref && typeof ref === 'object' ? SHARING_PLANS[ref.name] : undefined;
  if (!entry) {
    throw new Error(`planSlots: plan name=${JSON.stringify(ref?.name ?? ref)} is not registered; allowed: ${Object.keys(SHARING_PLANS).join(', ')}`);
  }
  const { name: _n, ...rest } = ref;
  for (const key of Object.keys(rest)) {
    if (!(key in entry.defaults)) {
      throw new Error(`sharing plan '${ref.name}': unknown option "${key}"; allowed: ${Object.keys(entry.defaults).join(', ') || '(none)'}`);
    }
  }
  return entry.factory(depth, { ...entry.defaults, ...rest });
}

/** Number of unique blocks K of a slot map. */
export function uniqueBlocks(slots: SlotMap): number {
  return new Set(slots).size;
}

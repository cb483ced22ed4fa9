// The merge-method registry: Weft's own ΔW-space merges (task arithmetic, TIES, DARE, PCB, CABS,
// …), each one entry object — paper, documented defaults, checks and a per-layer merge of task
// vectors — registered from its own file. `combineAdapters` and the adapters page read it.
// PEFT's factor-space add_weighted_adapter is separate (./peft-weighted.ts), under PEFT's names.
import { describeValue, type Rng } from '@weft/core';
import { PEFT_COMBINATION_TYPES } from './peft-weighted.js';

/** What a merge method sees of one layer besides its task vectors. */
export interface MergeContext {
  /** The layer's module path. */
  path: string;
  /** Index of the layer among the merged ones (0-based) and their count. */
  layer: number;
  layers: number;
  /** ΔW's shape: [rows = fanIn, cols = out], row-major. */
  rows: number;
  cols: number;
  /** Seeded randomness (DARE's masks, …). */
  rng: Rng;
}

/** One merge method of task vectors τᵢ = ΔWᵢ. */
export interface MergeMethod<O extends object = any> {
  /** Its name in messages, e.g. "TIES-Merging". */
  label: string;
  /** The paper (title and arXiv id). */
  paper: string;
  /** Every option with its documented default: the one place defaults are written. */
  defaults: Readonly<O>;
  /** Check the options (defaults filled in); errors name `where`, the option, the value and what is allowed. */
  check?(options: O, where: string): O;
  /** The merged ΔW of one layer from the task vectors `tasks` (flat [rows, cols]) and their `weights`. */
  merge(tasks: Float32Array[], weights: readonly number[], options: O, ctx: MergeContext): Float32Array;
}

const methods = new Map<string, MergeMethod>();
const NAME = /^[a-z][a-z0-9-]*$/;

/**
 * Register merge method `name`. Names are lower-case words joined by "-" (PEFT's snake_case names
 * belong to addWeightedAdapter, so no Weft merge is mistaken for PEFT's).
 */
export function registerMergeMethod(name: string, method: MergeMethod): void {
  if (!NAME.test(name)) throw new Error(`registerMergeMethod: name ${describeValue(name)} must be lower-case letters, digits and "-"`);
  if (methods.has(name)) throw new Error(`registerMergeMethod: "${name}" is already registered`);
  methods.set(name, method);
}

/** The merge method registered as `name`. */
export function mergeMethod(name: unknown): MergeMethod {
  const m = typeof name === 'string' ? methods.get(name) : undefined;
  if (!m) {
    const peft = (PEFT_COMBINATION_TYPES as readonly unknown[]).includes(name) ? ` (${JSON.stringify(name)} is PEFT's name: addWeightedAdapter gives PEFT's semantics)` : '';
    throw new Error(`combineAdapters: method=${describeValue(name)} is not registered${peft}; allowed: ${[...methods.keys()].join(', ')}`);
  }
  return m;
}

/** Registered merge method names, in registration order. */
export function mergeMethodNames(): string[] {
  return [...methods.keys()];
}

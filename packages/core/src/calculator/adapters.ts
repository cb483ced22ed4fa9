// The calculator's side of the adapter-method seam: the registry of real-scale counts (each an
// `AdapterCount`, adapter-count.ts) and the generic part of counting an adapter (options checked
// against the method's defaults, per-`model_type` default targets, PEFT's matching, expert paths).
//
// Why a registry in core: a method's count belongs with the method, but core cannot import
// @weft/sharing (dependencies flow core ← sharing). So core owns this small name → count registry
// and sharing's `registerAdapterMethod` fills it from each method's entry (its `count` field): the
// one registration line in a method's folder serves injection, PEFT I/O and the calculator, and no
// per-method table is kept anywhere else. The counts of PEFT's four formats (LoRA/DoRA, LoHa, LoKr,
// IA3) are pure functions in core (peft-counts.ts), so that the tensor-free calculator (the params
// page) counts them without loading tfjs; the registry starts with them, and their sharing entries
// point at the very same objects — registering a different count under a taken name throws, so the
// two cannot drift.

import { resolveConfig, describeValue } from '../config.js';
import { CalculatorError, add, mul } from './arith.js';
import { compileModulePatterns, type AdapterCount, type AdapterCountPlan, type ModuleMatcher } from './adapter-count.js';
import { IA3_COUNT, LOHA_COUNT, LOKR_COUNT, LORA_COUNT } from './peft-counts.js';
import type { TargetableModule } from './spec.js';
import type { AdapterConfig, SupportedModelType } from './types.js';

/** Expert paths one count may test against an index-dependent pattern (about half a second). */
const MAX_INDEX_TESTS = 1_048_576;

const counts = new Map<string, AdapterCount<any>>([
  ['lora', LORA_COUNT],
  ['loha', LOHA_COUNT],
  ['lokr', LOKR_COUNT],
  ['ia3', IA3_COUNT],
]);

/**
 * Register the real-scale count of adapter method `name` (sharing's `registerAdapterMethod` does it
 * for every method whose entry has a count). Registering the same object again is a no-op.
 */
export function registerAdapterCount(name: string, count: AdapterCount<any>): void {
  const known = counts.get(name);
  if (known === count) return;
  if (known) throw new Error(`registerAdapterCount: "${name}" already has a different count registered`);
  counts.set(name, count);
}

/** The count registered for adapter method `name`. */
export function adapterCount(name: unknown): AdapterCount<any> {
  const c = typeof name === 'string' ? counts.get(name) : undefined;
  if (!c) {
    throw new CalculatorError(
      `adapter: method=${describeValue(name)} is not supported: expected one of ${adapterCountNames().join(', ')} ` +
        '(an adapter method registers its count with its entry, e.g. by importing @weft/sharing)',
    );
  }
  return c;
}

/** Names of the adapter methods the calculator can count. */
export function adapterCountNames(): string[] {
  return [...counts.keys()];
}

/** An adapter with its options checked, its targets compiled and its count planned. */
export interface ResolvedAdapter {
  method: string;
  targets: ModuleMatcher;
  plan: AdapterCountPlan;
}

/** Checks an adapter config against its method's count and applies the per-`model_type` default targets. */
export function resolveAdapter(adapter: AdapterConfig, modelType: SupportedModelType): ResolvedAdapter {
  if (adapter === null || typeof adapter !== 'object' || Array.isArray(adapter)) {
    throw new CalculatorError(`adapter: expected an object with a method, got ${describeValue(adapter)}`);
  }
  const method = (adapter as { method?: unknown }).method;
  const count = adapterCount(method);
  let options: Record<string, unknown>;
  try {
    options = resolveConfig(`adapter (${String(method)})`, count.options as Record<string, unknown>, adapter as Record<string, unknown>, {
      extraKeys: ['method', 'targetModules'],
    });
  } catch (e) {
    throw new CalculatorError((e as Error).message);
  }
  let targets = options['targetModules'];
  if (targets === undefined) {
    const preset = count.defaultTargets?.[modelType];
    if (!preset) throw new CalculatorError(`adapter: targetModules is required for ${String(method)} on model_type "${modelType}" (no default)`);
    for (const [k, v] of Object.entries(preset)) if ((adapter as Record<string, unknown>)[k] === undefined) options[k] = v;
    targets = preset.targetModules;
  }
  delete options['method'];
  delete options['targetModules'];
  let plan: AdapterCountPlan;
  try {
    plan = count.plan(options);
  } catch (e) {
    // A count may reuse its method's own checks, whose errors are plain Errors.
    throw e instanceof CalculatorError ? e : new CalculatorError(`adapter: ${(e as Error).message}`);
  }
  return { method: method as string, targets: compileModulePatterns(targets, 'targetModules', 'dot'), plan };
}

/** The parameters a plan returns for one module, checked to be a count. */
export function adapterParams(ad: ResolvedAdapter, module: TargetableModule, path: string): number {
  const n = ad.plan.params(module, path);
  if (!Number.isSafeInteger(n) || n < 0) throw new CalculatorError(`adapter: ${ad.method} counted ${n} parameters on ${path}; expected a non-negative integer`);
  return n;
}

/**
 * Refuses, before any matching, an adapter whose patterns must be tested on each of `expertModules`
 * expert paths (a regex, or names with digits) when that is more than the budget of `MAX_INDEX_TESTS`.
 */
export function checkIndexBudget(ad: ResolvedAdapter, expertModules: number): void {
  const perIndex = !ad.targets.indexFree || ad.plan.indexFree === false;
  if (perIndex && expertModules > MAX_INDEX_TESTS) {
    throw new CalculatorError(
      `adapter: targetModules must be tested on each expert's path separately (a regex, or names with digits), ` +
        `which takes ${expertModules} tests here, more than ${MAX_INDEX_TESTS}; use module names without digits`,
    );
  }
}

/**
 * Adapter parameters of the copies matched at `path` (`*` stands for the expert index, or no `*` for a
 * single module), and how many copies matched. A pattern that can tell experts apart (a regex, or names
 * with digits) is tested on every expert's path (see `checkIndexBudget`).
 */
export function matchedParams(ad: ResolvedAdapter, module: TargetableModule, path: string, count: number): {
  matched: number;
  params: number;
} {
  const what = `adapter on ${path}`;
  const star = path.indexOf('*');
  const uniform = ad.plan.indexFree !== false;
  if (star < 0 || (ad.targets.indexFree && uniform)) {
    const p = star < 0 ? path : path.replace('*', '0');
    if (!ad.targets.test(p)) return { matched: 0, params: 0 };
    return { matched: count, params: mul(what, adapterParams(ad, module, p), count) };
  }
  const pre = path.slice(0, star);
  const post = path.slice(star + 1);
  const one = uniform ? adapterParams(ad, module, `${pre}0${post}`) : 0;
  let matched = 0;
  let params = 0;
  for (let e = 0; e < count; e++) {
    const p = pre + e + post;
    if (!ad.targets.test(p)) continue;
    matched++;
    if (!uniform) params = add(what, params, adapterParams(ad, module, p));
  }
  return { matched, params: uniform ? mul(what, one, matched) : params };
}

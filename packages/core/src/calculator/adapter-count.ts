// The contract by which an adapter method declares its real-scale parameter count (its registry
// entry's `count`; see adapters.ts), and the helpers a count uses: PEFT's module-pattern rules and
// the calculator's error for a bad option.

import { compileBoundedRegExp } from '../safe-regexp.js';
import { CalculatorError } from './arith.js';
import type { TargetableModule } from './spec.js';
import type { SupportedModelType, TargetModules } from './types.js';
import { describeValue } from '../config.js';

const MAX_TARGETS = 1024;
const MAX_TARGET_CHARS = 1024;

/** A compiled module pattern (see {@link compileModulePatterns}). */
export interface ModuleMatcher {
  /** Whether the pattern selects the module at `path`. */
  test(path: string): boolean;
  /** True when no index inside a path can change the answer (a list of names without digits). */
  indexFree: boolean;
}

/** How to count one adapter, for one set of checked options (see {@link AdapterCount.plan}). */
export interface AdapterCountPlan {
  /** Breakdown row name, e.g. "LoRA r=8 (DoRA)". */
  name: string;
  /** Parameters the adapter adds to the module at `path`; throws `CalculatorError` when the method cannot wrap it. */
  params(module: TargetableModule, path: string): number;
  /** False when `params` can differ between two expert copies of one module (a pattern tested per path). Default: true. */
  indexFree?: boolean;
  /**
   * Parameters shared by every adapted module (a MoS shard pool, a hypernetwork), stored once and
   * counted once per adapted module in effective and active counts, as the ledger does; `modules`
   * are the distinct adapted module shapes. Default: none.
   */
  shared?(modules: readonly TargetableModule[]): number;
}

/** The real-scale count of one adapter method, as its registry entry declares it. */
export interface AdapterCount<O extends object = Record<string, unknown>> {
  /**
   * The method's calculator options besides `method` and `targetModules`, with their defaults (the
   * method's own defaults); any other key is refused with the nearest allowed name.
   */
  options: O;
  /**
   * PEFT's default targets per `model_type` (its `TRANSFORMERS_MODELS_TO_*_TARGET_MODULES_MAPPING`):
   * the options used when `targetModules` is omitted. A model type without an entry needs `targetModules`.
   */
  defaultTargets?: Partial<Record<SupportedModelType, Partial<O> & { targetModules: TargetModules }>>;
  /** Check the options (errors name the option, the value and what is allowed) and say how to count. */
  plan(options: O): AdapterCountPlan;
}

/** The error a count throws for a bad option: names the option, the value and what is allowed. */
export function adapterOptionError(name: string, value: unknown, expected: string): CalculatorError {
  return new CalculatorError(`adapter: ${name}=${describeValue(value)} is not allowed: expected ${expected}`);
}

/**
 * Compile module patterns with PEFT's rules: a string is a regular expression matched against the
 * whole path; a list matches a path equal to an entry or ending in "." + entry (`'dot'`, PEFT's
 * `target_modules`) or simply ending in an entry (`'plain'`, PEFT's IA3 `feedforward_modules`).
 */
export function compileModulePatterns(patterns: unknown, name: string, suffixRule: 'dot' | 'plain'): ModuleMatcher {
  if (typeof patterns === 'string') {
    if (patterns.length === 0 || patterns.length > MAX_TARGET_CHARS) {
      throw new CalculatorError(
        `adapter: ${name} regex of ${patterns.length} characters is not allowed: expected 1 to ${MAX_TARGET_CHARS}`,
      );
    }
    let re: RegExp;
    try {
      re = compileBoundedRegExp(`adapter: ${name}`, patterns);
    } catch (e) {
      throw new CalculatorError((e as Error).message);
    }
    return { test: (p) => re.test(p), indexFree: false };
  }
  if (!Array.isArray(patterns) || patterns.length > MAX_TARGETS) {
    throw new CalculatorError(
      `adapter: ${name} must be a list of at most ${MAX_TARGETS} module names or one regex string, got ${
        Array.isArray(patterns) ? `${patterns.length} names` : typeof patterns
      }`,
    );
  }
  patterns.forEach((t, i) => {
    if (typeof t !== 'string' || t.length === 0 || t.length > MAX_TARGET_CHARS) {
      throw new CalculatorError(
        `adapter: ${name}[${i}]=${describeValue(t)} is not allowed: expected a module name of 1 to ${MAX_TARGET_CHARS} characters`,
      );
    }
  });
  const list = patterns as string[];
  const test =
    suffixRule === 'dot'
      ? (p: string) => list.some((t) => p === t || p.endsWith(`.${t}`))
      : (p: string) => list.some((t) => p.endsWith(t));
  return { test, indexFree: !list.some((t) => /[0-9]/.test(t)) };
}

/** The in/out sizes of a Linear; throws for an embedding (only plain LoRA wraps embeddings). */
export function linearSizes(method: string, module: TargetableModule, path: string): { in: number; out: number } {
  if (module.kind === 'embedding') {
    throw new CalculatorError(`adapter: ${method} cannot wrap the embedding ${path}; only plain LoRA wraps embeddings (narrow targetModules)`);
  }
  return module;
}

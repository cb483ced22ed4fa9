// Configuration shared by every adapter method, and the checks every method's config runs.
import type { TargetPattern } from './tree.js';

/** Fields common to every adapter method's config (plain, JSON-serialisable, like PEFT's). */
export interface AdapterConfigBase {
  /** Registry name of the method: "lora", "loha", "lokr", "ia3". */
  method: string;
  /**
   * Which layers to adapt, by module path: a string is a regular expression that must match the
   * whole path; a list matches a path equal to an entry or ending in "." + entry (PEFT's rule).
   */
  targets: TargetPattern;
  /** Paths to leave out, same rule as `targets`. Default: none. */
  exclude?: TargetPattern | null;
  /** Per-layer rank overrides: {pattern: r}, pattern matched against the end of the path. Default: {}. */
  rankPattern?: Record<string, number>;
  /** Per-layer alpha overrides: {pattern: alpha}. Default: {}. */
  alphaPattern?: Record<string, number>;
}

/** Throw unless `value` is a positive integer. */
export function checkPositiveInteger(fn: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new Error(`${fn}: ${name}=${JSON.stringify(value)} must be a positive integer`);
  }
  return value;
}

/** Throw unless `value` is a finite number. */
export function checkFinite(fn: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`${fn}: ${name}=${JSON.stringify(value)} must be a finite number`);
  return value;
}

/** Throw unless `value` is in [0, 1). */
export function checkRate(fn: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !(value >= 0 && value < 1)) throw new Error(`${fn}: ${name}=${JSON.stringify(value)} must be in [0, 1)`);
  return value;
}

/** Throw unless `value` is a boolean. */
export function checkBool(fn: string, name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new Error(`${fn}: ${name}=${JSON.stringify(value)} must be true or false`);
  return value;
}

/** Check a {pattern: number} map (rankPattern / alphaPattern). */
export function checkPatternMap(fn: string, name: string, value: unknown, integer: boolean): Record<string, number> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new Error(`${fn}: ${name} must be an object {pattern: number}`);
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (k.length === 0 || k.length > 2000) throw new Error(`${fn}: ${name} has a key of length ${k.length}; allowed 1..2000`);
    try {
      new RegExp(k);
    } catch {
      throw new Error(`${fn}: ${name} key "${k}" is not a valid regular expression`);
    }
    Object.defineProperty(out, k, {
      value: integer ? checkPositiveInteger(fn, `${name}["${k}"]`, v) : checkFinite(fn, `${name}["${k}"]`, v),
      enumerable: true,
    });
  }
  return out;
}

/** PEFT's per-layer override: the first pattern key matching the end of the path ("(.*\.)?(key)$"), else the default. */
export function patternValue(pattern: Record<string, number> | undefined, path: string, fallback: number): number {
  for (const [k, v] of Object.entries(pattern ?? {})) {
    if (new RegExp(`^(?:.*\\.)?(?:${k})$`).test(path)) return v;
  }
  return fallback;
}

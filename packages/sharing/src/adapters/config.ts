// The fields every adapter method's config shares, the types derived from a method's config, and
// PEFT's per-layer rank/alpha overrides (rank_pattern / alpha_pattern) that LoRA, LoHa and LoKr take.
import { compileBoundedRegExp } from '@weft/core';
import { checkNumber, checkPositiveInt } from '@weft/core/internal';

/** PEFT's rule for a rank/alpha pattern key: it matches the end of a module path, after a dot. */
const patternRule = (k: string) => `^(?:.*\\.)?(?:${k})$`;
import type { TargetPattern } from './tree.js';

/** Fields common to every adapter method's config (plain, JSON-serialisable, like PEFT's). */
export interface AdapterConfigBase {
  /** Registry name of the method, e.g. "lora" (see `adapterMethodNames()`). */
  method: string;
  /**
   * Which layers to adapt, by module path: a string is a regular expression that must match the
   * whole path; a list matches a path equal to an entry or ending in "." + entry (PEFT's rule).
   */
  targets: TargetPattern;
  /** Paths to leave out, same rule as `targets`. Default: none. */
  exclude?: TargetPattern | null;
}

/** A method config's own options: every field besides `method`, `targets` and `exclude`. */
export type AdapterOptions<C extends AdapterConfigBase> = Omit<C, keyof AdapterConfigBase>;

/** The options with every default filled in. */
export type ResolvedOptions<C extends AdapterConfigBase> = { [K in keyof AdapterOptions<C>]-?: Exclude<AdapterOptions<C>[K], undefined> };

/** A method config with every default filled in (what an adapter layer and PEFT's saver see). */
export type ResolvedConfig<C extends AdapterConfigBase> = { method: C['method']; targets: TargetPattern; exclude: TargetPattern | null } & ResolvedOptions<C>;

/** PEFT's per-layer overrides, for the methods that take them (LoRA, LoHa, LoKr). */
export interface RankPatterns {
  /** Per-layer rank overrides: {pattern: r}, pattern matched against the end of the path. Default: {}. */
  rankPattern?: Record<string, number>;
  /** Per-layer alpha overrides: {pattern: alpha}. Default: {}. */
  alphaPattern?: Record<string, number>;
}

/** Check a {pattern: number} map (rankPattern: positive integers; alphaPattern: finite numbers). */
export function checkPatternMap(where: string, name: string, value: Record<string, number>, integer: boolean): Record<string, number> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${where}: ${name} must be an object {pattern: number}`);
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k.length === 0 || k.length > 2000) throw new Error(`${where}: ${name} has a key of length ${k.length}; allowed 1..2000`);
    compileBoundedRegExp(`${where}: ${name} key`, k, patternRule);
    // defineProperty: a key such as "__proto__" stays an ordinary key.
    Object.defineProperty(out, k, { value: integer ? checkPositiveInt(where, `${name}["${k}"]`, v) : checkNumber(where, `${name}["${k}"]`, v), enumerable: true });
  }
  return out;
}

/** PEFT's per-layer override: the first pattern key matching the end of the path ("(.*\.)?(key)$"), else the default. */
export function patternValue(pattern: Record<string, number>, path: string, fallback: number): number {
  for (const [k, v] of Object.entries(pattern)) {
    if (compileBoundedRegExp('pattern', k, patternRule).test(path)) return v;
  }
  return fallback;
}

/**
 * The rank and alpha of one layer from a config with rank/alpha patterns, the rank checked to be in
 * 1..`limit` (the layer's size): errors name the method, the path and the allowed range.
 */
export function layerRankAlpha(label: string, c: { r: number; alpha: number } & Required<RankPatterns>, path: string, limit: number, shape: string): { r: number; alpha: number } {
  const r = patternValue(c.rankPattern, path, c.r);
  if (!Number.isInteger(r) || r <= 0 || r > limit) throw new Error(`${label}: r=${r} at "${path}" must be an integer in 1..${limit} for a ${shape} layer`);
  return { r, alpha: patternValue(c.alphaPattern, path, c.alpha) };
}

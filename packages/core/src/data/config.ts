// Config resolution and argument checks shared by every dataset generator: merge a partial
// config over documented defaults, reject unknown keys and wrong types (configs arrive from
// URLs), and check ranges with messages naming the argument, the value and what is allowed.
import { Rng } from '../random.js';

/** Largest number of array elements one generator may allocate (guards against configs from URLs). */
export const MAX_ELEMENTS = 1 << 24;

/** Merge `config` over `defaults`; throw on unknown keys or on a value whose type differs from the default's. */
export function resolveConfig<C extends object>(where: string, defaults: C, config: Partial<C> | undefined): C {
  if (config === undefined || config === null) return { ...defaults };
  if (typeof config !== 'object' || Array.isArray(config)) {
    throw new Error(`${where}: config=${JSON.stringify(config)} must be an object`);
  }
  const out = { ...defaults } as Record<string, unknown>;
  const allowed = Object.keys(defaults);
  for (const [key, value] of Object.entries(config)) {
    if (!allowed.includes(key)) {
      throw new Error(`${where}: unknown config key "${key}"; allowed: ${allowed.join(', ')}`);
    }
    if (value === undefined) continue;
    const expected = (defaults as Record<string, unknown>)[key];
    const kind = (v: unknown) => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);
    if (kind(value) !== kind(expected)) {
      throw new Error(`${where}: ${key}=${JSON.stringify(value)} must be ${kind(expected) === 'array' ? 'an' : 'a'} ${kind(expected)}`);
    }
    out[key] = value;
  }
  return out as C;
}

/** Throw unless `value` is an integer in [min, max]. */
export function checkInt(where: string, name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `in [${min}, ${max}]`;
    throw new Error(`${where}: ${name}=${value} must be an integer ${range}`);
  }
}

/** Throw unless `value` is a finite number in [min, max]. */
export function checkNumber(where: string, name: string, value: number, min = -Infinity, max = Infinity): void {
  if (!Number.isFinite(value) || value < min || value > max) {
    const range =
      min === -Infinity && max === Infinity ? 'finite'
      : max === Infinity ? `finite and ≥ ${min}`
      : min === -Infinity ? `finite and ≤ ${max}`
      : `in [${min}, ${max}]`;
    throw new Error(`${where}: ${name}=${value} must be a number ${range}`);
  }
}

/** Throw unless `value` is one of `allowed`. */
export function checkOneOf<T extends string>(where: string, name: string, value: string, allowed: readonly T[]): asserts value is T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new Error(`${where}: ${name}=${JSON.stringify(value)} must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`);
  }
}

/** Throw unless `min ≤ max` for a pair of range arguments. */
export function checkOrdered(where: string, minName: string, min: number, maxName: string, max: number): void {
  if (min > max) throw new Error(`${where}: ${minName}=${min} must be ≤ ${maxName}=${max}`);
}

/** Throw when `elements` (an allocation size) exceeds {@link MAX_ELEMENTS}. */
export function checkSize(where: string, what: string, elements: number): void {
  if (elements > MAX_ELEMENTS) {
    throw new Error(`${where}: ${what} needs ${elements} elements; at most ${MAX_ELEMENTS} are allowed`);
  }
}

/** The generator a dataset draws from: a fork named after the dataset, so datasets made from one seed are independent. */
export function datasetRng(where: string, seed: number | Rng, name: string): Rng {
  if (seed instanceof Rng) return seed.fork(name);
  if (!Number.isFinite(seed)) throw new Error(`${where}: seed=${seed} must be a finite number or an Rng`);
  return new Rng(seed).fork(name);
}

// Argument checks used by every Weft package (exported as `@weft/core/internal`, not public API):
// each error names the caller, the argument, the value and what is allowed. Config keys are
// checked by `resolveConfig` / `checkKnownKeys` in config.ts.
import { describeValue } from './config.js';

/** Largest number of array elements one generator or parser may allocate (guards against configs from URLs). */
export const MAX_ELEMENTS = 1 << 24;

/** Throw unless `value` is an integer in [min, max]; returns it. */
export function checkInt(where: string, name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `in [${min}, ${max}]`;
    throw new Error(`${where}: ${name}=${describeValue(value)} must be an integer ${range}`);
  }
  return value;
}

/** Throw unless `value` is a positive integer; returns it. */
export function checkPositiveInt(where: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new Error(`${where}: ${name}=${describeValue(value)} must be a positive integer`);
  }
  return value;
}

/** Throw unless `value` is a finite number in [min, max]; returns it. */
export function checkNumber(where: string, name: string, value: unknown, min = -Infinity, max = Infinity): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    const range =
      min === -Infinity && max === Infinity ? 'finite'
      : max === Infinity ? `finite and ≥ ${min}`
      : min === -Infinity ? `finite and ≤ ${max}`
      : `in [${min}, ${max}]`;
    throw new Error(`${where}: ${name}=${describeValue(value)} must be a number ${range}`);
  }
  return value;
}

/** Throw unless `value` is a positive finite number; returns it. */
export function checkPositive(where: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw new Error(`${where}: ${name}=${describeValue(value)} must be a positive finite number`);
  }
  return value;
}

/** Throw unless `value` is a rate in [0, 1) (dropout, DARE's drop rate); returns it. */
export function checkRate(where: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !(value >= 0 && value < 1)) {
    throw new Error(`${where}: ${name}=${describeValue(value)} must be a number in [0, 1)`);
  }
  return value;
}

/** Throw unless `value` is a boolean; returns it. */
export function checkBool(where: string, name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new Error(`${where}: ${name}=${describeValue(value)} must be true or false`);
  return value;
}

/** Throw unless `value` is one of `allowed`. */
export function checkOneOf<T>(where: string, name: string, value: unknown, allowed: readonly T[]): asserts value is T {
  if (!allowed.includes(value as T)) {
    throw new Error(`${where}: ${name}=${describeValue(value)} must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`);
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

/** Throw unless tensor `x` has rank `rank` (or one of several ranks); `what` describes the expected layout. */
export function checkRank(where: string, name: string, x: { rank: number; shape: number[] }, rank: number | number[], what: string): void {
  const ranks = Array.isArray(rank) ? rank : [rank];
  if (!ranks.includes(x.rank)) {
    throw new Error(`${where}: ${name} has shape [${x.shape}] (rank ${x.rank}); expected rank ${ranks.join(' or ')}: ${what}`);
  }
}

// Argument checks of @weft/moe: each error names the caller, the argument, the value and what is allowed.

/** Throw unless `value` is an integer in [lo, hi]. */
export function checkInt(who: string, name: string, value: unknown, lo: number, hi = Number.MAX_SAFE_INTEGER): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < lo || value > hi) {
    const range = hi === Number.MAX_SAFE_INTEGER ? `≥ ${lo}` : `in [${lo}, ${hi}]`;
    throw new Error(`${who}: ${name}=${String(value)} must be an integer ${range}`);
  }
}

/** Throw unless `value` is a finite number ≥ lo (or > lo when `strict`). */
export function checkNum(who: string, name: string, value: unknown, lo: number, strict = false): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || (strict ? !(value > lo) : !(value >= lo))) {
    throw new Error(`${who}: ${name}=${String(value)} must be a finite number ${strict ? '>' : '≥'} ${lo}`);
  }
}

/** Throw unless `value` is one of `allowed`. */
export function checkEnum<T>(who: string, name: string, value: unknown, allowed: readonly T[]): asserts value is T {
  if (!allowed.includes(value as T)) {
    throw new Error(`${who}: ${name}=${JSON.stringify(value)} must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`);
  }
}

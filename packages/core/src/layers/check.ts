// Argument checks shared by the layers: each error names the layer, the argument, the value and what is allowed.

/** Throw unless `value` is a positive integer. */
export function checkPositiveInt(layer: string, name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new Error(`${layer}: ${name}=${String(value)} must be a positive integer`);
  }
}

/** Throw unless `value` is a number in [lo, hi]. */
export function checkRange(layer: string, name: string, value: unknown, lo: number, hi: number): void {
  if (typeof value !== 'number' || !(value >= lo && value <= hi)) {
    throw new Error(`${layer}: ${name}=${String(value)} must be a number in [${lo}, ${hi}]`);
  }
}

/** Throw unless `value` is one of `allowed`. */
export function checkOneOf<T>(layer: string, name: string, value: unknown, allowed: readonly T[]): asserts value is T {
  if (!allowed.includes(value as T)) {
    throw new Error(`${layer}: ${name}=${JSON.stringify(value)} must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`);
  }
}

/** Throw unless `value` is a positive finite number. */
export function checkPositive(layer: string, name: string, value: unknown): void {
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw new Error(`${layer}: ${name}=${String(value)} must be a positive finite number`);
  }
}

/** Throw unless tensor `x` has rank `rank` (or one of several ranks); `what` describes the expected layout. */
export function checkRank(layer: string, name: string, x: { rank: number; shape: number[] }, rank: number | number[], what: string): void {
  const ranks = Array.isArray(rank) ? rank : [rank];
  if (!ranks.includes(x.rank)) {
    throw new Error(`${layer}: ${name} has shape [${x.shape}] (rank ${x.rank}); expected rank ${ranks.join(' or ')}: ${what}`);
  }
}

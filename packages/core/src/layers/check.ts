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

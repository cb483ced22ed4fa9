// Exact integer arithmetic on doubles: every product and sum is checked to stay a safe integer
// (≤ 2^53 − 1), where doubles are exact. Rounding is monotonic, so a true result past that bound
// always computes to an unsafe number and is caught; below it every step is exact.

/** Thrown for a bad config, bad options, or a count too large to be exact. */
export class CalculatorError extends Error {
  override name = 'CalculatorError';
}

function check(value: number, what: string): number {
  if (!Number.isSafeInteger(value)) {
    throw new CalculatorError(
      `calculator: ${what} exceeds Number.MAX_SAFE_INTEGER (${Number.MAX_SAFE_INTEGER}); ` +
        'the config is too large to count exactly',
    );
  }
  return value;
}

/** Exact product of non-negative safe integers; throws `CalculatorError` naming `what` if it would be inexact. */
export function mul(what: string, ...factors: number[]): number {
  let p = 1;
  for (const f of factors) p = check(p * f, what);
  return p;
}

/** Exact sum of safe integers; throws `CalculatorError` naming `what` if it would be inexact. */
export function add(what: string, ...terms: number[]): number {
  let s = 0;
  for (const t of terms) s = check(s + t, what);
  return s;
}

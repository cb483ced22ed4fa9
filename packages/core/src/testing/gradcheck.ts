// gradCheck: compare tf.variableGrads with central finite differences, (f(v+ε) − f(v−ε)) / 2ε,
// entry by entry. tfjs computes in float32, so ε is large (1e-2) and the tolerances are loose by
// float64 standards; the loss should be smooth near the point (no ReLU kinks, no ties in a max).
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../random.js';

/** Options of {@link gradCheck}. */
export interface GradCheckOptions {
  /** Finite-difference step. Default: 1e-2 (float32: much smaller steps drown in rounding). */
  eps?: number;
  /** Relative tolerance: an entry passes if |analytic − numeric| ≤ atol + rtol·max(|analytic|, |numeric|). Default: 2e-2. */
  rtol?: number;
  /** Absolute tolerance (see rtol). Default: 2e-3. */
  atol?: number;
  /** Entries checked per variable (all if the variable is smaller; else a seeded random sample). Default: 12. */
  maxEntries?: number;
  /** Seed of the entry sample. Default: 0. */
  seed?: number;
}

/** One checked entry. */
export interface GradCheckEntry {
  /** Variable name (the path given, else the tf.Variable name). */
  name: string;
  /** Flat index into the variable. */
  index: number;
  /** Gradient from tf.variableGrads (0 when the variable got none). */
  analytic: number;
  /** Central finite difference. */
  numeric: number;
  /** |analytic − numeric|. */
  absError: number;
  /** |analytic − numeric| / max(|analytic|, |numeric|, atol). */
  relError: number;
}

/** What {@link gradCheck} measured. */
export interface GradCheckResult {
  /** No failing entry and no missing gradient. */
  ok: boolean;
  /** Largest relative error over the checked entries. */
  maxRelError: number;
  /** Largest absolute error over the checked entries. */
  maxAbsError: number;
  /** The entry with the largest relative error (null if nothing was checked). */
  worst: GradCheckEntry | null;
  /** Entries outside the tolerance. */
  failures: GradCheckEntry[];
  /** Variables that tf.variableGrads gave no gradient (unused by f, or disconnected). */
  missing: string[];
  /** Number of entries checked. */
  checked: number;
}

/** Variables to check: a list, `namedParameters()` pairs, or a record by name. Shared variables are checked once. */
export type GradCheckVariables = tf.Variable[] | Array<[string, tf.Variable]> | Record<string, tf.Variable>;

function named(variables: GradCheckVariables): Array<[string, tf.Variable]> {
  const pairs: Array<[string, tf.Variable]> = Array.isArray(variables)
    ? variables.map((v) => (v instanceof tf.Variable ? ([v.name, v] as [string, tf.Variable]) : v))
    : Object.entries(variables);
  const seen = new Set<tf.Variable>();
  return pairs.filter(([name, v]) => {
    if (!(v instanceof tf.Variable)) throw new Error(`gradCheck: variables["${name}"] is not a tf.Variable`);
    if (seen.has(v)) return false;
    seen.add(v);
    return true;
  });
}

async function scalarValue(f: () => tf.Scalar): Promise<number> {
  const s = tf.tidy(f);
  if (s.rank !== 0) {
    s.dispose();
    throw new Error(`gradCheck: f must return a scalar, got shape [${s.shape}]`);
  }
  const value = (await s.data())[0]!;
  s.dispose();
  return value;
}

/**
 * Check the gradients of the scalar `f` with respect to `variables` against central finite
 * differences. Reads values with `await data()` (safe on webgpu); restores every variable.
 */
export async function gradCheck(
  f: () => tf.Scalar,
  variables: GradCheckVariables,
  options: GradCheckOptions = {},
): Promise<GradCheckResult> {
  const eps = options.eps ?? 1e-2;
  const rtol = options.rtol ?? 2e-2;
  const atol = options.atol ?? 2e-3;
  const maxEntries = options.maxEntries ?? 12;
  for (const [k, v] of Object.entries({ eps, rtol, atol })) {
    if (!(v > 0) || !Number.isFinite(v)) throw new Error(`gradCheck: ${k}=${v} must be a positive finite number`);
  }
  if (!Number.isInteger(maxEntries) || maxEntries <= 0) throw new Error(`gradCheck: maxEntries=${maxEntries} must be a positive integer`);
  const vars = named(variables);
  for (const [name, v] of vars) {
    if (!v.trainable) throw new Error(`gradCheck: variable "${name}" is not trainable (tf.variableGrads skips it)`);
    if (v.dtype !== 'float32') throw new Error(`gradCheck: variable "${name}" has dtype ${v.dtype}; only float32 is checked`);
  }

  // Analytic gradients.
  const { value, grads } = tf.variableGrads(f, vars.map(([, v]) => v));
  value.dispose();
  const analytic = new Map<tf.Variable, Float32Array | null>();
  for (const [, v] of vars) {
    const g = grads[v.name];
    analytic.set(v, g ? ((await g.data()) as Float32Array) : null);
  }
  tf.dispose(Object.values(grads));

  const rng = new Rng(options.seed ?? 0);
  const result: GradCheckResult = { ok: true, maxRelError: 0, maxAbsError: 0, worst: null, failures: [], missing: [], checked: 0 };
  for (const [name, v] of vars) {
    const a = analytic.get(v) ?? null;
    if (!a) result.missing.push(name);
    const original = Float32Array.from((await v.data()) as Float32Array);
    const indices = v.size <= maxEntries ? [...Array(v.size).keys()] : Array.from(rng.permutation(v.size).subarray(0, maxEntries)).sort((x, y) => x - y);
    const work = Float32Array.from(original);
    const setTo = (values: Float32Array) => {
      const t = tf.tensor(values, v.shape, 'float32');
      v.assign(t);
      t.dispose();
    };
    try {
      for (const i of indices) {
        const x0 = original[i]!;
        work[i] = x0 + eps;
        setTo(work);
        const fp = await scalarValue(f);
        work[i] = x0 - eps;
        setTo(work);
        const fm = await scalarValue(f);
        work[i] = x0;
        // The step actually taken in float32 (x0 ± eps rounds).
        const h = Math.fround(x0 + eps) - Math.fround(x0 - eps);
        const numeric = (fp - fm) / h;
        const an = a ? a[i]! : 0;
        const absError = Math.abs(an - numeric);
        const scale = Math.max(Math.abs(an), Math.abs(numeric));
        const entry: GradCheckEntry = { name, index: i, analytic: an, numeric, absError, relError: absError / Math.max(scale, atol) };
        result.checked++;
        result.maxAbsError = Math.max(result.maxAbsError, absError);
        if (!result.worst || entry.relError > result.worst.relError) result.worst = entry;
        result.maxRelError = Math.max(result.maxRelError, entry.relError);
        if (!(absError <= atol + rtol * scale)) result.failures.push(entry);
      }
    } finally {
      setTo(original);
    }
  }
  result.ok = result.failures.length === 0 && result.missing.length === 0;
  return result;
}

/** A one-paragraph description of a {@link GradCheckResult} for assertion messages. */
export function formatGradCheck(r: GradCheckResult): string {
  const lines = [`gradCheck: ${r.checked} entries, max rel ${r.maxRelError.toExponential(2)}, max abs ${r.maxAbsError.toExponential(2)}`];
  if (r.missing.length) lines.push(`  no gradient for: ${r.missing.join(', ')}`);
  for (const e of r.failures.slice(0, 10)) {
    lines.push(`  ${e.name}[${e.index}]: analytic ${e.analytic.toPrecision(6)} vs numeric ${e.numeric.toPrecision(6)} (rel ${e.relError.toExponential(2)})`);
  }
  if (r.failures.length > 10) lines.push(`  … and ${r.failures.length - 10} more failures`);
  return lines.join('\n');
}

// Page state in the URL, typed and validated: a page declares a schema (one spec per query
// parameter, with its default and its allowed values); `parseUrlState` returns a complete,
// valid state plus a friendly problem for every value it could not use (naming the parameter,
// the value and what is allowed), and `formatUrlState` writes the state back. URLs are untrusted
// input: nothing here throws, and every value is bounded.

/** The result of reading one raw value: the value, or what was expected instead. */
export type ParseResult<T> = { ok: true; value: T } | { ok: false; expected: string };

/** How one query parameter is read and written. */
export interface ParamSpec<T> {
  /** The value used when the parameter is absent or invalid. */
  readonly default: T;
  /** What is allowed, in words (for messages and form hints). */
  readonly describe: string;
  /** Read a raw query value (never throws). */
  parse(raw: string): ParseResult<T>;
  /** Write a value as a query value. */
  format(value: T): string;
}

/** A page's URL schema: parameter name → spec. */
export type UrlSchema = Record<string, ParamSpec<any>>;

/** The state a schema describes: parameter name → value. */
export type UrlState<S extends UrlSchema> = { [K in keyof S]: S[K] extends ParamSpec<infer T> ? T : never };

/** A value from the URL that was not used. */
export interface UrlProblem {
  /** The query parameter, e.g. `'seed'`. */
  param: string;
  /** The raw value (shortened to 60 characters for display). */
  value: string;
  /** A sentence for the page: what was wrong and what is used instead. */
  message: string;
}

/** Longest raw value read at all (longer ones are rejected before parsing). */
export const MAX_RAW_LENGTH = 200;

const INT = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** Display form of a raw value: shortened, with invisible characters made visible. */
function shown(raw: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = raw.replace(/[\u0000-\u001f\u007f]/g, '�');
  return clean.length > 60 ? `${clean.slice(0, 57)}…` : clean;
}

/** Readable form of a number for messages: 2147483647 → "2,147,483,647", 0.0001 → "0.0001". */
function num(n: number): string {
  return Math.abs(n) >= 10_000 && Number.isInteger(n) ? n.toLocaleString('en-US') : String(n);
}

/** An integer in [min, max]. */
export function intParam(o: { min: number; max: number; default: number }): ParamSpec<number> {
  const describe = `a whole number from ${num(o.min)} to ${num(o.max)}`;
  return {
    default: o.default,
    describe,
    parse(raw) {
      const s = raw.trim();
      if (!INT.test(s)) return { ok: false, expected: describe };
      const v = Number(s);
      if (!Number.isSafeInteger(v) || v < o.min || v > o.max) return { ok: false, expected: describe };
      return { ok: true, value: v };
    },
    format: (v) => String(v),
  };
}

/** A finite decimal number in [min, max] (or (min, max] with `exclusiveMin`). */
export function numberParam(o: { min: number; max: number; default: number; exclusiveMin?: boolean }): ParamSpec<number> {
  const describe = o.exclusiveMin
    ? `a number greater than ${num(o.min)} and at most ${num(o.max)}`
    : `a number from ${num(o.min)} to ${num(o.max)}`;
  return {
    default: o.default,
    describe,
    parse(raw) {
      const s = raw.trim();
      if (!DECIMAL.test(s)) return { ok: false, expected: describe };
      const v = Number(s);
      const low = o.exclusiveMin ? v <= o.min : v < o.min;
      if (!Number.isFinite(v) || low || v > o.max) return { ok: false, expected: describe };
      return { ok: true, value: v };
    },
    format: (v) => String(v),
  };
}

/** One of a fixed list of names (matched case-insensitively, written as listed). */
export function choiceParam<T extends string>(choices: readonly T[], defaultValue: T): ParamSpec<T> {
  if (!choices.includes(defaultValue)) throw new Error(`choiceParam: default="${defaultValue}" is not one of ${choices.join(', ')}`);
  const describe = `one of ${choices.join(', ')}`;
  return {
    default: defaultValue,
    describe,
    parse(raw) {
      const s = raw.trim().toLowerCase();
      const hit = choices.find((c) => c.toLowerCase() === s);
      return hit === undefined ? { ok: false, expected: describe } : { ok: true, value: hit };
    },
    format: (v) => v,
  };
}

/** A comma-separated list of integers, e.g. layer widths `32,32`. */
export function intListParam(o: {
  minLength: number;
  maxLength: number;
  min: number;
  max: number;
  default: readonly number[];
}): ParamSpec<number[]> {
  const count = o.minLength === o.maxLength ? `${o.minLength}` : `${o.minLength} to ${o.maxLength}`;
  const describe = `${count} comma-separated whole numbers, each from ${num(o.min)} to ${num(o.max)}`;
  return {
    default: [...o.default],
    describe,
    parse(raw) {
      const s = raw.trim();
      const parts = s === '' ? [] : s.split(',').map((p) => p.trim());
      if (parts.length < o.minLength || parts.length > o.maxLength) return { ok: false, expected: describe };
      const values: number[] = [];
      for (const p of parts) {
        if (!INT.test(p)) return { ok: false, expected: describe };
        const v = Number(p);
        if (!Number.isSafeInteger(v) || v < o.min || v > o.max) return { ok: false, expected: describe };
        values.push(v);
      }
      return { ok: true, value: values };
    },
    format: (v) => v.join(','),
  };
}

/** The defaults of a schema, as a state. */
export function defaultState<S extends UrlSchema>(schema: S): UrlState<S> {
  const out: Record<string, unknown> = {};
  for (const [k, spec] of Object.entries(schema)) out[k] = Array.isArray(spec.default) ? [...spec.default] : spec.default;
  return out as UrlState<S>;
}

/**
 * Read a state from a query string (`location.search`) or `URLSearchParams`. Never throws:
 * absent parameters take their default; invalid ones take their default and add a problem;
 * unknown parameters are ignored with a problem (a typo should not pass silently).
 */
export function parseUrlState<S extends UrlSchema>(
  schema: S,
  search: string | URLSearchParams,
): { state: UrlState<S>; problems: UrlProblem[] } {
  let params: URLSearchParams;
  try {
    params = typeof search === 'string' ? new URLSearchParams(search) : search;
  } catch {
    params = new URLSearchParams();
  }
  const state = defaultState(schema) as Record<string, unknown>;
  const problems: UrlProblem[] = [];
  const seen = new Set<string>();
  for (const [key, raw] of params) {
    if (seen.has(key)) continue; // the first occurrence wins, as with URLSearchParams.get
    seen.add(key);
    if (!Object.hasOwn(schema, key)) {
      problems.push({ param: key, value: shown(raw), message: `Unknown parameter “${shown(key)}” was ignored. Known parameters: ${Object.keys(schema).join(', ')}.` });
      continue;
    }
    const spec = schema[key]!;
    const fallback = spec.format(spec.default) || '(none)';
    if (raw.length > MAX_RAW_LENGTH) {
      problems.push({ param: key, value: shown(raw), message: `${key} is too long (${raw.length} characters); expected ${spec.describe}. Using the default, ${fallback}.` });
      continue;
    }
    const r = spec.parse(raw);
    if (r.ok) state[key] = r.value;
    else {
      const what = raw.trim() === '' ? `${key} is empty` : `${key}=“${shown(raw)}” is not valid`;
      problems.push({ param: key, value: shown(raw), message: `${what}: expected ${r.expected}. Using the default, ${fallback}.` });
    }
  }
  return { state: state as UrlState<S>, problems };
}

/** The query string (with `?`) of a state: every parameter, in schema order, so a link reproduces it. */
export function formatUrlState<S extends UrlSchema>(schema: S, state: UrlState<S>): string {
  const params = new URLSearchParams();
  for (const [k, spec] of Object.entries(schema)) params.set(k, spec.format((state as Record<string, unknown>)[k]));
  // Keep commas readable (hidden=32,32 rather than 32%2C32); they are safe in a query.
  return `?${params.toString().replace(/%2C/gi, ',')}`;
}

/** Replace the current URL's query with `state` (no history entry, no reload). Browser only. */
export function writeUrlState<S extends UrlSchema>(schema: S, state: UrlState<S>): void {
  const url = new URL(window.location.href);
  url.search = formatUrlState(schema, state);
  history.replaceState(history.state, '', url);
}

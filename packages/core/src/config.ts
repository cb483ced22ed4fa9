// The one place every plain-JSON config of Weft is checked: layers, builders, data, MoE, routers,
// adapters, sharing plans, searches, spaces and the calculator. Configs arrive from code, URLs and
// files, so an unknown key is an error naming the key and the nearest allowed one, and each
// argument check names the caller, the argument, the value and what is allowed.

/** Damerau–Levenshtein distance (adjacent transpositions count as one edit), case-insensitive. */
function editDistance(a: string, b: string): number {
  a = a.toLowerCase();
  b = b.toLowerCase();
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The allowed name closest to `name`: the fewest edits, or one that contains or is contained in it
 * (`numExpert` → `numExperts`); ties go to the fewest edits. `undefined` when nothing is within
 * about a third of the name's length (at least two edits).
 */
export function nearestName(name: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = Infinity;
  let bestDistance = Infinity;
  const lower = name.toLowerCase();
  for (const candidate of allowed) {
    const c = candidate.toLowerCase();
    const distance = editDistance(lower, c);
    // One name inside the other (numExpert ⊂ numExperts) counts as one edit, for names of 3+ letters.
    const contained = Math.min(lower.length, c.length) >= 3 && (c.includes(lower) || lower.includes(c));
    const score = contained ? Math.min(distance, 1) : distance;
    if (score < bestScore || (score === bestScore && distance < bestDistance)) {
      bestScore = score;
      bestDistance = distance;
      best = candidate;
    }
  }
  const limit = Math.max(2, Math.ceil(name.length / 3));
  return bestScore <= limit ? best : undefined;
}

/** The error for an unknown key: names the key, where it was found, the nearest allowed name and the list. */
export function unknownKeyError(where: string, key: string, allowed: readonly string[]): Error {
  const near = nearestName(key, allowed);
  const hint = near ? `; did you mean '${near}'?` : '';
  return new Error(`${where}: unknown option '${key}'${hint} (allowed: ${allowed.join(', ') || 'none'})`);
}

/**
 * Throw unless `config` is a plain object (or undefined/null) whose keys are all in `allowed`.
 * Use it for configs whose fields have no single default object (required fields, unions).
 */
export function checkKnownKeys(where: string, config: unknown, allowed: readonly string[]): void {
  if (config === undefined || config === null) return;
  if (typeof config !== 'object' || Array.isArray(config)) {
    throw new Error(`${where}: config=${describeValue(config)} must be an object`);
  }
  for (const key of Object.keys(config)) {
    if (!allowed.includes(key)) throw unknownKeyError(where, key, allowed);
  }
}

const kindOf = (v: unknown): string => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);

/** Options of {@link resolveConfig}. */
export interface ResolveConfigOptions {
  /**
   * Keys allowed besides those of `defaults` (optional fields without a default value, such as a
   * seed or a callback). Their values are copied as given. Default: none.
   */
  extraKeys?: readonly string[];
  /**
   * Keys whose value may differ in type from the default's (a default `null` that may become a
   * number, a field that takes a string or an object). Default: every key whose default is `null`
   * or `undefined`.
   */
  anyType?: readonly string[];
}

/**
 * Merge a partial `config` over documented `defaults`. Throws on a key that is neither in
 * `defaults` nor in `options.extraKeys` (naming the nearest allowed key) and on a value whose JSON
 * kind (number, string, boolean, array, object) differs from the default's. `undefined` values
 * keep the default.
 */
export function resolveConfig<C extends object>(where: string, defaults: C, config: Partial<C> | undefined | null, options: ResolveConfigOptions = {}): C {
  const allowed = [...Object.keys(defaults), ...(options.extraKeys ?? [])];
  checkKnownKeys(where, config, allowed);
  const out = { ...defaults } as Record<string, unknown>;
  if (config === undefined || config === null) return out as C;
  for (const [key, value] of Object.entries(config)) {
    if (value === undefined) continue;
    const expected = (defaults as Record<string, unknown>)[key];
    const free = expected === undefined || expected === null || (options.anyType ?? []).includes(key);
    if (!free && kindOf(value) !== kindOf(expected)) {
      const kind = kindOf(expected);
      throw new Error(`${where}: ${key}=${describeValue(value)} must be ${kind === 'array' || kind === 'object' ? 'an' : 'a'} ${kind}`);
    }
    out[key] = value;
  }
  return out as C;
}

/**
 * A short, JSON-like rendering of a value for error messages: at most 80 characters, reading at most
 * a few levels and items of it (an untrusted value may be nested a million levels deep or be a
 * megabyte array, and must not overflow the stack or the message).
 */
export function describeValue(value: unknown): string {
  const s = render(value, 3);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function render(v: unknown, depth: number): string {
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean' || v === undefined || v === null) return String(v);
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  if (typeof v === 'function') return 'a function';
  if (typeof v !== 'object') return String(typeof v);
  if (depth === 0) return Array.isArray(v) ? '[…]' : '{…}';
  if (Array.isArray(v)) {
    const head = v.slice(0, 6).map((x) => render(x, depth - 1));
    return `[${head.join(',')}${v.length > 6 ? `,… (${v.length} items)` : ''}]`;
  }
  const keys = Object.keys(v).slice(0, 6);
  const more = Object.keys(v).length > 6 ? ',…' : '';
  return `{${keys.map((k) => `${JSON.stringify(k)}:${render((v as Record<string, unknown>)[k], depth - 1)}`).join(',')}${more}}`;
}

/**
 * The keys of config type `C`, written once as `{ key: true, … }`. The compiler checks the list is
 * complete (a key added to the interface and not here is a type error), so the runtime check of
 * {@link checkKnownKeys} cannot drift from the type.
 */
export function configKeys<C extends object>(keys: { [K in keyof Required<C>]: true }): readonly (keyof C & string)[] {
  return Object.keys(keys) as (keyof C & string)[];
}

// Parameter counts of LoRA-family adapters from module shapes alone: LoRA (arXiv:2106.09685),
// DoRA (arXiv:2402.09353), LoHa (arXiv:2108.06098), LoKr (arXiv:2309.14859, PEFT's LoKr layer) and
// (IA)³ (arXiv:2205.05638). Target patterns follow PEFT: a list matches a module path equal to an entry
// or ending in "." + entry; a string is a regular expression matched against the whole path.

import { CalculatorError, add, mul } from './arith.js';
import type { TargetableModule } from './spec.js';
import type { AdapterConfig, SupportedModelType } from './types.js';

/** Bounds on adapter options. */
const MAX_RANK = 65_536;
const MAX_TARGETS = 1024;
const MAX_TARGET_CHARS = 1024;
/** Expert paths one count may test against an index-dependent pattern (about half a second). */
const MAX_INDEX_TESTS = 1_048_576;

/** A path matcher plus whether its answer can depend on an expert index (see `matchedParams`). */
interface Matcher {
  test(path: string): boolean;
  /** True when no index inside a path can change the answer (a list without digits). */
  indexFree: boolean;
}

/** An adapter with defaults applied and patterns compiled. */
export interface ResolvedAdapter {
  method: AdapterConfig['method'];
  r: number;
  dora: boolean;
  decomposeBoth: boolean;
  decomposeFactor: number;
  targets: Matcher;
  /** IA3 only: which targets are feed-forward. */
  feedforward: Matcher | null;
}

const LORA_DEFAULTS: Partial<Record<SupportedModelType, string[]>> = {
  bert: ['query', 'value'],
  albert: ['query', 'value'],
  llama: ['q_proj', 'v_proj'],
  mistral: ['q_proj', 'v_proj'],
  qwen2: ['q_proj', 'v_proj'],
  mixtral: ['q_proj', 'v_proj'],
  qwen2_moe: ['q_proj', 'v_proj'],
};

const IA3_DEFAULTS: Partial<Record<SupportedModelType, { targets: string[]; feedforward: string[] }>> = {
  bert: { targets: ['key', 'value', 'output.dense'], feedforward: ['output.dense'] },
  llama: { targets: ['k_proj', 'v_proj', 'down_proj'], feedforward: ['down_proj'] },
  mistral: { targets: ['k_proj', 'v_proj', 'down_proj'], feedforward: ['down_proj'] },
  qwen2: { targets: ['k_proj', 'v_proj', 'down_proj'], feedforward: ['down_proj'] },
};

function compile(patterns: unknown, name: string, suffixRule: 'dot' | 'plain'): Matcher {
  if (typeof patterns === 'string') {
    if (patterns.length === 0 || patterns.length > MAX_TARGET_CHARS) {
      throw new CalculatorError(
        `adapter: ${name} regex of ${patterns.length} characters is not allowed: expected 1 to ${MAX_TARGET_CHARS}`,
      );
    }
    let re: RegExp;
    try {
      re = new RegExp(`^(?:${patterns})$`);
    } catch (e) {
      throw new CalculatorError(`adapter: ${name}=${JSON.stringify(patterns)} is not a valid regular expression (${(e as Error).message})`);
    }
    return { test: (p) => re.test(p), indexFree: false };
  }
  if (!Array.isArray(patterns) || patterns.length > MAX_TARGETS) {
    throw new CalculatorError(
      `adapter: ${name} must be a list of at most ${MAX_TARGETS} module names or one regex string, got ${
        Array.isArray(patterns) ? `${patterns.length} names` : typeof patterns
      }`,
    );
  }
  patterns.forEach((t, i) => {
    if (typeof t !== 'string' || t.length === 0 || t.length > MAX_TARGET_CHARS) {
      throw new CalculatorError(
        `adapter: ${name}[${i}]=${JSON.stringify(t)} is not allowed: expected a module name of 1 to ${MAX_TARGET_CHARS} characters`,
      );
    }
  });
  const list = patterns as string[];
  const test =
    suffixRule === 'dot'
      ? (p: string) => list.some((t) => p === t || p.endsWith(`.${t}`))
      : (p: string) => list.some((t) => p.endsWith(t));
  return { test, indexFree: !list.some((t) => /[0-9]/.test(t)) };
}

function rank(r: unknown): number {
  if (typeof r !== 'number' || !Number.isInteger(r) || r < 1 || r > MAX_RANK) {
    throw new CalculatorError(`adapter: r=${JSON.stringify(r) ?? String(r)} is not allowed: expected an integer in [1, ${MAX_RANK}]`);
  }
  return r;
}

function flag(v: unknown, name: string): boolean {
  if (v === undefined) return false;
  if (typeof v !== 'boolean') throw new CalculatorError(`adapter: ${name}=${JSON.stringify(v)} is not allowed: expected true or false`);
  return v;
}

/** Checks an adapter config and applies the per-`model_type` default targets. */
export function resolveAdapter(adapter: AdapterConfig, modelType: SupportedModelType): ResolvedAdapter {
  if (adapter === null || typeof adapter !== 'object') {
    throw new CalculatorError(`adapter: expected an object with a method, got ${JSON.stringify(adapter)}`);
  }
  const method = (adapter as { method?: unknown }).method;
  const base = { dora: false, decomposeBoth: false, decomposeFactor: -1, feedforward: null, r: 0 };
  if (method === 'ia3') {
    const ia3 = adapter as Extract<AdapterConfig, { method: 'ia3' }>;
    const defaults = IA3_DEFAULTS[modelType];
    if (ia3.targetModules === undefined && !defaults) {
      throw new CalculatorError(`adapter: targetModules is required for ia3 on model_type "${modelType}" (no default)`);
    }
    const targets = ia3.targetModules ?? defaults!.targets;
    const ff = ia3.feedforwardModules ?? (ia3.targetModules === undefined ? defaults!.feedforward : []);
    return { ...base, method, targets: compile(targets, 'targetModules', 'dot'), feedforward: compile(ff, 'feedforwardModules', 'plain') };
  }
  if (method !== 'lora' && method !== 'loha' && method !== 'lokr') {
    throw new CalculatorError(`adapter: method=${JSON.stringify(method)} is not supported: expected one of lora, loha, lokr, ia3`);
  }
  const a = adapter as Extract<AdapterConfig, { method: 'lora' | 'loha' | 'lokr' }>;
  const defaults = LORA_DEFAULTS[modelType];
  if (a.targetModules === undefined && !defaults) {
    throw new CalculatorError(`adapter: targetModules is required for ${method} on model_type "${modelType}" (no default)`);
  }
  const resolved: ResolvedAdapter = {
    ...base,
    method,
    r: rank(a.r),
    targets: compile(a.targetModules ?? defaults, 'targetModules', 'dot'),
  };
  if (method === 'lora') resolved.dora = flag((a as Extract<AdapterConfig, { method: 'lora' }>).dora, 'dora');
  if (method === 'lokr') {
    const k = a as Extract<AdapterConfig, { method: 'lokr' }>;
    resolved.decomposeBoth = flag(k.decomposeBoth, 'decomposeBoth');
    const f = k.decomposeFactor ?? -1;
    if (typeof f !== 'number' || !Number.isInteger(f) || (f !== -1 && (f < 1 || f > MAX_RANK))) {
      throw new CalculatorError(`adapter: decomposeFactor=${JSON.stringify(f)} is not allowed: expected -1 or an integer in [1, ${MAX_RANK}]`);
    }
    resolved.decomposeFactor = f;
  }
  return resolved;
}

/**
 * PEFT/LyCORIS `factorization(dimension, factor)`: splits `dimension` into m ≤ n with m·n = dimension,
 * m the largest divisor ≤ √dimension (factor -1) or ≤ `factor`; exactly (factor, dimension/factor) when it divides.
 */
export function lokrFactorization(dimension: number, factor = -1): [number, number] {
  if (factor > 0 && dimension % factor === 0) return [factor, dimension / factor];
  const limit = factor === -1 ? dimension : factor;
  let m = 1;
  let n = dimension;
  const length = m + n; // fixed at the start, as in PEFT
  while (m < n) {
    let next = m + 1;
    while (dimension % next !== 0) next++;
    const nextN = dimension / next;
    if (next + nextN > length || next > limit) break;
    m = next;
    n = nextN;
  }
  return m > n ? [n, m] : [m, n];
}

const lokrCache = new Map<string, [number, number]>();
function factorCached(dim: number, factor: number): [number, number] {
  const key = `${dim}:${factor}`;
  let f = lokrCache.get(key);
  if (!f) {
    f = lokrFactorization(dim, factor);
    if (lokrCache.size > 4096) lokrCache.clear();
    lokrCache.set(key, f);
  }
  return f;
}

/**
 * Adapter parameters added to one module at `path`. Throws when the method cannot wrap that kind of
 * module (only LoRA without DoRA wraps embeddings).
 */
export function adapterParams(ad: ResolvedAdapter, module: TargetableModule, path: string): number {
  const what = `adapter on ${path}`;
  if (module.kind === 'embedding') {
    if (ad.method !== 'lora' || ad.dora) {
      throw new CalculatorError(
        `adapter: ${ad.dora ? 'dora' : ad.method} cannot wrap the embedding ${path}; only plain LoRA wraps embeddings (narrow targetModules)`,
      );
    }
    // lora_embedding_A (r × num) and lora_embedding_B (dim × r).
    return mul(what, ad.r, add(what, module.num, module.dim));
  }
  const { in: inF, out: outF } = module;
  switch (ad.method) {
    case 'lora':
      // lora_A (r × in), lora_B (out × r); DoRA adds a magnitude vector of out.
      return add(what, mul(what, ad.r, add(what, inF, outF)), ad.dora ? outF : 0);
    case 'loha':
      // hada_w1_a, hada_w2_a (out × r) and hada_w1_b, hada_w2_b (r × in).
      return mul(what, 2, ad.r, add(what, inF, outF));
    case 'lokr': {
      const [inM, inN] = factorCached(inF, ad.decomposeFactor);
      const [outL, outK] = factorCached(outF, ad.decomposeFactor);
      // W = kron(W1 (outL × inM), W2 (outK × inN)); each full or a rank-r product.
      const useW1 = !(ad.decomposeBoth && ad.r < Math.max(outL, inM) / 2);
      const useW2 = !(ad.r < Math.max(outK, inN) / 2);
      const w1 = useW1 ? mul(what, outL, inM) : mul(what, ad.r, add(what, outL, inM));
      const w2 = useW2 ? mul(what, outK, inN) : mul(what, ad.r, add(what, outK, inN));
      return add(what, w1, w2);
    }
    case 'ia3':
      // One scaling vector: over the input for feed-forward modules, over the output otherwise.
      return ad.feedforward!.test(path) ? inF : outF;
  }
}

/**
 * Refuses, before any matching, an adapter whose patterns must be tested on each of `expertModules`
 * expert paths (a regex, or names with digits) when that is more than the budget of `MAX_INDEX_TESTS`.
 */
export function checkIndexBudget(ad: ResolvedAdapter, expertModules: number): void {
  const perIndex = !ad.targets.indexFree || (ad.feedforward !== null && !ad.feedforward.indexFree);
  if (perIndex && expertModules > MAX_INDEX_TESTS) {
    throw new CalculatorError(
      `adapter: targetModules must be tested on each expert's path separately (a regex, or names with digits), ` +
        `which takes ${expertModules} tests here, more than ${MAX_INDEX_TESTS}; use module names without digits`,
    );
  }
}

/**
 * Adapter parameters of the copies matched at `path` (`*` stands for the expert index, or no `*` for a
 * single module), and how many copies matched. A pattern that can tell experts apart (a regex, or names
 * with digits) is tested on every expert's path (see `checkIndexBudget`).
 */
export function matchedParams(ad: ResolvedAdapter, module: TargetableModule, path: string, count: number): {
  matched: number;
  params: number;
} {
  const what = `adapter on ${path}`;
  const star = path.indexOf('*');
  const uniform = ad.feedforward === null || ad.feedforward.indexFree;
  if (star < 0 || (ad.targets.indexFree && uniform)) {
    const p = star < 0 ? path : path.replace('*', '0');
    if (!ad.targets.test(p)) return { matched: 0, params: 0 };
    return { matched: count, params: mul(what, adapterParams(ad, module, p), count) };
  }
  const pre = path.slice(0, star);
  const post = path.slice(star + 1);
  const one = uniform ? adapterParams(ad, module, `${pre}0${post}`) : 0;
  let matched = 0;
  let params = 0;
  for (let e = 0; e < count; e++) {
    const p = pre + e + post;
    if (!ad.targets.test(p)) continue;
    matched++;
    if (!uniform) params = add(what, params, adapterParams(ad, module, p));
  }
  return { matched, params: uniform ? mul(what, one, matched) : params };
}

// Real-scale parameter counts of PEFT's four adapter formats, from module shapes alone: LoRA
// (arXiv:2106.09685) with DoRA (arXiv:2402.09353), LoHa (arXiv:2108.06098), LoKr (arXiv:2309.14859,
// PEFT's LoKr layer, with LyCORIS's factorisation, the one copy Weft has) and (IA)³
// (arXiv:2205.05638). Each is the `count` of its @weft/sharing entry (see adapters.ts for why they
// live in core).

import { CalculatorError, add, mul } from './arith.js';
import { adapterOptionError, compileModulePatterns, linearSizes, type AdapterCount, type AdapterCountPlan } from './adapter-count.js';
import type { SupportedModelType, TargetModules } from './types.js';

/** Largest rank or factor an option may take. */
const MAX_RANK = 65_536;

/** PEFT's default LoRA / LoHa / LoKr targets (TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING). */
const LORA_TARGETS: Partial<Record<SupportedModelType, { targetModules: TargetModules }>> = {
  bert: { targetModules: ['query', 'value'] },
  albert: { targetModules: ['query', 'value'] },
  llama: { targetModules: ['q_proj', 'v_proj'] },
  mistral: { targetModules: ['q_proj', 'v_proj'] },
  qwen2: { targetModules: ['q_proj', 'v_proj'] },
  mixtral: { targetModules: ['q_proj', 'v_proj'] },
  qwen2_moe: { targetModules: ['q_proj', 'v_proj'] },
  // PEFT's TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING (peft/utils/constants.py) where it names the type.
  qwen3: { targetModules: ['q_proj', 'v_proj'] },
  qwen3_moe: { targetModules: ['q_proj', 'v_proj'] },
  gemma2: { targetModules: ['q_proj', 'v_proj'] },
  gemma3_text: { targetModules: ['q_proj', 'v_proj'] },
  phi3: { targetModules: ['qkv_proj'] },
  phimoe: { targetModules: ['q_proj', 'v_proj'] },
  olmoe: { targetModules: ['q_proj', 'v_proj'] },
  llama4_text: { targetModules: ['q_proj', 'v_proj'] },
  gpt_oss: { targetModules: ['q_proj', 'v_proj'] },
  gpt2: { targetModules: ['c_attn'] },
  t5: { targetModules: ['q', 'v'] },
  switch_transformers: { targetModules: ['q', 'v'] },
  mamba: { targetModules: ['x_proj', 'embeddings', 'in_proj', 'out_proj'] },
};

function rank(r: unknown): number {
  if (typeof r !== 'number' || !Number.isInteger(r) || r < 1 || r > MAX_RANK) throw adapterOptionError('r', r, `an integer in [1, ${MAX_RANK}]`);
  return r;
}

/** LoRA: `r·(in + out)` per Linear (lora_A r × in, lora_B out × r), `r·(V + H)` per Embedding; DoRA adds `out` (an Embedding's `H`). */
export const LORA_COUNT: AdapterCount<{ r: number | null; dora: boolean }> = {
  options: { r: null, dora: false },
  defaultTargets: LORA_TARGETS,
  plan(o): AdapterCountPlan {
    const r = rank(o.r);
    return {
      name: `LoRA r=${r}${o.dora ? ' (DoRA)' : ''}`,
      params(module, path) {
        const what = `adapter on ${path}`;
        if (module.kind === 'embedding') {
          // lora_embedding_A (r × num), lora_embedding_B (dim × r); DoRA's lora_magnitude_vector (dim)
          return add(what, mul(what, r, add(what, module.num, module.dim)), o.dora ? module.dim : 0);
        }
        return add(what, mul(what, r, add(what, module.in, module.out)), o.dora ? module.out : 0);
      },
    };
  },
};

/** LoHa: hada_w1_a, hada_w2_a (out × r) and hada_w1_b, hada_w2_b (r × in): `2r·(in + out)` per Linear. */
export const LOHA_COUNT: AdapterCount<{ r: number | null }> = {
  options: { r: null },
  defaultTargets: LORA_TARGETS,
  plan(o) {
    const r = rank(o.r);
    return {
      name: `LoHa r=${r}`,
      params(module, path) {
        const m = linearSizes('loha', module, path);
        return mul(`adapter on ${path}`, 2, r, add(path, m.in, m.out));
      },
    };
  },
};

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
 * The shape of PEFT's LoKr on an in → out Linear: in = inM·inN, out = outL·outK (factorisation), and
 * whether each Kronecker factor W1 (outL × inM), W2 (outK × inN) is full or a rank-r product.
 */
export function lokrShape(inF: number, outF: number, r: number, decomposeBoth: boolean, decomposeFactor: number) {
  const [inM, inN] = factorCached(inF, decomposeFactor);
  const [outL, outK] = factorCached(outF, decomposeFactor);
  return { inM, inN, outL, outK, fullW1: !(decomposeBoth && r < Math.max(outL, inM) / 2), fullW2: !(r < Math.max(outK, inN) / 2) };
}

/** LoKr: W = kron(W1, W2), each factor full or a rank-r product (see {@link lokrShape}). */
export const LOKR_COUNT: AdapterCount<{ r: number | null; decomposeBoth: boolean; decomposeFactor: number }> = {
  options: { r: null, decomposeBoth: false, decomposeFactor: -1 },
  defaultTargets: LORA_TARGETS,
  plan(o) {
    const r = rank(o.r);
    const f = o.decomposeFactor;
    if (!Number.isInteger(f) || (f !== -1 && (f < 1 || f > MAX_RANK))) throw adapterOptionError('decomposeFactor', f, `-1 or an integer in [1, ${MAX_RANK}]`);
    return {
      name: `LoKr r=${r}`,
      params(module, path) {
        const m = linearSizes('lokr', module, path);
        const what = `adapter on ${path}`;
        const s = lokrShape(m.in, m.out, r, o.decomposeBoth, f);
        const w1 = s.fullW1 ? mul(what, s.outL, s.inM) : mul(what, r, add(what, s.outL, s.inM));
        const w2 = s.fullW2 ? mul(what, s.outK, s.inN) : mul(what, r, add(what, s.outK, s.inN));
        return add(what, w1, w2);
      },
    };
  },
};

/** PEFT's default IA3 targets and feed-forward modules (TRANSFORMERS_MODELS_TO_IA3_*_MAPPING). */
const IA3_TARGETS: Partial<Record<SupportedModelType, { targetModules: TargetModules; feedforwardModules: TargetModules }>> = {
  bert: { targetModules: ['key', 'value', 'output.dense'], feedforwardModules: ['output.dense'] },
  llama: { targetModules: ['k_proj', 'v_proj', 'down_proj'], feedforwardModules: ['down_proj'] },
  mistral: { targetModules: ['k_proj', 'v_proj', 'down_proj'], feedforwardModules: ['down_proj'] },
  qwen2: { targetModules: ['k_proj', 'v_proj', 'down_proj'], feedforwardModules: ['down_proj'] },
};

/** (IA)³: one scaling vector per Linear, over the input of a feed-forward module (`in`), else the output (`out`). */
export const IA3_COUNT: AdapterCount<{ feedforwardModules: TargetModules }> = {
  options: { feedforwardModules: [] },
  defaultTargets: IA3_TARGETS,
  plan(o) {
    const ff = compileModulePatterns(o.feedforwardModules, 'feedforwardModules', 'plain');
    return {
      name: '(IA)³',
      indexFree: ff.indexFree,
      params(module, path) {
        const m = linearSizes('ia3', module, path);
        return ff.test(path) ? m.in : m.out;
      },
    };
  },
};

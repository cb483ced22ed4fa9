// What params.html computes from one side's settings: the preset's config with the slider values
// applied (layers, width with the FFN widths scaled alongside, experts, k), the count options (sharing
// plan, adapter), the memory estimate, and the notices for URL values the model cannot use (k above the
// expert count, experts on a dense model). Pure functions, no DOM: the calculator does the counting.
import {
  adapterCount,
  countParams,
  estimateMemory,
  type AdapterConfig,
  type CountOptions,
  type MemoryEstimate,
  type ModelConfig,
  type ParamReport,
} from '@weft/core';
import { keyOf, planOfChoice, sharingScope, type MemoryState, type Side, type SideState, type TargetChoice } from './params-state.js';
import type { UrlProblem } from '../url-state.js';

type Rec = Record<string, unknown>;

/** The field holding the routed-expert count of a config, or null for a dense model. */
export function expertsField(c: ModelConfig): string | null {
  const rec = c as unknown as Rec;
  switch (c.model_type) {
    case 'mixtral':
    case 'phimoe':
    case 'gpt_oss':
    case 'llama4_text':
      return 'num_local_experts';
    case 'qwen2_moe':
    case 'olmoe':
    case 'switch_transformers':
      return 'num_experts';
    case 'qwen3_moe':
      return rec.num_experts === undefined && rec.num_local_experts !== undefined ? 'num_local_experts' : 'num_experts';
    case 'deepseek':
    case 'deepseek_v2':
    case 'deepseek_v3':
      return rec.n_routed_experts === null ? null : 'n_routed_experts';
    default:
      return null;
  }
}

/** Experts per token of a family when its config leaves the field out (the config class's default). */
const DEFAULT_K: Record<string, number> = { switch_transformers: 1, llama4_text: 1, gpt_oss: 4, deepseek_v3: 8, deepseek_v2: 6, qwen3_moe: 8, olmoe: 8 };

/** Routed experts and experts per token of a config (null for a dense model). */
export function expertsOf(c: ModelConfig): { experts: number; k: number } | null {
  const f = expertsField(c);
  if (!f) return null;
  const rec = c as unknown as Rec;
  const experts = Number(rec[f] ?? (c.model_type === 'deepseek_v3' ? 256 : 8));
  const k = c.model_type === 'switch_transformers' ? 1 : Number(rec.num_experts_per_tok ?? DEFAULT_K[c.model_type] ?? 1);
  return { experts, k: Math.min(k, experts) };
}

/** The config fields of layers and width (GPT-2 and T5 name them their own way). */
function sizeFields(c: ModelConfig): { layers: string[]; width: string } {
  switch (c.model_type) {
    case 'gpt2':
      return { layers: ['n_layer'], width: 'n_embd' };
    case 't5':
    case 'switch_transformers':
      return { layers: ['num_layers', 'num_decoder_layers'], width: 'd_model' };
    default:
      return { layers: ['num_hidden_layers'], width: 'hidden_size' };
  }
}

/** Layers and width of a config (class defaults where a field is left out). */
export function sizesOf(c: ModelConfig): { layers: number; width: number } {
  const rec = c as unknown as Rec;
  const f = sizeFields(c);
  return { layers: Number(rec[f.layers[0]!] ?? 12), width: Number(rec[f.width] ?? 768) };
}

/** Step of the width slider: a multiple of the attention heads × 8, so the per-head width stays whole. */
export function widthStep(c: ModelConfig): number {
  const rec = c as unknown as Rec;
  // Widths that do not set the head width: MLA, an explicit head_dim, T5's d_kv, Mamba.
  if (['deepseek_v2', 'deepseek_v3', 't5', 'switch_transformers', 'mamba'].includes(c.model_type) || typeof rec.head_dim === 'number') return 64;
  const heads = Number(rec.num_attention_heads ?? rec.n_head ?? 1);
  return Math.max(1, heads) * 8;
}

/** Whether a cross-layer sharing plan applies (ALBERT shares through its own groups; T5 has two stacks). */
export function sharingApplies(c: ModelConfig): boolean {
  return !['albert', 't5', 'switch_transformers'].includes(c.model_type);
}

/** The calculator's sharing plan of a choice. */
export const sharingPlan = planOfChoice;

/** Module names an adapter wraps for a target choice, by family (PEFT's suffix matching). */
export function targetModules(c: ModelConfig, choice: TargetChoice): string[] {
  const t = c.model_type;
  if (t === 'bert' || t === 'albert') {
    const qv = ['query', 'value'];
    const attn = [...qv, 'key', t === 'bert' ? 'attention.output.dense' : 'attention.dense'];
    const ffn = t === 'bert' ? ['intermediate.dense', 'output.dense'] : ['ffn', 'ffn_output'];
    return choice === 'qv' ? qv : choice === 'attn' ? attn : [...attn, ...ffn];
  }
  if (t === 'gpt2') return choice === 'all' ? ['c_attn', 'attn.c_proj', 'c_fc', 'mlp.c_proj'] : choice === 'attn' ? ['c_attn', 'attn.c_proj'] : ['c_attn'];
  if (t === 't5' || t === 'switch_transformers') {
    const attn = choice === 'qv' ? ['q', 'v'] : ['q', 'k', 'v', 'o'];
    return choice === 'all' ? [...attn, 'wi', 'wi_0', 'wi_1', 'wo'] : attn;
  }
  if (t === 'mamba') return choice === 'all' ? ['in_proj', 'x_proj', 'dt_proj', 'out_proj'] : ['in_proj', 'out_proj'];
  const mla = t === 'deepseek_v2' || t === 'deepseek_v3';
  const qv = mla ? ['q_proj', 'q_b_proj', 'kv_b_proj'] : t === 'phi3' ? ['qkv_proj'] : ['q_proj', 'v_proj'];
  const attn = mla ? [...qv, 'q_a_proj', 'kv_a_proj_with_mqa', 'o_proj'] : t === 'phi3' ? ['qkv_proj', 'o_proj'] : [...qv, 'k_proj', 'o_proj'];
  const ffn = t === 'mixtral' ? ['w1', 'w2', 'w3'] : ['gate_proj', 'up_proj', 'down_proj', 'gate_up_proj'];
  return choice === 'qv' ? qv : choice === 'attn' ? attn : [...attn, ...ffn];
}

/** The adapter config of a side, or undefined for none. */
export function adapterOf(c: ModelConfig, s: SideState): AdapterConfig | undefined {
  const targets = targetModules(c, s.targets);
  switch (s.adapter) {
    case 'none':
      return undefined;
    case 'lora':
    case 'dora':
      return { method: 'lora', r: s.rank, targetModules: targets, dora: s.adapter === 'dora' };
    case 'loha':
    case 'lokr':
      return { method: s.adapter, r: s.rank, targetModules: targets };
    case 'ia3': {
      // (IA)³ scales the input of a feed-forward output projection, the output elsewhere.
      const t = c.model_type;
      const ff = t === 'bert' ? ['output.dense'] : t === 'albert' ? ['ffn_output'] : t === 'mixtral' ? ['w2'] : t === 'gpt2' ? ['mlp.c_proj'] : t === 't5' || t === 'switch_transformers' ? ['wo'] : t === 'mamba' ? ['out_proj'] : ['down_proj'];
      return { method: 'ia3', targetModules: targets, feedforwardModules: s.targets === 'all' ? ff : [] };
    }
    default:
      // A method counted by the calculator without a line here: its defaults, with the side's rank if it has one.
      return { method: s.adapter, targetModules: targets, ...(rankApplies(s.adapter) ? { r: s.rank } : {}) } as AdapterConfig;
  }
}

/** Whether an adapter choice has a rank (none and (IA)³ have none). */
export function rankApplies(adapter: string): boolean {
  if (adapter === 'none') return false;
  return 'r' in adapterCount(adapter === 'dora' ? 'lora' : adapter).options;
}

/** The preset's config with the side's slider values applied (k above the expert count is left out). */
export function applySliders(base: ModelConfig, s: SideState): ModelConfig {
  const c = { ...base } as unknown as Rec;
  const fields = sizeFields(base);
  const sizes = sizesOf(base);
  if (s.layers > 0) for (const f of fields.layers) if (f === fields.layers[0] || c[f] !== undefined) c[f] = s.layers;
  if (s.width > 0 && s.width !== sizes.width) {
    const scale = s.width / sizes.width;
    c[fields.width] = s.width;
    for (const f of ['intermediate_size', 'moe_intermediate_size', 'shared_expert_intermediate_size', 'intermediate_size_mlp', 'd_ff', 'n_inner']) {
      if (typeof c[f] === 'number' && (c[f] as number) > 0) c[f] = Math.max(1, Math.round((c[f] as number) * scale));
    }
  }
  const f = expertsField(base);
  if (f && s.experts > 0) c[f] = s.experts;
  const experts = expertsOf(c as unknown as ModelConfig);
  if (f && s.k > 0 && experts && s.k <= experts.experts && base.model_type !== 'switch_transformers') c.num_experts_per_tok = s.k;
  return c as unknown as ModelConfig;
}

/**
 * Notices for a side's URL values that are valid numbers but do not fit its model: k above the expert
 * count, experts or k on a dense model. The page shows them with the URL's other problems.
 */
export function sideProblems(side: Side, base: ModelConfig, name: string, s: SideState): UrlProblem[] {
  const out: UrlProblem[] = [];
  const moe = expertsOf(base);
  const experts = moe ? (s.experts > 0 ? s.experts : moe.experts) : 0;
  if (!moe && (s.experts > 0 || s.k > 0)) {
    for (const field of ['experts', 'k'] as const) {
      if (s[field] > 0) out.push({ param: keyOf(side, field), value: String(s[field]), message: `${keyOf(side, field)}=${s[field]} does not apply: ${name} is a dense model with no routed experts. Ignored.` });
    }
  } else if (moe && s.k > experts) {
    out.push({ param: keyOf(side, 'k'), value: String(s.k), message: `${keyOf(side, 'k')}=${s.k} is more than the ${experts} routed experts of ${name}: each token can use at most all of them. Using the model's own k = ${moe.k}.` });
  } else if (moe && base.model_type === 'switch_transformers' && s.k > 1) {
    out.push({ param: keyOf(side, 'k'), value: String(s.k), message: `${keyOf(side, 'k')}=${s.k} does not apply: Switch Transformers route each token to one expert. Using k = 1.` });
  }
  return out;
}

/** One side's result: the config used, and the report or the calculator's message. */
export interface SideResult {
  config: ModelConfig;
  options: CountOptions;
  report: ParamReport | null;
  error: string | null;
}

/** Count one side (never throws: a bad combination becomes `error`). */
export function computeSide(base: ModelConfig, s: SideState): SideResult {
  const config = applySliders(base, s);
  const options: CountOptions = {};
  try {
    if (s.sharing !== 'none' && sharingApplies(base)) options[sharingScope(s.sharing)] = sharingPlan(s.sharing);
    if (s.head !== 'default') options.head = s.head;
    const adapter = adapterOf(base, s);
    if (adapter) options.adapter = adapter;
    return { config, options, report: countParams(config, options), error: null };
  } catch (e) {
    return { config, options, report: null, error: e instanceof Error ? e.message : String(e) };
  }
}

/** Contexts the memory curves are drawn at: 256 to 131,072 tokens, doubling. */
export const CURVE_CONTEXTS = Array.from({ length: 10 }, (_, i) => 256 * 2 ** i);

/** The memory options of a side under the page's memory settings. */
function memoryOptions(r: SideResult, m: MemoryState, context: number) {
  const training = m.mode !== 'inference';
  // LoRA/QLoRA use the side's adapter when it has one (else PEFT's default LoRA r=16); full fine-tuning trains the base.
  const adapter = (m.mode === 'lora' || m.mode === 'qlora') && r.options.adapter ? r.options.adapter : undefined;
  return {
    mode: m.mode,
    precision: training && m.mode !== 'qlora' && (m.prec === 'int8' || m.prec === 'int4') ? ('bf16' as const) : m.prec,
    context,
    batch: m.batch,
    ...(training ? { checkpointing: m.ckpt === 'on' } : {}),
    ...(adapter ? { adapter } : {}),
    ...(r.options.head ? { head: r.options.head } : {}),
    ...(r.options.sharing ? { sharing: r.options.sharing } : {}),
    ...(r.options.ffnSharing ? { ffnSharing: r.options.ffnSharing } : {}),
    ...(r.options.expertSharing ? { expertSharing: r.options.expertSharing } : {}),
  };
}

/** A side's memory at the chosen context and along the curve, or the calculator's message. */
export function sideMemory(r: SideResult, m: MemoryState): { at: MemoryEstimate | null; curve: Array<number | null>; error: string | null } {
  if (!r.report) return { at: null, curve: [], error: r.error };
  try {
    const at = estimateMemory(r.config, memoryOptions(r, m, m.ctx));
    const curve = CURVE_CONTEXTS.map((ctx) => estimateMemory(r.config, memoryOptions(r, m, ctx)).total);
    return { at, curve, error: null };
  } catch (e) {
    return { at: null, curve: [], error: e instanceof Error ? e.message : String(e) };
  }
}

// What params.html computes from one side's settings: the preset's config with the slider values
// applied (layers, width with the FFN widths scaled alongside, experts, k) and the count options
// (sharing plan, adapter). Pure functions, no DOM: the calculator does the counting.
import { adapterCount, countParams, type AdapterConfig, type CountOptions, type ModelConfig, type ParamReport } from '@weft/core';
import { planOfChoice, type SideState, type TargetChoice } from './params-state.js';

/** The field holding the routed-expert count of a config, or null for a dense model. */
export function expertsField(c: ModelConfig): 'num_local_experts' | 'num_experts' | 'n_routed_experts' | null {
  switch (c.model_type) {
    case 'mixtral':
      return 'num_local_experts';
    case 'qwen2_moe':
      return 'num_experts';
    case 'deepseek':
    case 'deepseek_v2':
      return c.n_routed_experts ? 'n_routed_experts' : null;
    default:
      return null;
  }
}

/** Routed experts and experts per token of a config (null for a dense model). */
export function expertsOf(c: ModelConfig): { experts: number; k: number } | null {
  const f = expertsField(c);
  if (!f) return null;
  const rec = c as unknown as Record<string, unknown>;
  return { experts: Number(rec[f]), k: Number(rec.num_experts_per_tok ?? 1) };
}

/** Step of the width slider: a multiple of the attention heads × 8, so the per-head width stays whole. */
export function widthStep(c: ModelConfig): number {
  return c.model_type === 'deepseek_v2' ? 128 : Math.max(1, c.num_attention_heads) * 8;
}

/** Whether a cross-layer sharing plan applies (ALBERT shares through its own `num_hidden_groups`). */
export function sharingApplies(c: ModelConfig): boolean {
  return c.model_type !== 'albert';
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
  const qv = t === 'deepseek_v2' ? ['q_proj', 'q_b_proj', 'kv_b_proj'] : ['q_proj', 'v_proj'];
  const attn = t === 'deepseek_v2' ? [...qv, 'q_a_proj', 'kv_a_proj_with_mqa', 'o_proj'] : [...qv, 'k_proj', 'o_proj'];
  const ffn = t === 'mixtral' ? ['w1', 'w2', 'w3'] : ['gate_proj', 'up_proj', 'down_proj'];
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
      const ff = c.model_type === 'bert' ? ['output.dense'] : c.model_type === 'albert' ? ['ffn_output'] : c.model_type === 'mixtral' ? ['w2'] : ['down_proj'];
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

/** The preset's config with the side's slider values applied. */
export function applySliders(base: ModelConfig, s: SideState): ModelConfig {
  const c = { ...base } as unknown as Record<string, unknown>;
  if (s.layers > 0) c.num_hidden_layers = s.layers;
  if (s.width > 0 && s.width !== base.hidden_size) {
    const scale = s.width / base.hidden_size;
    c.hidden_size = s.width;
    for (const f of ['intermediate_size', 'moe_intermediate_size', 'shared_expert_intermediate_size']) {
      if (typeof c[f] === 'number' && (c[f] as number) > 0) c[f] = Math.max(1, Math.round((c[f] as number) * scale));
    }
  }
  const f = expertsField(base);
  if (f && s.experts > 0) c[f] = s.experts;
  if (f && s.k > 0) c.num_experts_per_tok = s.k;
  return c as unknown as ModelConfig;
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
    if (s.sharing !== 'none' && sharingApplies(base)) options.sharing = sharingPlan(s.sharing);
    if (s.head !== 'default') options.head = s.head;
    const adapter = adapterOf(base, s);
    if (adapter) options.adapter = adapter;
    return { config, options, report: countParams(config, options), error: null };
  } catch (e) {
    return { config, options, report: null, error: e instanceof Error ? e.message : String(e) };
  }
}

// Loading a transformers MoE block into Weft's MoE layer: Mixtral (`block_sparse_moe.gate`,
// `experts.N.w1/w2/w3`), Qwen2-MoE / Qwen3-MoE / OLMoE (`mlp.gate`, `experts.N.gate_proj/up_proj/
// down_proj`; Qwen2-MoE's `shared_expert` and `shared_expert_gate`) and the fused expert layouts
// (`experts.gate_up_proj` [E, 2I, H] with `experts.down_proj` [E, H, I] as transformers 5 keeps them,
// or [E, H, 2I] / [E, I, H] as Llama-4 stores them). PyTorch stores a Linear's weight [out, in];
// Weft stores [in, out], so every matrix is transposed at this boundary.
import * as tf from '@tensorflow/tfjs-core';
import { describeValue, loadStateDict, type LoadStateDictReport } from '@weft/core';
import { MoE, type MoEConfig } from './moe.js';

/** The transformers `model_type`s whose MoE block {@link moeConfigFromTransformers} reads. */
export const TRANSFORMERS_MOE_TYPES = ['mixtral', 'qwen2_moe', 'qwen3_moe', 'olmoe'] as const;

function num(config: Record<string, unknown>, ...keys: string[]): number {
  for (const k of keys) {
    const v = Object.hasOwn(config, k) ? config[k] : undefined;
    if (v !== undefined && v !== null) {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`moeConfigFromTransformers: ${k}=${describeValue(v)} must be a finite number`);
      return v;
    }
  }
  throw new Error(`moeConfigFromTransformers: config has none of ${keys.join(', ')}`);
}

/**
 * The {@link MoEConfig} of one MoE block of a transformers `config.json` (parsed): SwiGLU experts
 * of width `moe_intermediate_size` (Mixtral, OLMoE: `intermediate_size`), the 'mixtral' router
 * (softmax → top-k, renormalised when `norm_topk_prob` — Mixtral always), dropless dispatch, the
 * Mixtral balance loss weighted by `router_aux_loss_coef`, and for Qwen2-MoE one sigmoid-gated
 * shared expert of width `shared_expert_intermediate_size`.
 */
export function moeConfigFromTransformers(config: Record<string, unknown>): MoEConfig {
  if (typeof config !== 'object' || config === null) throw new Error(`moeConfigFromTransformers: config=${describeValue(config)} must be a parsed config.json object`);
  const type = config.model_type;
  if (!(TRANSFORMERS_MOE_TYPES as readonly unknown[]).includes(type)) {
    throw new Error(`moeConfigFromTransformers: model_type=${describeValue(type)}; allowed: ${TRANSFORMERS_MOE_TYPES.join(', ')}`);
  }
  const act = config.hidden_act ?? 'silu';
  if (act !== 'silu') throw new Error(`moeConfigFromTransformers: hidden_act=${describeValue(act)}; Weft's SwiGLU experts use 'silu'`);
  const dim = num(config, 'hidden_size');
  const hidden = type === 'mixtral' || type === 'olmoe' ? num(config, 'intermediate_size') : num(config, 'moe_intermediate_size');
  const normalize = type === 'mixtral' ? true : config.norm_topk_prob === true;
  const out: MoEConfig = {
    dim,
    numExperts: num(config, 'num_local_experts', 'num_experts'),
    topK: num(config, 'num_experts_per_tok'),
    hidden,
    expert: 'swiglu',
    router: 'mixtral',
    routerConfig: { normalize },
    loadBalance: 'mixtral',
    loadBalanceWeight: typeof config.router_aux_loss_coef === 'number' ? config.router_aux_loss_coef : 0.001,
    zLossWeight: typeof config.router_z_loss_coef === 'number' ? config.router_z_loss_coef : 0,
  };
  if (type === 'qwen2_moe') {
    out.sharedExperts = 1;
    out.sharedHidden = num(config, 'shared_expert_intermediate_size');
    out.sharedGate = true;
  }
  return out;
}

/** Names of one expert's three matrices, per family: gate (SiLU), up, down. */
const EXPERT_NAMES: Array<{ gate: string; up: string; down: string }> = [
  { gate: 'w1', up: 'w3', down: 'w2' }, // Mixtral
  { gate: 'gate_proj', up: 'up_proj', down: 'down_proj' }, // Qwen-MoE, OLMoE, DeepSeek
];

/**
 * The Weft state dict of `moe` from a transformers MoE block's tensors under `prefix` (e.g.
 * `model.layers.0.mlp.`; every key of `tensors` starting with it must be used, other keys are
 * ignored). The caller owns (and disposes) the returned tensors. Throws naming any missing,
 * unused or misshapen tensor.
 */
export function transformersMoEStateDict(moe: MoE, tensors: Record<string, tf.Tensor>, prefix: string): Record<string, tf.Tensor> {
  const who = 'transformersMoEStateDict';
  if (!(moe instanceof MoE)) throw new Error(`${who}: moe must be a MoE layer`);
  if (moe.experts.kind !== 'swiglu') throw new Error(`${who}: the layer's experts are '${moe.experts.kind}'; transformers blocks have 'swiglu' experts`);
  const p = prefix === '' || prefix.endsWith('.') ? prefix : `${prefix}.`;
  const { dim: h, numExperts: e, hidden: i } = moe.cfg;
  const used = new Set<string>();
  const take = (key: string, shape?: number[]): tf.Tensor | undefined => {
    const t = Object.hasOwn(tensors, p + key) ? tensors[p + key] : undefined;
    if (t === undefined) return undefined;
    if (!(t instanceof tf.Tensor)) throw new Error(`${who}: "${p + key}" is not a tf.Tensor`);
    if (shape && !tf.util.arraysEqual(t.shape, shape)) throw new Error(`${who}: "${p + key}" has shape [${t.shape}]; the layer needs [${shape}]`);
    used.add(p + key);
    return t;
  };
  const need = (key: string, shape: number[]): tf.Tensor => {
    const t = take(key, shape);
    if (!t) throw new Error(`${who}: "${p + key}" is missing`);
    return t;
  };
  const out: Record<string, tf.Tensor> = {};
  try {
    out['router.gate.weight'] = tf.transpose(need('gate.weight', [e, h])); // [E, H] -> [H, E]
    const fused = take('experts.gate_up_proj');
    if (fused) {
      // transformers 5: gate_up [E, 2I, H] (gate rows first), down [E, H, I]; Llama-4: [E, H, 2I], [E, I, H].
      const outIn = tf.util.arraysEqual(fused.shape, [e, 2 * i, h]);
      if (!outIn && !tf.util.arraysEqual(fused.shape, [e, h, 2 * i])) {
        throw new Error(`${who}: "${p}experts.gate_up_proj" has shape [${fused.shape}]; expected [${[e, 2 * i, h]}] or [${[e, h, 2 * i]}]`);
      }
      const [g, u] = tf.split(fused, 2, outIn ? 1 : 2);
      out['experts.wGate'] = outIn ? tf.transpose(g!, [0, 2, 1]) : g!; // [E, I, H] -> [E, H, I]
      out['experts.wUp'] = outIn ? tf.transpose(u!, [0, 2, 1]) : u!;
      if (outIn) tf.dispose([g!, u!]);
      const down = need('experts.down_proj', outIn ? [e, h, i] : [e, i, h]);
      out['experts.wDown'] = outIn ? tf.transpose(down, [0, 2, 1]) : tf.clone(down); // [E, H, I] -> [E, I, H]
    } else {
      const names = EXPERT_NAMES.find((n) => Object.hasOwn(tensors, `${p}experts.0.${n.gate}.weight`));
      if (!names) throw new Error(`${who}: no experts under "${p}experts." (neither experts.0.w1/gate_proj.weight nor experts.gate_up_proj)`);
      const stack = (name: string, shape: number[]) =>
        tf.stack(Array.from({ length: e }, (_, j) => tf.transpose(need(`experts.${j}.${name}.weight`, shape)))); // E × [out, in] -> [E, in, out]
      out['experts.wGate'] = tf.tidy(() => stack(names.gate, [i, h]));
      out['experts.wUp'] = tf.tidy(() => stack(names.up, [i, h]));
      out['experts.wDown'] = tf.tidy(() => stack(names.down, [h, i]));
    }
    if (moe.shared) {
      const sh = moe.shared.hidden;
      const base = ['shared_expert', 'shared_experts'].find((s) => Object.hasOwn(tensors, `${p}${s}.gate_proj.weight`));
      if (!base) throw new Error(`${who}: the layer has shared experts but "${p}shared_expert.gate_proj.weight" (or shared_experts.) is missing`);
      out['shared.gate.weight'] = tf.transpose(need(`${base}.gate_proj.weight`, [sh, h]));
      out['shared.up.weight'] = tf.transpose(need(`${base}.up_proj.weight`, [sh, h]));
      out['shared.down.weight'] = tf.transpose(need(`${base}.down_proj.weight`, [h, sh]));
    }
    if (moe.sharedGate) out['sharedGate.weight'] = tf.transpose(need('shared_expert_gate.weight', [1, h])); // [1, H] -> [H, 1]
    const unused = Object.keys(tensors).filter((k) => k.startsWith(p) && !used.has(k));
    if (unused.length) throw new Error(`${who}: tensors under "${p}" that the layer has no place for: ${unused.slice(0, 8).join(', ')}${unused.length > 8 ? ` … (${unused.length})` : ''}`);
  } catch (err) {
    tf.dispose(Object.values(out));
    throw err;
  }
  return out;
}

/**
 * Load a transformers MoE block's tensors under `prefix` into `moe` (built with
 * {@link moeConfigFromTransformers} or an equivalent config): every parameter of the layer must be
 * given (strict); nothing is assigned when anything is wrong.
 */
export async function loadTransformersMoE(moe: MoE, tensors: Record<string, tf.Tensor>, prefix: string): Promise<LoadStateDictReport> {
  const dict = transformersMoEStateDict(moe, tensors, prefix);
  try {
    return await loadStateDict(moe, dict);
  } finally {
    tf.dispose(Object.values(dict));
  }
}

// Loading a transformers MoE block into Weft's MoE layer: Mixtral (`block_sparse_moe.gate`,
// `experts.N.w1/w2/w3`), Qwen2-MoE / Qwen3-MoE / OLMoE (`mlp.gate`, `experts.N.gate_proj/up_proj/
// down_proj`; Qwen2-MoE's `shared_expert` and `shared_expert_gate`) and the fused expert layouts
// (`experts.gate_up_proj` [E, 2I, H] with `experts.down_proj` [E, H, I] as transformers 5 keeps them,
// or [E, H, 2I] / [E, I, H] as Llama-4 stores them). PyTorch stores a Linear's weight [out, in];
// Weft stores [in, out], so every matrix is transposed at this boundary.
import * as tf from '@tensorflow/tfjs-core';
import { describeValue, loadStateDict, type Linear, type LoadStateDictReport } from '@weft/core';
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

/** One way a transformers checkpoint stores a parameter of the layer. */
export interface TransformersMoEForm {
  /** transformers tensor names, in the order `toWeft` reads them. */
  names: string[];
  /** Their shapes. */
  shapes: number[][];
  /** The parameter's Weft value from those tensors (the caller disposes inputs and output). */
  toWeft(ts: tf.Tensor[]): tf.Tensor;
}

/** A parameter of an MoE layer and the forms a transformers block stores it in. */
export interface TransformersMoEWeight {
  /** The parameter's key in the layer's state dict ('router.gate.weight', 'experts.wGate', …). */
  path: string;
  variable: tf.Variable;
  /** The forms, first the one transformers 5.17's save_pretrained writes, then the others a checkpoint may use. */
  forms: TransformersMoEForm[];
  /** The tensors of `forms[0]` from a value of the parameter (the caller disposes them). */
  toHf(v: tf.Tensor): tf.Tensor[];
}

const T2 = (t: tf.Tensor) => tf.transpose(t); // [out, in] <-> [in, out]
const T3 = (t: tf.Tensor) => tf.transpose(t, [0, 2, 1]); // [E, a, b] <-> [E, b, a]

/** Names of one expert's three matrices, per family: gate (SiLU), up, down. */
const EXPERT_NAMES = {
  mixtral: { gate: 'w1', up: 'w3', down: 'w2' },
  other: { gate: 'gate_proj', up: 'up_proj', down: 'down_proj' }, // Qwen-MoE, OLMoE, DeepSeek
} as const;

/** A Linear's weight ([out, in] in the checkpoint under each base name) and its bias, copied. */
function linearWeights(path: string, bases: string[], lin: Linear): TransformersMoEWeight[] {
  const [i, o] = lin.weight.shape as [number, number];
  const out: TransformersMoEWeight[] = [
    { path: `${path}.weight`, variable: lin.weight, forms: bases.map((b) => ({ names: [`${b}.weight`], shapes: [[o, i]], toWeft: ([t]) => T2(t!) })), toHf: (v) => [T2(v)] },
  ];
  if (lin.bias) out.push({ path: `${path}.bias`, variable: lin.bias, forms: bases.map((b) => ({ names: [`${b}.bias`], shapes: [[o]], toWeft: ([t]) => tf.clone(t!) })), toHf: (v) => [tf.clone(v)] });
  return out;
}

/**
 * Every parameter of `moe` with the transformers names and layouts of an MoE block under `prefix`
 * (e.g. `model.layers.0.mlp`): the router `gate`; the experts one by one (`experts.N.gate_proj/
 * up_proj/down_proj`, or Mixtral's `w1/w3/w2`, written first when `mixtral`), stacked into Weft's
 * [E, in, out], or fused (`experts.gate_up_proj` [E, 2I, H] with `experts.down_proj` [E, H, I] as
 * transformers 5 keeps them, or [E, H, 2I] / [E, I, H] as Llama-4 stores them); the shared expert
 * (`shared_expert.*`, DeepSeek's `shared_experts.*`) and Qwen2-MoE's `shared_expert_gate`. The one map
 * behind {@link transformersMoEStateDict} and @weft/hf's checkpoint load and save.
 */
export function transformersMoEWeights(moe: MoE, prefix: string, options: { mixtral?: boolean } = {}): TransformersMoEWeight[] {
  const who = 'transformersMoEWeights';
  if (!(moe instanceof MoE)) throw new Error(`${who}: moe must be a MoE layer`);
  if (moe.experts.kind !== 'swiglu') throw new Error(`${who}: the layer's experts are '${moe.experts.kind}'; transformers blocks have 'swiglu' experts`);
  const p = prefix === '' || prefix.endsWith('.') ? prefix : `${prefix}.`;
  const { numExperts: E, hidden: I, dim: H } = moe.cfg;
  const families = options.mixtral ? [EXPERT_NAMES.mixtral, EXPERT_NAMES.other] : [EXPERT_NAMES.other, EXPERT_NAMES.mixtral];
  const experts = moe.experts.ownParameters();
  const stacked = (name: 'wGate' | 'wUp' | 'wDown', local: 'gate' | 'up' | 'down', shape: number[]): TransformersMoEWeight => ({
    path: `experts.${name}`,
    variable: experts.get(name)!,
    forms: families.map((f) => {
      const names = Array.from({ length: E }, (_, e) => `${p}experts.${e}.${f[local]}.weight`);
      return { names, shapes: names.map(() => shape), toWeft: (ts: tf.Tensor[]) => tf.tidy(() => tf.stack(ts.map(T2))) }; // E × [out, in] -> [E, in, out]
    }),
    toHf: (x) => tf.unstack(x).map((t) => tf.tidy(() => T2(t))),
  });
  const gate = stacked('wGate', 'gate', [I, H]);
  const up = stacked('wUp', 'up', [I, H]);
  const down = stacked('wDown', 'down', [H, I]);
  const fused = `${p}experts.gate_up_proj`;
  // transformers 5: gate_up [E, 2I, H] (gate rows first), down [E, H, I]; Llama-4: [E, H, 2I], [E, I, H].
  gate.forms.push(
    { names: [fused], shapes: [[E, 2 * I, H]], toWeft: ([t]) => tf.tidy(() => T3(tf.slice(t!, [0, 0, 0], [E, I, H]))) },
    { names: [fused], shapes: [[E, H, 2 * I]], toWeft: ([t]) => tf.slice(t!, [0, 0, 0], [E, H, I]) },
  );
  up.forms.push(
    { names: [fused], shapes: [[E, 2 * I, H]], toWeft: ([t]) => tf.tidy(() => T3(tf.slice(t!, [0, I, 0], [E, I, H]))) },
    { names: [fused], shapes: [[E, H, 2 * I]], toWeft: ([t]) => tf.slice(t!, [0, 0, I], [E, H, I]) },
  );
  down.forms.push(
    { names: [`${p}experts.down_proj`], shapes: [[E, H, I]], toWeft: ([t]) => T3(t!) },
    { names: [`${p}experts.down_proj`], shapes: [[E, I, H]], toWeft: ([t]) => tf.clone(t!) },
  );
  const out = [...linearWeights('router.gate', [`${p}gate`], moe.router.namedChildren().get('gate') as Linear), gate, up, down];
  if (moe.shared) {
    for (const [w, n] of [['gate', 'gate_proj'], ['up', 'up_proj'], ['down', 'down_proj']] as const) {
      out.push(...linearWeights(`shared.${w}`, [`${p}shared_expert.${n}`, `${p}shared_experts.${n}`], moe.shared[w]!));
    }
  }
  if (moe.sharedGate) out.push(...linearWeights('sharedGate', [`${p}shared_expert_gate`], moe.sharedGate));
  return out;
}

/**
 * The Weft state dict of `moe` from a transformers MoE block's tensors under `prefix` (e.g.
 * `model.layers.0.mlp.`; every key of `tensors` starting with it must be used, other keys are
 * ignored). The caller owns (and disposes) the returned tensors. Throws naming any missing,
 * unused or misshapen tensor.
 */
export function transformersMoEStateDict(moe: MoE, tensors: Record<string, tf.Tensor>, prefix: string): Record<string, tf.Tensor> {
  const who = 'transformersMoEStateDict';
  if (!(moe instanceof MoE)) throw new Error(`${who}: moe must be a MoE layer`);
  const p = prefix === '' || prefix.endsWith('.') ? prefix : `${prefix}.`;
  const has = (n: string) => Object.hasOwn(tensors, n);
  const fits = (f: TransformersMoEForm) => f.names.every((n, i) => has(n) && tensors[n] instanceof tf.Tensor && tf.util.arraysEqual(tensors[n]!.shape, f.shapes[i]!));
  const used = new Set<string>();
  const out: Record<string, tf.Tensor> = {};
  try {
    for (const w of transformersMoEWeights(moe, p)) {
      const form = w.forms.find(fits) ?? w.forms.find((f) => f.names.every(has));
      if (!form) throw new Error(`${who}: "${w.forms[0]!.names.find((n) => !has(n))}" is missing`);
      const ts = form.names.map((n, i) => {
        const t = tensors[n];
        if (!(t instanceof tf.Tensor)) throw new Error(`${who}: "${n}" is not a tf.Tensor`);
        if (!tf.util.arraysEqual(t.shape, form.shapes[i]!)) throw new Error(`${who}: "${n}" has shape [${t.shape}]; the layer needs [${form.shapes[i]}]`);
        used.add(n);
        return t;
      });
      out[w.path] = form.toWeft(ts);
    }
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

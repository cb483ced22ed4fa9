// The map between a loaded model's Weft parameters and transformers' tensor names, layouts and
// shapes, both ways. PyTorch's Linear stores [out, in], Weft's [in, out] (transposed here); GPT-2's
// Conv1D stores [in, out] (copied); an MoE block's names and layouts are @weft/moe's
// transformersMoEWeights (per-expert matrices stacked into Weft's [E, in, out], or the fused
// `experts.gate_up_proj` layouts; its router and shared expert under transformers' names).
import * as tf from '@tensorflow/tfjs-core';
import { Embedding, LayerNorm, Linear, Module, RMSNorm } from '@weft/core';
import { MoE, transformersMoEWeights } from '@weft/moe';
import { AdaptedLayer } from '@weft/sharing';

/** One way a parameter is stored in a checkpoint. */
export interface WeightForm {
  /** transformers names, in the order `toWeft` reads them. */
  names: string[];
  /** Their shapes. */
  shapes: number[][];
  /** The parameter's Weft value from the tensors (the caller disposes inputs and output). */
  toWeft(ts: tf.Tensor[]): tf.Tensor;
}

/** A Weft parameter and how transformers stores it. */
export interface WeightSlot {
  /** The parameter's Weft path. */
  path: string;
  variable: tf.Variable;
  /** The form save writes (what transformers 5.17's save_pretrained writes). */
  form: WeightForm;
  /** Other forms a checkpoint may use (tried when the first form's names are absent). */
  alternatives: WeightForm[];
  /** The tensors of {@link form} from the parameter (the caller disposes them). */
  toHf(v: tf.Tensor): tf.Tensor[];
}

const T2 = (t: tf.Tensor) => tf.transpose(t); // [out, in] <-> [in, out]

function copySlot(path: string, name: string, v: tf.Variable): WeightSlot {
  return { path, variable: v, form: { names: [name], shapes: [v.shape], toWeft: ([t]) => tf.clone(t!) }, alternatives: [], toHf: (x) => [tf.clone(x)] };
}

function linearSlots(path: string, hf: string, lin: Linear, conv1d: boolean): WeightSlot[] {
  const [i, o] = lin.weight.shape as [number, number];
  const w: WeightSlot = conv1d
    ? copySlot(`${path}.weight`, `${hf}.weight`, lin.weight)
    : { path: `${path}.weight`, variable: lin.weight, form: { names: [`${hf}.weight`], shapes: [[o, i]], toWeft: ([t]) => T2(t!) }, alternatives: [], toHf: (x) => [T2(x)] };
  return lin.bias ? [w, copySlot(`${path}.bias`, `${hf}.bias`, lin.bias)] : [w];
}

/** Slots of an MoE block whose transformers prefix is `hf`: @weft/moe's map of the block's names and layouts. */
function moeSlots(path: string, hf: string, moe: MoE, mixtral: boolean): WeightSlot[] {
  return transformersMoEWeights(moe, hf, { mixtral }).map((w) => ({ path: `${path}.${w.path}`, variable: w.variable, form: w.forms[0]!, alternatives: w.forms.slice(1), toHf: w.toHf }));
}

/** How the model names its modules in transformers. */
export interface NamingRules {
  /** transformers name of a Weft module path (Mixtral's `mlp` is saved as `block_sparse_moe`). Default: the same. */
  rename?: (path: string) => string;
  /** Whether the Linear at this path is a GPT-2 Conv1D ([in, out] in the file). Default: never. */
  conv1d?: (path: string) => boolean;
  /** Mixtral's expert names (w1/w3/w2). */
  mixtralExperts?: boolean;
}

/**
 * Every parameter of `model` with its transformers names and layouts. Throws for a module it cannot
 * map (an adapter still injected: merge or unload it first).
 */
export function weightSlots(model: Module<any, any>, rules: NamingRules = {}): WeightSlot[] {
  const rename = rules.rename ?? ((p: string) => p);
  const out: WeightSlot[] = [];
  const seen = new Set<tf.Variable>();
  const visit = (m: Module<any, any>, path: string) => {
    const join = (n: string) => (path ? `${path}.${n}` : n);
    if (m instanceof AdaptedLayer) {
      // A Linear with adapters: its base weight is what transformers stores, once every live adapter is merged into it.
      const live = m.disabled ? [] : m.active.filter((n) => !m.merged.includes(n));
      if (live.length > 0) throw new Error(`transformers layout: "${path}" has unmerged adapters (${live.join(', ')}); merge them (mergeAdapters) or unload them before saving`);
      visit(m.baseModule, path);
    } else if (m instanceof MoE) out.push(...moeSlots(path, rename(path), m, rules.mixtralExperts ?? false));
    else if (m instanceof Linear) out.push(...linearSlots(path, rename(path), m, rules.conv1d?.(path) ?? false));
    else if (m instanceof Embedding || m instanceof RMSNorm || m instanceof LayerNorm) {
      for (const [n, v] of m.ownParameters()) out.push(copySlot(join(n), `${rename(path)}.${n}`, v));
    } else {
      if (m.ownParameters().size > 0) {
        throw new Error(`transformers layout: ${m.constructor.name} at "${path}" has parameters with no transformers name`);
      }
      for (const [n, c] of m.namedChildren()) visit(c, join(n));
    }
  };
  visit(model, '');
  return out.filter((s) => (seen.has(s.variable) ? false : (seen.add(s.variable), true)));
}
